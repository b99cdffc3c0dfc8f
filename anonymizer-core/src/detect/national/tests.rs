//! The national identifiers against data they were not written from: seeded vectors made
//! with python-stdnum and Faker (`testdata/national_ids.py`), Presidio's recognizer test
//! cases, and decoys.

use crate::detect::Scanner;
use crate::rule::BUILTIN_DETECTORS;

/// Every built-in detector, so that overlaps are resolved as in `detect = ["all"]`.
fn all() -> Scanner {
    Scanner::builtin_only(BUILTIN_DETECTORS).unwrap()
}

/// The detector that found exactly `needle` in `text`, if any.
fn found_as(s: &Scanner, text: &str, needle: &str) -> Option<String> {
    let mut f = Vec::new();
    s.scan(text, &mut f);
    f.iter().find(|f| &text[f.start..f.end] == needle).map(|f| s.names()[f.detector].clone())
}

#[test]
fn stdnum_and_faker_vectors_valid_found_and_one_digit_off_not() {
    let s = all();
    let data = include_str!("../../../testdata/national_ids.tsv");
    let (mut n, mut failures) = (0, Vec::new());
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [kind, expected, number, sentence] = cols[..] else {
            panic!("bad line {line:?}");
        };
        let got = found_as(&s, sentence, number);
        let ok = if expected == "1" { got.as_deref() == Some(kind) } else { got.as_deref() != Some(kind) };
        if !ok {
            failures.push(format!("{kind} {expected} {sentence:?}: {got:?}"));
        }
        n += 1;
    }
    assert!(n > 1500, "{n} vectors");
    assert!(failures.is_empty(), "{} of {n} failed:\n{}", failures.len(), failures.join("\n"));
}

