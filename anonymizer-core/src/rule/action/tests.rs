//! Tests of `rule::action`.

use crate::rule::{parse_rules, Action};

fn encrypt_rule(alphabet: &str) -> String {
    format!("version = 1\n[columns]\ncode = {{ action = \"encrypt\", alphabet = \"{alphabet}\" }}\n")
}

/// `alphabet = "digts"` used to be a custom alphabet of d, i, g, t, s: a typo that
/// encrypted nothing the author meant. A name-like value is an error at its line.
#[test]
fn an_alphabet_typo_is_an_error_not_a_custom_alphabet() {
    let cases = [
        ("digts", Some("digits")),
        ("digit", Some("digits")),
        ("leters", Some("letters")),
        ("alphanumerics", Some("alphanumeric")),
        ("upperalphanumeric", Some("upper_alphanumeric")),
        ("upper_alnum", Some("upper_alphanumeric")),
        ("dig", Some("digits")),
        // Repeats a letter: no alphabet, and a word rather than a set of characters.
        ("alphanum", Some("alphanumeric")),
        ("my_own", None),
    ];
    for (alphabet, suggestion) in cases {
        let d = parse_rules(&encrypt_rule(alphabet), "r.toml").unwrap_err();
        assert_eq!(d.len(), 1, "{alphabet}: {d}");
        let item = &d.items[0];
        assert_eq!((item.line, item.column), (3, 41), "{alphabet}: {d}");
        assert!(item.message.contains(&format!("unknown alphabet \"{alphabet}\"")), "{d}");
        let hint = item.hint.as_deref().unwrap_or_default();
        assert!(hint.contains("digits, upper_alphanumeric, lower_alphanumeric, alphanumeric, letters"), "{d}");
        match suggestion {
            Some(s) => assert!(hint.contains(&format!("did you mean \"{s}\"?")), "{alphabet}: {d}"),
            None => assert!(!hint.contains("did you mean"), "{alphabet}: {d}"),
        }
    }
}

#[test]
fn genuine_custom_alphabets_still_work() {
    for alphabet in ["0123456789ABCDEF", "abcdef", "abcdefghijklmnopqrstuvwxyz", "xyz", "ab", "ABCDEFGHJK", "01"] {
        let rules = parse_rules(&encrypt_rule(alphabet), "r.toml").unwrap_or_else(|d| panic!("{alphabet}: {d}"));
        let action = &rules.column_rule("code").map(|r| r.action.clone());
        assert_eq!(action, &Some(Action::Encrypt { alphabet: alphabet.into(), domain: None }));
    }
    let rules = parse_rules(&encrypt_rule("digits"), "r.toml").unwrap();
    let action = rules.column_rule("code").map(|r| r.action.clone());
    assert_eq!(action, Some(Action::Encrypt { alphabet: "0123456789".into(), domain: None }));
}

/// The first diagnostic's line and message, or `None` when the rules are valid.
fn first_problem(rules: &str) -> Option<(usize, String)> {
    parse_rules(rules, "r.toml").err().map(|d| (d.items[0].line, d.items[0].message.clone()))
}

