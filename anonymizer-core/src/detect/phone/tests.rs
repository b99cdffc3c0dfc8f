//! Phone numbers in text: written forms, numbering plans, decoys.
use crate::detect::Scanner;

#[test]
fn national_and_international_forms() {
    let s = Scanner::builtin_only(&["phone"]).unwrap();
    for phone in [
        "+49 170 1234567",
        "+49 (0)30 1234567",
        "030 12345678",
        "(030) 1234567",
        "0171/1234567",
        "0171-123 45 67",
        "+43 664 1234567",
        "0664 1234567",
        "0043 664 1234567",
        "+41 79 123 45 67",
        "079 123 45 67",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+44 7700 900123",
        "07700 900123",
        "020 7946 0958",
        "(415) 555-0132",
        "415-555-0132",
        "415.555.0132",
        "+1 415 555 0132",
    ] {
        let text = format!("Bitte rufen Sie {phone} an.");
        assert_eq!(s.found(&text), [phone], "{text}");
    }
}

#[test]
fn a_number_running_into_the_next_is_cut_back() {
    let s = Scanner::builtin_only(&["phone"]).unwrap();
    assert_eq!(s.found("+49 170 1234567 192.168.0.1"), ["+49 170 1234567"]);
    assert_eq!(s.found("0171 1234567 / 030 1234567"), ["0171 1234567", "030 1234567"]);
    assert_eq!(s.found("Kundin (030 74174862) rief an"), ["030 74174862"]);
    assert_eq!(s.found("Kundin ((030) 7417486) rief an"), ["(030) 7417486"]);
    assert_eq!(s.found("Tel.-Nr. 01711234567"), ["01711234567"]);
    assert_eq!(s.found("Telefonnummer: 01711234567"), ["01711234567"]);
}

#[test]
fn decoys_are_kept() {
    let s = Scanner::builtin_only(&["phone"]).unwrap();
    for decoy in [
        "version 2.1",
        "am 1.10.2024",
        "am 01.10.2024",
        "on 2024-01-02",
        "total 332,89 EUR",
        "IP 192.168.1.10",
        "order 4111111111111112",
        "card 4111 1111 1111 1111",
        "year 2024",
        "PLZ 80331 München",
        "1/10/24",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Kd.-Nr. 0012345678",
        "order no. 0123456789",
        "n° 0612345678",
        "Rechnungsnummer: 0123456789",
        "ticket #0171123456",
    ] {
        assert!(s.found(decoy).is_empty(), "{decoy}: {:?}", s.found(decoy));
    }
}

#[test]
fn every_regions_international_numbers_and_the_regions_national_ones() {
    use crate::rule::Region;
    let de = Scanner::builtin_only(&["phone"]).unwrap();
    let cn = Scanner::builtin_only(&["phone"]).unwrap().with_region(Region::new("CN").unwrap());
    let us = Scanner::builtin_only(&["phone"]).unwrap().with_region(Region::new("us").unwrap());
    // libphonenumber's own example numbers (PhoneNumberMetadata.xml) of regions the common
    // forms do not know.
    for (s, text, want) in [
        (&de, "Tel. +86 138 0013 8000.", "+86 138 0013 8000"),
        (&de, "Tel. 0086 138 0013 8000.", "0086 138 0013 8000"),
        (&cn, "手机 13800138000 联系", "13800138000"),
        (&cn, "电话 010 1234 5678", "010 1234 5678"),
        (&de, "call +55 11 96123 4567", "+55 11 96123 4567"),
        (&de, "Tel +972 2-123-4567", "+972 2-123-4567"),
        (&us, "call 201 555 0123 today", "201 555 0123"),
    ] {
        assert_eq!(s.found(text), [want], "{text}");
    }
    // Not a number of any plan, or a national form of another region.
    for (s, text) in [(&de, "+999 1234 5678 90"), (&de, "13800138000"), (&de, "+49 0000 000000")] {
        assert!(s.found(text).is_empty(), "{text}: {:?}", s.found(text));
    }
}

#[test]
fn addresses_chains_labels_and_dropped_trunk_prefixes_are_no_numbers() {
    let s = Scanner::builtin_only(&["phone"]).unwrap();
    for decoy in [
        // A dotted quad is an address, though 1708771108 fits the German mobile plan.
        "Telefonnummer: 170.87.71.108 (alt)",
        // Inside a chain of digit groups (a spaced identifier).
        "Ticket 1 67 04 04 028 414 20 offen",
        // After an identifier or amount label, grouped too.
        "Vorgang 391 376 2739",
        "Betrag 0171 1234567",
        "case 415 555 0132",
        // A German mobile number without its trunk prefix: nobody writes it so.
        "ruft an: 1708771108",
    ] {
        assert!(s.found(decoy).is_empty(), "{decoy}: {:?}", s.found(decoy));
    }
    // Phone words after a label keep the number: "Rufnummer", "Notfall", "Kontakte".
    assert_eq!(s.found("Rufnummer 030 1234567"), ["030 1234567"]);
    assert_eq!(s.found("Notfall: 0171 1234567"), ["0171 1234567"]);
    assert_eq!(s.found("Kontakte: 0171 1234567"), ["0171 1234567"]);
    assert_eq!(s.found("Zimmer 12, 030 1234567"), ["030 1234567"]);
}