/// Presidio's recognizer test cases for the kinds we share (microsoft/presidio,
/// `presidio-analyzer/tests/test_{us_ssn,uk_nino,es_nif,es_nie,it_fiscal_code,pl_pesel,
/// de_tax_id,de_vat_id,de_social_security,de_id_card}_recognizer.py` and the NHS test of
/// an earlier version; MIT License, Copyright (c) Microsoft Corporation). Data only: the
/// text, the detector, and what Presidio expects found. Where we decide otherwise the
/// expectation is ours and the line says why.
const PRESIDIO: &[(&str, &str, &[&str])] = &[
    // us_ssn
    ("us_ssn", "078-05-1123", &["078-05-1123"]),
    ("us_ssn", "078.05.1123", &["078.05.1123"]),
    ("us_ssn", "078 05 1123", &[]), // Presidio: found; ours: spaced with a leading 0 needs "SSN" near
    ("us_ssn", "SSN 078 05 1123", &["078 05 1123"]),
    ("us_ssn", "078051121", &[]), // Presidio: found (weak); ours: a bare 9-digit run needs "SSN" near
    ("us_ssn", "SSN 078051121", &["078051121"]),
    ("us_ssn", "0780511201", &[]),
    ("us_ssn", "078051120", &[]),
    ("us_ssn", "000000000", &[]),
    ("us_ssn", "666000000", &[]),
    ("us_ssn", "078-05-0000", &[]),
    ("us_ssn", "078 00 1123", &[]),
    ("us_ssn", "693-09.4444", &[]),
    // uk_nhs
    ("uk_nhs", "401-023-2137", &["401-023-2137"]),
    ("uk_nhs", "221 395 1837", &[]), // Presidio: found; ours: may be a US phone number, needs "NHS"
    ("uk_nhs", "NHS number 221 395 1837", &["221 395 1837"]),
    ("uk_nhs", "0032698674", &[]), // Presidio: found; ours: a bare 10-digit run needs "NHS"
    ("uk_nhs", "NHS 0032698674", &["0032698674"]),
    ("uk_nhs", "401-023-2138", &[]),
    // uk_nino
    ("uk_nino", "AA 12 34 56 B", &["AA 12 34 56 B"]),
    ("uk_nino", "hh 01 02 03 d", &["hh 01 02 03 d"]),
    ("uk_nino", "tw987654a", &["tw987654a"]),
    ("uk_nino", "nino: PR 123612C", &["PR 123612C"]),
    ("uk_nino", "Here is my National Insurance Number YZ 61 48 68 B", &["YZ 61 48 68 B"]),
    ("uk_nino", "AA 12 34 56 H", &[]),
    ("uk_nino", "FQ 00 00 00 C", &[]),
    ("uk_nino", "BG123612A", &[]),
    ("uk_nino", "nino: nt 99 88 77 a", &[]),
    ("uk_nino", "This isn't a valid national insurance number UV 98 76 54 B", &[]),
    // es_dni (Presidio's ES_NIF)
    ("es_dni", "55555555K", &["55555555K"]),
    ("es_dni", "55555555-K", &["55555555-K"]),
    ("es_dni", "1111111-G", &["1111111-G"]),
    ("es_dni", "1111111G", &["1111111G"]),
    ("es_dni", "01111111G", &["01111111G"]),
    ("es_dni", "401-023-2138", &[]),
    // es_nie
    ("es_nie", "Z8078221M", &["Z8078221M"]),
    ("es_nie", "X9613851N", &["X9613851N"]),
    ("es_nie", "Y8063915Z", &["Y8063915Z"]),
    ("es_nie", "Y8063915-Z", &["Y8063915-Z"]),
    ("es_nie", "Mi NIE es X9613851N", &["X9613851N"]),
    ("es_nie", "Z8078221M en mi NIE", &["Z8078221M"]),
    ("es_nie", "Mi Número de identificación de extranjero es Y8063915-Z", &["Y8063915-Z"]),
    ("es_nie", "Y8063915Q", &[]),
    ("es_nie", "Y806391Q", &[]),
    ("es_nie", "58063915Q", &[]),
    ("es_nie", "W8063915Q", &[]),
    // it_fiscal_code
    ("it_fiscal_code", "AAAAAA00B11C333Y", &["AAAAAA00B11C333Y"]),
    ("it_fiscal_code", "AAAAAA00B11C333N", &[]), // Presidio: found (no check); ours: the check letter fails
    ("it_fiscal_code", "AAAAAA - 00B11C333N", &[]),
    ("it_fiscal_code", "A55AAA00B11C333N", &[]),
    ("it_fiscal_code", "AAAAAA00B11C333Y and AAAAAA00B11C333N", &["AAAAAA00B11C333Y"]), // Presidio: both
    // pl_pesel
    ("pl_pesel", "11111111114", &[]), // Presidio: found; its check digit is 6 (stdnum: invalid)
    ("pl_pesel", "My pesel is 11111111114.", &[]),
    ("pl_pesel", "1111321111", &[]),
    ("pl_pesel", "11110021111", &[]),
    ("pl_pesel", "11-11-11-11114", &[]),
    // de_tax_id: Presidio's positives have ten distinct leading digits, which the BZSt's
    // digit rule (one digit twice or three times) refuses, as python-stdnum does.
    ("de_tax_id", "12345678903", &[]),
    ("de_tax_id", "98765432106", &[]),
    ("de_tax_id", "Meine Steuer-ID: 12345678903.", &[]),
    ("de_tax_id", "IdNr. 98765432106 liegt vor.", &[]),
    ("de_tax_id", "12345678901", &[]),
    ("de_tax_id", "98765432100", &[]),
    ("de_tax_id", "02345678901", &[]),
    ("de_tax_id", "1234567890", &[]),
    ("de_tax_id", "123456789030", &[]),
    ("de_tax_id", "11111111111", &[]),
    ("de_tax_id", "11112345678", &[]),
    // de_vat_id (Presidio's strict mode; its default keeps failed checksums)
    ("de_vat_id", "DE136695976", &["DE136695976"]),
    ("de_vat_id", "DE129273398", &["DE129273398"]),
    ("de_vat_id", "DE123456788", &["DE123456788"]),
    ("de_vat_id", "DE111111117", &["DE111111117"]),
    ("de_vat_id", "USt-IdNr.: DE136695976", &["DE136695976"]),
    ("de_vat_id", "Bitte angeben: DE129273398 auf der Rechnung.", &["DE129273398"]),
    ("de_vat_id", "DE123456789", &[]),
    ("de_vat_id", "DE987654321", &[]),
    ("de_vat_id", "DE100000001", &[]),
    ("de_vat_id", "de136695976", &["de136695976"]),
    ("de_vat_id", "AT123456789", &[]),
    ("de_vat_id", "FR12345678901", &[]),
    ("de_vat_id", "DE12345678", &[]),
    ("de_vat_id", "DE1234567890", &[]),
    ("de_vat_id", "DE 136 695 976", &["DE 136 695 976"]),
    ("de_vat_id", "DE 129 273 398", &["DE 129 273 398"]),
    ("de_vat_id", "DE 136695976", &["DE 136695976"]),
    ("de_vat_id", "DE-136-695-976", &["DE-136-695-976"]),
    ("de_vat_id", "DE.136.695.976", &["DE.136.695.976"]),
    ("de_vat_id", "DE 136-695.976", &["DE 136-695.976"]),
    ("de_vat_id", "de 136 695 976", &[]), // Presidio: found; ours: a lower-case "de" only glued
    ("de_vat_id", "Rechnung USt-IdNr. DE 136 695 976 von Beispiel GmbH", &["DE 136 695 976"]),
    // de_social_security
    ("de_social_security", "15070649C103", &["15070649C103"]),
    ("de_social_security", "65070803A019", &["65070803A019"]),
    ("de_social_security", "20151090B023", &["20151090B023"]),
    ("de_social_security", "38551285K051", &["38551285K051"]),
    ("de_social_security", "RVNR: 15070649C103 laut Sozialversicherungsausweis.", &["15070649C103"]),
    ("de_social_security", "15070649C100", &[]),
    ("de_social_security", "65070803A012", &[]),
    ("de_social_security", "15070049C103", &[]),
    ("de_social_security", "15071349C103", &[]),
    ("de_social_security", "150706491103", &[]),
    ("de_social_security", "15070649C10", &[]),
    ("de_social_security", "15070649C1030", &[]),
    // de_id_card: Presidio reads the 9 printed characters as 8 and a check digit; the
    // document number is 9 characters (the check digit follows it in the MRZ), and ours
    // needs a context word near.
    ("de_id_card", "Personalausweis: L01X00T44.", &["L01X00T44"]),
    ("de_id_card", "L01X00T44", &[]),
    ("de_id_card", "Ausweis Nr. T22000129 gültig bis 2025.", &["T22000129"]),
    ("de_id_card", "123456789", &[]),
    ("de_id_card", "T2200012", &[]),
];

