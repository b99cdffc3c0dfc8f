//! Tests of `street_address`: streets with numbers and postal codes with cities of seven
//! countries, and numbers that only look like them.

use crate::detect::Scanner;

fn scanner() -> Scanner {
    Scanner::builtin_only(&["street_address"]).unwrap()
}

#[test]
fn streets_and_postal_codes_of_seven_countries() {
    let cases: &[(&str, &[&str])] = &[
        ("wohnt in der Hauptstraße 12 seit Mai", &["Hauptstraße 12"]),
        ("Adresse: Am Markt 3a, 10115 Berlin", &["Am Markt 3a", "10115 Berlin"]),
        ("Hauptstraße 12, 10115 Berlin", &["Hauptstraße 12", "10115 Berlin"]),
        ("Frankfurter Allee 3\n10247 Berlin", &["Frankfurter Allee 3", "10247 Berlin"]),
        ("Hauptstr. 5", &["Hauptstr. 5"]),
        ("lives at 12 Baker Street, London", &["12 Baker Street"]),
        ("221B Baker St. in London", &["221B Baker St."]),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", &["1600 Pennsylvania Avenue NW", "Washington, DC 20500"]),
        ("10 rue de Rivoli, 75001 Paris", &["10 rue de Rivoli", "75001 Paris"]),
        ("habite rue de Rivoli 10", &["rue de Rivoli 10"]),
        ("Kerkstraat 12, 1012 AB Amsterdam", &["Kerkstraat 12", "1012 AB Amsterdam"]),
        ("Büro in 1010 Wien", &["1010 Wien"]),
        ("8001 Zürich", &["8001 Zürich"]),
        ("London SW1A 1AA", &["SW1A 1AA"]),
        ("SW1A 1AA London", &["SW1A 1AA London"]),
        ("New York, NY 10001", &["New York, NY 10001"]),
        ("D-10115 Berlin", &["D-10115 Berlin"]),
    ];
    scanner().assert_cases(cases);
}

#[test]
fn pages_versions_articles_amounts_and_order_numbers_are_not_addresses() {
    let cases: &[(&str, &[&str])] = &[
        ("siehe Seite 12 und Artikel 5", &[]),
        ("Version 2.3 vom 12.03.2024", &[]),
        ("Betrag 1200 Euro, 50000 Mitarbeiter", &[]),
        ("Bestellung 12345 Berlin", &[]),
        ("Am Montag 12 Uhr", &[]),
        ("Im Jahr 2020 kamen 10000 Kunden", &[]),
        ("Tel. 030 1234 5678", &[]),
        ("room 12 Main", &[]),
        ("", &[]),
    ];
    scanner().assert_cases(cases);
}

#[test]
fn search_finds_what_the_pattern_finds() {
    let alphabet = ["0", "1", "9", " ", "a", "Z", "_", ".", "-", "/", "é", "ß", "\n"];
    crate::detect::testing::assert_search_finds_what_the_pattern_finds(
        super::PATTERN,
        super::search,
        &alphabet,
        24,
        3000,
    );
}
