//! `rules suggest` drafts a rule file from the generated customer file that passes
//! `rules check` and, applied, leaves no e-mail, phone number, IBAN or card number.

use anonymizer_core::detect::Scanner;

use crate::support::*;

#[test]
fn suggested_rules_validate_and_leave_no_contact_or_payment_data() {
    let s = Sandbox::new();
    let mut input = Vec::new();
    importd_bench::write_csv(&mut input, 3000, 21).unwrap();
    s.write("customers.csv", &input);
    let out = s.run(&["rules", "suggest", "customers.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let draft = stdout(&out);
    assert!(draft.contains("# 100 % of 1000 sampled values are valid IBANs (mod-97)"), "{draft}");
    s.write("suggested.toml", &draft);
    let check = s.run(&["rules", "check", "suggested.toml"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let run = s.anonymize("suggested.toml", "customers.csv", "out.csv");
    assert!(run.status.success(), "{}", stderr(&run));
    let output = std::fs::read_to_string(s.path("out.csv")).unwrap();
    let scanner = Scanner::builtin_only(&["email", "phone", "iban", "credit_card"]).unwrap();
    let mut found = Vec::new();
    let mut leaks = Vec::new();
    for line in output.lines() {
        scanner.scan(line, &mut found);
        leaks.extend(found.iter().map(|f| format!("{}: {}", scanner.names()[f.detector], &line[f.start..f.end])));
    }
    assert!(leaks.is_empty(), "{} findings left, e.g. {:?}", leaks.len(), &leaks[..leaks.len().min(5)]);
}

#[test]
fn semicolon_files_get_an_input_section() {
    let s = Sandbox::new();
    s.write("in.csv", "Kunde;E-Mail;Telefon\nAnna;anna@example.com;+49 170 1234567\n");
    let out = s.run(&["rules", "suggest", "in.csv"]);
    let draft = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(draft.contains("[input]\ndelimiter = \";\""), "{draft}");
    assert!(
        draft.contains("\"E-Mail\" = { action = \"pseudonymize\", domain = \"email\" }")
            || draft.contains("E-Mail = { action"),
        "{draft}"
    );
    s.write("r.toml", &draft);
    assert!(s.anonymize("r.toml", "in.csv", "out.csv").status.success());
}