#[test]
fn presidio_cases() {
    let s = all();
    for (kind, text, want) in PRESIDIO {
        let mut f = Vec::new();
        s.scan(text, &mut f);
        let got: Vec<&str> =
            f.iter().filter(|f| s.names()[f.detector] == *kind).map(|f| &text[f.start..f.end]).collect();
        assert_eq!(got, *want, "{kind}: {text:?}");
    }
}

#[test]
fn decoys_dates_amounts_phones_orders_ibans_cards_are_not_national_ids() {
    let s = Scanner::builtin_only(&crate::rule::BUILTIN_DETECTORS[7..]).unwrap();
    for decoy in [
        "Bestellung 12345678901 vom 01.10.2024",
        "Auftrag 4711 0815 am 2024-01-02",
        "Betrag 1.234.567,89 EUR",
        "Tel. +49 170 1234567",
        "Tel 030 12345678",
        "Mobil 01711234567",
        "call (415) 555-0132 or 415-555-0132",
        "IBAN DE89 3704 0044 0532 0130 00",
        "IBAN DE89370400440532013000",
        "Karte 4111 1111 1111 1111",
        "Karte 4111111111111111",
        "Version 10.2.3.4567",
        "Rechnung Nr. 123456789",
        "Kundennummer 0123456789",
        "am 31.12.1999 um 23:59",
        "PLZ 80331 München",
        "Artikel M123456789 im Lager",
        "Bestellnummer 1234 567890",
        "Ticket 123-45-6789-0",
        "Produkt ABCDEF12G34H567I",
    ] {
        let mut f = Vec::new();
        s.scan(decoy, &mut f);
        let got: Vec<String> =
            f.iter().map(|f| format!("{} {:?}", s.names()[f.detector], &decoy[f.start..f.end])).collect();
        assert!(got.is_empty(), "{decoy}: {got:?}");
    }
}

#[test]
fn a_bare_run_valid_for_two_kinds_goes_to_the_one_named_near() {
    let s = all();
    // Valid as both (python-stdnum): a PESEL and a Steuer-IdNr; a BSN and an SSN; an NHS
    // number and an Austrian SV-Nr.
    let both = "96050407232";
    assert_eq!(found_as(&s, &format!("PESEL {both}"), both).as_deref(), Some("pl_pesel"));
    assert_eq!(found_as(&s, &format!("Steuer-ID {both}"), both).as_deref(), Some("de_tax_id"));
    // Without a word of its kind, a plain run is none of them (an order number passes one
    // of the three checks about once in 25).
    assert_eq!(found_as(&s, &format!("Nummer {both}"), both), None);
    assert_eq!(found_as(&s, "Nummer 44051401458", "44051401458"), None);
    assert_eq!(found_as(&s, "Steuer-ID 44051401458", "44051401458"), None);
    assert_eq!(found_as(&s, "PESEL: 44051401458", "44051401458").as_deref(), Some("pl_pesel"));
    let both = "518993620";
    assert_eq!(found_as(&s, &format!("BSN {both}"), both).as_deref(), Some("nl_bsn"));
    assert_eq!(found_as(&s, &format!("SSN {both}"), both).as_deref(), Some("us_ssn"));
    assert_eq!(found_as(&s, &format!("Nummer {both}"), both), None);
    let both = "5371111220";
    assert_eq!(found_as(&s, &format!("NHS no {both}"), both).as_deref(), Some("uk_nhs"));
    assert_eq!(found_as(&s, &format!("SV-Nr. {both}"), both).as_deref(), Some("at_social_security"));
    assert_eq!(found_as(&s, &format!("Nummer {both}"), both), None);
}

#[test]
fn context_words_begin_a_word_within_forty_characters() {
    let s = all();
    let n = "518993620";
    let far = format!("BSN {} {n}", "x".repeat(36));
    assert_eq!(found_as(&s, &far, n), None, "41 characters before");
    let close = format!("BSN {} {n}", "x".repeat(35));
    assert_eq!(found_as(&s, &close, n).as_deref(), Some("nl_bsn"));
    assert_eq!(found_as(&s, &format!("{n} (BSN)"), n).as_deref(), Some("nl_bsn"));
    assert_eq!(found_as(&s, &format!("lesson {n}"), n), None, "\"ssn\" inside a word");
}
