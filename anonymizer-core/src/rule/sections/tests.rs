//! Tests of `[detectors.NAME]`: `validate` and `context`.

use crate::detect::Scanner;
use crate::rule::{parse_rules, Checksum, Region};

fn detector(body: &str) -> String {
    format!("version = 1\n[detectors.k]\n{body}\n[columns]\nt = {{ action = \"redact\", detect = [\"k\"] }}\n")
}

fn found(body: &str, text: &str) -> Vec<String> {
    let rules = parse_rules(&detector(body), "r.toml").unwrap();
    let s = Scanner::new(&["k".to_string()], &rules.detectors).unwrap();
    let mut f = Vec::new();
    s.scan(text, &mut f);
    f.iter().map(|f| text[f.start..f.end].to_string()).collect()
}

#[test]
fn validate_keeps_only_matches_whose_check_holds() {
    // Luhn over the digits of the match, the `K-` skipped: 79927398713 holds, …14 not.
    let body = "pattern = 'K-[0-9]{11}'\nvalidate = \"luhn\"";
    assert_eq!(found(body, "K-79927398713 und K-79927398714"), ["K-79927398713"]);
    // The IBAN check over letters and digits.
    let body = "pattern = '[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}'\nvalidate = \"mod97\"";
    assert_eq!(found(body, "DE89370400440532013000 DE89370400440532013001"), ["DE89370400440532013000"]);
    let body = "pattern = '[0-9]{3} [0-9]{3} [0-9]{4}'\nvalidate = \"mod11\"";
    assert_eq!(found(body, "943 476 5919 / 943 476 5918"), ["943 476 5919"]);
    let body = "pattern = 'ST[0-9]{11}'\nvalidate = \"iso7064_mod11_10\"";
    assert_eq!(found(body, "ST36574261809 ST36574261808"), ["ST36574261809"]);
    let body = "pattern = '[0-9A-Z]{20}'\nvalidate = \"iso7064_mod97_10\"";
    assert_eq!(found(body, "LEI 5493001KJTIIGC8Y1R12 5493001KJTIIGC8Y1R13"), ["5493001KJTIIGC8Y1R12"]);
}

#[test]
fn context_needs_one_word_within_forty_characters() {
    let body = "pattern = 'K[0-9]{6}'\ncontext = [\"Kundennr\", \"customer\"]";
    assert_eq!(found(body, "Ihre kundennr. K123456"), ["K123456"]);
    assert_eq!(found(body, "K123456 is the CUSTOMER's"), ["K123456"]);
    assert!(found(body, "Artikel K123456 im Lager").is_empty());
    let far = format!("customer {} K123456", "x".repeat(40));
    assert!(found(body, &far).is_empty());
    // Both conditions together.
    let body = "pattern = 'K-[0-9]{11}'\nvalidate = \"luhn\"\ncontext = [\"kunde\"]";
    let text = format!("Kunde K-79927398713, {} Lager K-79927398713", "x".repeat(40));
    assert_eq!(found(body, &text), ["K-79927398713"]);
    assert!(found(body, "Kunde K-79927398714").is_empty());
}

#[test]
fn an_unknown_validate_is_an_error_at_its_line_with_a_hint() {
    let d = parse_rules(&detector("pattern = 'K[0-9]+'\nvalidate = \"lun\""), "r.toml").unwrap_err();
    assert_eq!(d.len(), 1, "{d}");
    let item = &d.items[0];
    assert_eq!(item.line, 4, "{d}");
    assert!(item.message.contains("unknown `validate` check \"lun\""), "{d}");
    assert_eq!(item.hint.as_deref(), Some("did you mean \"luhn\"?"), "{d}");
    let d = parse_rules(&detector("pattern = 'K[0-9]+'\ncontext = []"), "r.toml").unwrap_err();
    assert_eq!(d.items[0].line, 4, "{d}");
    let d = parse_rules(&detector("pattern = 'K[0-9]+'\nkontext = [\"a\"]"), "r.toml").unwrap_err();
    assert_eq!(d.items[0].line, 4, "{d}");
}

#[test]
fn validate_and_context_are_read_and_rendered() {
    let rules =
        parse_rules(&detector("pattern = 'K[0-9]+'\nvalidate = \"iso7064_mod97_10\"\ncontext = [\"Kunde\"]"), "r.toml")
            .unwrap();
    let k = &rules.detectors[0];
    assert_eq!((k.validate, k.context.as_slice()), (Some(Checksum::Iso7064Mod97_10), &["kunde".to_string()][..]));
    let rendered = rules.render();
    assert!(rendered.contains("validate = \"iso7064_mod97_10\"\ncontext = [\"kunde\"]"), "{rendered}");
}
#[test]
fn input_region_is_a_country_with_a_numbering_plan_or_an_error_at_its_line() {
    let rules = parse_rules("version = 1\n[input]\nregion = \"cn\"\n", "r.toml").unwrap();
    assert_eq!(rules.input.region, Region::new("CN").unwrap());
    assert_eq!(parse_rules("version = 1\n", "r.toml").unwrap().input.region, Region::DE);
    for bad in ["XX", "DEU", "", "Germany"] {
        let d = parse_rules(&format!("version = 1\n[input]\nregion = \"{bad}\"\n"), "r.toml").unwrap_err();
        let d = &d.items[0];
        assert_eq!(d.line, 3, "{bad}");
        assert!(d.message.contains("`region`") && d.hint.as_deref().is_some_and(|h| h.contains("\"DE\"")), "{bad}");
    }
}
