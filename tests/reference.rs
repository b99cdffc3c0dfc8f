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