#[test]
fn a_template_the_rules_own_detectors_find_is_refused_at_its_line() {
    let refused: &[(&str, &str)] = &[
        (r#"t = { action = "redact", detect = ["email"], with = "redacted@example.com" }"#, "(on its own)"),
        (r#"t = { action = "redact", detect = ["phone", "email"], with = "{kind}@example.com" }"#, "(for \"phone\")"),
        (r#"t = { action = "redact", detect = ["credit_card"], with = "4000 0002" }"#, "(twice in a row)"),
        (r#"t = { action = "redact", detect = ["k"], with = "<{kind}>" }"#, "detector \"k\""),
        (r#"t = { action = "redact", detect = ["phone"], with = "+49 170 0000000" }"#, "detector \"phone\""),
    ];
    for (rule, why) in refused {
        let rules = format!("version = 1\n[detectors.k]\npattern = \"[a-z]+\"\n[columns]\nid = \"keep\"\n{rule}\n");
        let (line, message) = first_problem(&rules).unwrap_or_else(|| panic!("accepted: {rule}"));
        assert_eq!(line, 6, "{rule}: {message}");
        assert!(message.contains("is itself found by detector") && message.contains(why), "{rule}: {message}");
    }
    // In a [[patterns]] table: the line of `with`.
    let rules = "version = 1\n[[patterns]]\ncolumns = \"^notes\"\naction = \"redact\"\ndetect = [\"url\"]\nwith = \"www.example.com\"\n";
    assert_eq!(first_problem(rules).map(|(line, _)| line), Some(6));
    for fine in ["<{kind}>", "[{kind} removed]", "", "***", "XXXX-XXXX", "{kind}", "pseudonym"] {
        let rules = format!(
            "version = 1\n[columns]\nt = {{ action = \"redact\", detect = [\"email\", \"phone\", \"iban\", \"credit_card\", \"ipv4\", \"ipv6\", \"url\"], with = \"{fine}\" }}\n"
        );
        assert_eq!(first_problem(&rules), None, "{fine}");
    }
}

#[test]
fn fake_takes_a_kind_a_locale_and_a_domain() {
    use crate::rule::{FakeKind, FakeLocale, RedactWith};
    let rules = "version = 1\n[columns]\n\
        a = { action = \"fake\", kind = \"full_name\", locale = \"de\", domain = \"person\" }\n\
        b = { action = \"fake\", kind = \"iban\" }\n\
        t = { action = \"redact\", detect = [\"email\"], with = \"fake\", locale = \"fr\" }\n";
    let r = parse_rules(rules, "r.toml").unwrap();
    assert_eq!(
        r.column_rule("a").unwrap().action,
        Action::Fake { kind: FakeKind::FullName, locale: FakeLocale::De, domain: Some("person".into()) }
    );
    assert_eq!(
        r.column_rule("b").unwrap().action,
        Action::Fake { kind: FakeKind::Iban, locale: FakeLocale::En, domain: None }
    );
    assert_eq!(
        r.column_rule("t").unwrap().action,
        Action::Redact { detect: vec!["email".into()], with: RedactWith::Fake(FakeLocale::Fr) }
    );
    // What `rules show` writes reads back as the same rules.
    let again = parse_rules(&r.render(), "again.toml").unwrap();
    for c in ["a", "b", "t"] {
        assert_eq!(again.column_rule(c).unwrap().action, r.column_rule(c).unwrap().action, "{c}");
    }
}

#[test]
fn a_misspelt_fake_kind_or_locale_is_an_error_at_its_place_with_a_hint() {
    let cases = [
        (
            "f = { action = \"fake\", kind = \"fullname\" }",
            (3, 31),
            "unknown fake `kind` \"fullname\"",
            "did you mean \"full_name\"?",
        ),
        (
            "f = { action = \"fake\", kind = \"iban\", locale = \"gr\" }",
            (3, 48),
            "unknown fake `locale` \"gr\"",
            "de, en, fr, es, it, nl, pl, tr",
        ),
        ("f = { action = \"fake\", locale = \"de\" }", (3, 16), "action \"fake\" needs `kind`", "kind = \"full_name\""),
        ("f = \"fake\"", (3, 5), "action \"fake\" needs options", "kind = \"full_name\""),
        (
            "f = { action = \"redact\", detect = [\"email\"], locale = \"de\" }",
            (3, 55),
            "`locale` only applies with `with = \"fake\"`",
            "with = \"fake\"",
        ),
    ];
    for (rule, at, message, hint) in cases {
        let d = parse_rules(&format!("version = 1\n[columns]\n{rule}\n"), "r.toml").unwrap_err();
        assert_eq!(d.len(), 1, "{rule}: {d}");
        let item = &d.items[0];
        assert_eq!((item.line, item.column), at, "{rule}: {d}");
        assert!(item.message.contains(message), "{rule}: {d}");
        assert!(item.hint.as_deref().unwrap_or_default().contains(hint), "{rule}: {d}");
    }
}

#[test]
fn detector_groups_stand_for_their_members_each_once() {
    let rules = crate::parse_rules(
        "version = 1\n[columns]\nnotes = { action = \"redact\", detect = [\"contact\", \"email\", \"financial\", \"person\"] }\n",
        "r.toml",
    )
    .unwrap();
    let Action::Redact { detect, .. } = &rules.columns[0].1.action else { panic!("a redact rule") };
    assert_eq!(
        detect,
        &["email", "phone", "url", "iban", "credit_card", "person_name", "street_address", "date_of_birth"]
    );
    let rules =
        crate::parse_rules("version = 1\n[columns]\nnotes = { action = \"redact\", detect = [\"all\"] }\n", "r.toml")
            .unwrap();
    let Action::Redact { detect, .. } = &rules.columns[0].1.action else { panic!("a redact rule") };
    assert_eq!(detect, crate::rule::BUILTIN_DETECTORS);
    // The spec's national_id group, member by member.
    let national = crate::rule::DETECTOR_GROUPS.iter().find(|(g, _)| *g == "national_id").unwrap().1;
    assert_eq!(national.len(), 16);
    assert!(national.iter().all(|d| d.contains('_') && !["person_name", "street_address"].contains(d)));
    assert_eq!((national[0], national[15]), ("de_tax_id", "be_national_number"));
    // A typo of a group gets a hint; a custom detector cannot take a group's name.
    let d = parse_rules("version = 1\n[columns]\nn = { action = \"redact\", detect = [\"contcat\"] }\n", "r.toml")
        .unwrap_err();
    assert_eq!(d.items[0].line, 3);
    assert_eq!(d.items[0].hint.as_deref(), Some("did you mean \"contact\"?"), "{d}");
    let (line, message) = first_problem("version = 1\n[detectors.person]\npattern = \"x\"\n").unwrap();
    assert_eq!(line, 2);
    assert!(message.contains("names a group"), "{message}");
}

#[test]
fn settings_that_could_never_take_effect_are_errors_at_their_line() {
    // `with = "fake"` where no detector has a fake.
    let (line, message) =
        first_problem("version = 1\n[columns]\nn = { action = \"redact\", detect = [\"ipv4\"], with = \"fake\" }\n")
            .unwrap();
    assert_eq!(line, 3);
    assert!(message.contains("needs a detector with a fake"), "{message}");
    // Context words that no text can hold where they are looked for.
    for word in ["#kunde", "a-context-word-longer-than-forty-characters-x"] {
        let rules = format!("version = 1\n[detectors.k]\npattern = \"K[0-9]+\"\ncontext = [\"{word}\"]\n");
        let (line, message) = first_problem(&rules).unwrap();
        assert_eq!(line, 4, "{word}");
        assert!(message.contains("could never be found"), "{message}");
    }
}
