//! Column names and JSON keys come from the file (spec guarantee 6): a headerless file read
//! with `header = true` is refused without showing its first row, a name that looks like data
//! is shown as `column N`, and `header = false` reads the same file. Real bytes through
//! `open_source` and `RulePlan::new`, as the daemon does; each value is a canary that must
//! not appear in any error text.

use std::sync::Arc;

use anonymizer_core::error::InputProblem;
use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::{parse_rules, Error, ErrorKind, MasterKey, RulePlan};

const CANARIES: &[&str] = &["anna.meier@example.com", "+49 170 1234567", "bob@example.com", "+49 171 7654321"];

const CONTACTS: &str = "anna.meier@example.com,+49 170 1234567\nbob@example.com,+49 171 7654321\n";

const KEYED: &str = "{\"anna.meier@example.com\": {\"x\": 1}}\n{\"bob@example.com\": {\"x\": 2}}\n";

/// Opens `bytes` named `name` under `rules` and binds the plan.
fn bind(rules: &str, name: &str, bytes: &str) -> Result<(RulePlan, anonymizer_core::io::Source), Error> {
    let rules = parse_rules(&format!("version = 1\n{rules}"), "r.toml").unwrap();
    let input = Input::Stream(Box::new(std::io::Cursor::new(bytes.as_bytes().to_vec())));
    let source = open_source(input, name, &rules.input, &SourceOptions::default())?;
    let rules = rules.with_file_types(&source.types);
    let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &source.header)?;
    Ok((plan, source))
}

fn assert_no_canary(e: &Error) {
    for text in [e.to_string(), format!("{e:?}")] {
        for canary in CANARIES {
            assert!(!text.contains(canary), "{canary:?} leaked: {text}");
        }
    }
}

#[test]
fn headerless_files_read_with_a_header_are_refused_without_their_values() {
    for (name, bytes) in [("contacts.csv", CONTACTS), ("contacts.jsonl", KEYED)] {
        let Err(e) = bind("unlisted = \"reject\"\n", name, bytes) else { panic!("{name} was bound") };
        assert_no_canary(&e);
        assert!(matches!(e.kind(), ErrorKind::HeaderLooksLikeData { columns: 2, data_like: 2 }), "{name}: {e:?}");
        assert!(e.to_string().contains("set [input] header = false if the file has no header row"), "{e}");
    }
}

#[test]
fn with_header_false_the_same_files_are_read() {
    let rules = "unlisted = \"reject\"\n[input]\nheader = false\n[columns]\ncolumn_1 = { action = \"pseudonymize\", prefix = \"u_\" }\ncolumn_2 = \"drop\"\n";
    let (plan, mut source) = bind(rules, "contacts.csv", CONTACTS).unwrap();
    let batch = source.reader.next_batch().unwrap().unwrap().decode().unwrap();
    let out = plan.apply(&batch).unwrap().batch;
    assert_eq!((out.num_rows(), out.num_columns()), (2, 1));
    let text = format!("{out:?}");
    assert!(CANARIES.iter().all(|c| !text.contains(c)), "{text}");

    // JSON Lines keys stay column names; `header = false` only turns the refusal off, and a
    // key that looks like data is still named by position.
    let Err(e) = bind("unlisted = \"reject\"\n[input]\nheader = false\n", "contacts.jsonl", KEYED) else {
        panic!("bound")
    };
    assert_no_canary(&e);
    assert!(e.to_string().contains("no rule names columns `column 1`, `column 2`"), "{e}");
}

#[test]
fn one_name_that_looks_like_data_is_shown_by_position() {
    // A value-shaped name among ordinary ones (an e-mail address would make the row data).
    let csv = "id,80331,zip,name\n1,x,80331,Anna\n";
    let Err(e) =
        bind("unlisted = \"reject\"\n[columns]\nid = \"keep\"\nzip = \"drop\"\nname = \"drop\"\n", "f.csv", csv)
    else {
        panic!("bound")
    };
    assert_no_canary(&e);
    let ErrorKind::Schema(problems) = e.kind() else { panic!("{e:?}") };
    assert_eq!(problems[0].column, "column 2");
    assert!(e.to_string().contains("no rule names column `column 2`"), "{e}");

    // A list under a key that looks like data, among ordinary keys.
    let jsonl = "{\"id\": 1, \"name\": \"x\", \"tags\": {\"anna.meier@example.com\": [1, 2]}}\n";
    let Err(e) = bind("", "f.jsonl", jsonl) else { panic!("bound") };
    assert_no_canary(&e);
    assert!(
        matches!(e.kind(), ErrorKind::Input { problem: InputProblem::Nested { column }, .. } if column == "column 3"),
        "{e:?}"
    );
}
