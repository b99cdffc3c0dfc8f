//! Tests of `person_name`: names with their salutations, greetings and signatures, and the
//! capitalized words of German and English text that are not names.

use crate::detect::Scanner;

fn scanner() -> Scanner {
    Scanner::builtin_only(&["person_name"]).unwrap()
}

#[test]
fn the_lexicon_unpacks() {
    let lex = super::lexicon::lexicon();
    assert!(lex.kind("Anna") & super::lexicon::FIRST != 0);
    assert!(lex.kind("Müller") & super::lexicon::LAST != 0);
    assert!(lex.is_city("Berlin"));
}

#[test]
fn names_after_salutations_greetings_and_in_signatures() {
    let cases: &[(&str, &[&str])] = &[
        ("Bitte Rückruf an Frau Anna Meier", &["Anna Meier"]),
        ("Frau Meier hat angerufen", &["Meier"]),
        ("Sehr geehrter Herr Dr. med. Schulze-Brandt,", &["Schulze-Brandt"]),
        ("Dear Mr. O'Brien, thanks", &["O'Brien"]),
        ("Mme Lefèvre a appelé", &["Lefèvre"]),
        ("la Sig.ra Bianchi ha chiamato", &["Bianchi"]),
        ("Sr. García llamó ayer", &["García"]),
        ("Dhr. Jan van der Berg belde", &["Jan van der Berg"]),
        ("Pani Katarzyna Nowak dzwoniła", &["Katarzyna Nowak"]),
        ("Sayın Ahmet Yılmaz,", &["Ahmet Yılmaz"]),
        ("Hallo Anna, danke!", &["Anna"]),
        ("Dear John Smith,", &["John Smith"]),
        ("Viele Grüße\nKarl Hoffmann", &["Karl Hoffmann"]),
        ("Best regards,\nEmily Clarke", &["Emily Clarke"]),
        ("Cordialement,\nJean Dupont", &["Jean Dupont"]),
        ("Name: Peter Schneider", &["Peter Schneider"]),
        ("Thomas Müller hat die Rechnung bezahlt.", &["Thomas Müller"]),
        ("Gestern hat John F. Kennedy angerufen", &["John F. Kennedy"]),
        ("Frank Meier kommt morgen", &["Frank Meier"]),
    ];
    scanner().assert_cases(cases);
}

#[test]
fn capitalized_nouns_months_places_and_lone_names_are_not_names() {
    let cases: &[(&str, &[&str])] = &[
        ("Im Mai haben wir die Rechnung geschickt.", &[]),
        ("Die Rose im Garten blüht, der Wolf heult.", &[]),
        ("Paris ist im Frühling schön.", &[]),
        ("Anna hat angerufen.", &[]),
        ("Frank und frei: Die Sonne scheint.", &[]),
        ("Will Power ist ein Buch.", &[]),
        ("Hallo Team, hallo zusammen!", &[]),
        ("Dear Sir or Madam,", &[]),
        ("Viele Grüße aus Berlin", &[]),
        ("Mit freundlichen Grüßen\nIhr Kundenservice", &[]),
        ("Der Kunde Bestellung Lieferung Rechnung Mahnung", &[]),
        ("Mark the calendar: Bill Payment due in May.", &[]),
        ("", &[]),
        ("ANNA MEIER", &[]),
    ];
    scanner().assert_cases(cases);
}

#[test]
fn odd_text_does_not_panic() {
    let s = scanner();
    for text in ["Frau", "Frau ", "Hallo Ä", "Herr Dr.", "Mit freundlichen", "É", "Anna van", "M. ", "Sig.ra"] {
        s.found(text);
    }
    let long = "Frau Anna ".repeat(2000);
    assert!(!s.found(&long).is_empty());
}

/// The most common Turkish names (TÜİK's rankings, `data/names/tr_common.txt`) in their
/// Turkish spelling, also where mimesis lists them ASCII-folded ("Yilmaz").
#[test]
fn common_turkish_names_in_their_own_spelling() {
    let cases: &[(&str, &[&str])] = &[
        ("Ayşe Yılmaz ile görüştüm", &["Ayşe Yılmaz"]),
        ("İbrahim Öztürk aradı", &["İbrahim Öztürk"]),
        ("Lütfen Bayan Şahin ile görüşün", &["Şahin"]),
        ("Mustafa Çelik ve Emine Kılıç geldi", &["Mustafa Çelik", "Emine Kılıç"]),
    ];
    scanner().assert_cases(cases);
}

/// Places whose words are names, and nouns after articles and possessives, are not names
/// (false findings in `benches/data/faker/negatives.jsonl`).
#[test]
fn places_and_noun_phrases_are_not_names() {
    let s = scanner();
    for text in [
        "La consegna a San Costantino Calabro è arrivata",
        "die Rechnung aus Hong Kong",
        "the invoice from Saudi Arabia until May",
        "from Svalbard & Jan Mayen Islands",
        "Unser Bäcker prüft die Rechnung",
        "Kunde fragt nach dem Artikel Wiese in Rochlitz",
        "La consegna a Canneto Di Monteverdi",
    ] {
        assert!(s.found(text).is_empty(), "{text}: {:?}", s.found(text));
    }
    // A name that is also a town is still a name after a salutation.
    assert_eq!(s.found("Dear Ms Allen, thank you"), ["Allen"]);
}
