//! importd's output equals an independent implementation of the spec's algorithms
//! (tests/reference/importd_ref.py, Python standard library only) on generated data run
//! through rules/examples/crm-customers.toml, and of every `fake` kind in every locale.

use std::process::Command;

use crate::support::*;

#[test]
fn crm_output_matches_the_python_reference_row_by_row() {
    let s = Sandbox::new();
    let mut input = Vec::new();
    importd_bench::write_csv(&mut input, 3000, 11).unwrap();
    s.write("customers.csv", &input);
    let rules = repo().join("rules/examples/crm-customers.toml");
    let rules = rules.to_str().unwrap();
    let out = s.anonymize(rules, "customers.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let check = Command::new("python3")
        .arg(repo().join("tests/reference/check_crm.py"))
        .args([s.path("customers.csv"), s.path("out.csv")])
        .arg("ab".repeat(32))
        .output()
        .expect("python3 is needed for the reference cross-check");
    assert!(check.status.success(), "{}\n{}", stdout(&check), stderr(&check));
    assert!(stdout(&check).contains("rows compared: "), "{}", stdout(&check));
}

/// Every `fake` kind in every locale, and `redact` with `with = "fake"`, against the
/// reference's `fake` (which reads the committed list files).
#[test]
fn fakes_match_the_python_reference_for_every_kind_and_locale() {
    const KINDS: [&str; 10] =
        ["first_name", "last_name", "full_name", "email", "phone", "street", "city", "postal_code", "iban", "company"];
    const LOCALES: [&str; 8] = ["de", "en", "fr", "es", "it", "nl", "pl", "tr"];
    const VALUES: [&str; 8] = [
        "Anna Meier",
        "anna.meier@example.com",
        "Jürgen Groß",
        "+49 170 1234567",
        "DE89 3704 0044 0532 0130 00",
        "Łukasz Żółć, ul. Długa 5",
        "\"quoted\", with comma",
        "",
    ];
    let s = Sandbox::new();
    let mut columns = Vec::new();
    let mut rules = String::from("version = 1\n[columns]\n");
    for l in LOCALES {
        for k in KINDS {
            let c = format!("{k}__{l}");
            rules.push_str(&format!("{c} = {{ action = \"fake\", kind = \"{k}\", locale = \"{l}\" }}\n"));
            columns.push(c);
        }
        let c = format!("notes__{l}");
        rules.push_str(&format!(
            "{c} = {{ action = \"redact\", detect = [\"email\"], with = \"fake\", locale = \"{l}\" }}\n"
        ));
        columns.push(c);
    }
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut input = columns.join(",") + "\n";
    for (r, v) in VALUES.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match (c.starts_with("notes__"), v.is_empty()) {
                (_, true) => String::new(),
                (true, false) => quote(&format!("Mail an user{r}.{}@example.org.", c.len())),
                (false, false) => quote(v),
            })
            .collect();
        input.push_str(&(cells.join(",") + "\n"));
    }
    s.write("fakes.csv", &input);
    s.write("fakes.toml", &rules);
    let out = s.anonymize(s.path("fakes.toml").to_str().unwrap(), "fakes.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    // The summary names the lists the fakes came from.
    assert!(
        stderr(&out).contains("fake lists    fake-v1") || stdout(&out).contains("fake lists    fake-v1"),
        "{}",
        stderr(&out)
    );
    let check = Command::new("python3")
        .arg(repo().join("tests/reference/check_fake.py"))
        .args([s.path("fakes.csv"), s.path("out.csv")])
        .arg("ab".repeat(32))
        .output()
        .expect("python3 is needed for the reference cross-check");
    assert!(check.status.success(), "{}\n{}", stdout(&check), stderr(&check));
    assert!(
        stdout(&check).contains(&format!("cells compared: {}", VALUES.len() * columns.len())),
        "{}",
        stdout(&check)
    );
}

/// The same value gets the same fake in every file and in every column with the same
/// domain, and a fake IBAN passes its check (mod 97, computed here on its own).
#[test]
fn the_same_value_gets_the_same_fake_in_two_files_and_fake_ibans_pass_mod_97() {
    let s = Sandbox::new();
    let rules = "version = 1\n[columns]\n\
        name = { action = \"fake\", kind = \"full_name\", locale = \"de\", domain = \"person\" }\n\
        contact = { action = \"fake\", kind = \"full_name\", locale = \"de\", domain = \"person\" }\n\
        iban = { action = \"fake\", kind = \"iban\", locale = \"de\" }\n";
    s.write("fake.toml", rules);
    s.write("a.csv", "name,contact,iban\nAnna Meier,Karl Huber,DE89370400440532013000\nKarl Huber,Anna Meier,x\n");
    s.write("b.csv", "name,contact,iban\nOtto Lang,Karl Huber,AT611904300234573201\nAnna Meier,Otto Lang,y\n");
    for (input, output) in [("a.csv", "a.out.csv"), ("b.csv", "b.out.csv")] {
        let out = s.anonymize(s.path("fake.toml").to_str().unwrap(), input, output);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let rows = |f: &str| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(s.path(f)).unwrap();
        text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
    };
    let (a, b) = (rows("a.out.csv"), rows("b.out.csv"));
    let anna = &a[0][0];
    assert!(!anna.is_empty() && anna != "Anna Meier", "{a:?}");
    // Anna Meier: file a row 0 `name`, file a row 1 `contact`, file b row 1 `name`.
    assert_eq!((&a[1][1], &b[1][0]), (anna, anna), "{a:?} {b:?}");
    // Karl Huber in both files and both columns; Otto Lang likewise.
    assert_eq!((&a[0][1], &b[0][1]), (&a[1][0], &a[1][0]), "{a:?} {b:?}");
    assert_eq!(&b[0][0], &b[1][1], "{b:?}");
    assert_ne!(&a[0][1], anna);
    for iban in [&a[0][2], &a[1][2], &b[0][2], &b[1][2]] {
        assert!(iban.starts_with("DE") && iban.len() == 22, "{iban}");
        let moved: String = iban[4..].chars().chain(iban[..4].chars()).collect();
        let digits: String =
            moved.chars().map(|c| c.to_digit(36).expect("alphanumeric").to_string()).collect::<Vec<_>>().concat();
        let rem = digits.bytes().fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97);
        assert_eq!(rem, 1, "{iban} fails mod 97");
    }
}
