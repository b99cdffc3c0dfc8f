//! Tests of `rule::plan`.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};

use super::*;
use crate::key::MasterKey;
use crate::rule::parse_rules;

/// Values that stand in a header row where names were expected: none may appear in an
/// error's text or debug output.
const CANARIES: &[&str] = &["anna.meier@example.com", "+49 170 1234567", "bob@example.com", "4711234"];

fn plan(rules: &str, header: &[&str]) -> Result<RulePlan, Error> {
    let rules = parse_rules(&format!("version = 1\n{rules}"), "r.toml").unwrap();
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &header)
}

fn assert_no_canary(e: &Error) {
    for text in [e.to_string(), format!("{e:?}")] {
        for canary in CANARIES {
            assert!(!text.contains(canary), "{canary:?} leaked: {text}");
        }
    }
}

#[derive(Debug)]
enum Want {
    /// Refused as `HeaderLooksLikeData { columns, data_like }`.
    Refused(usize, usize),
    /// A schema error whose text contains this.
    Schema(&'static str),
    Bound,
}

#[test]
fn header_rows_and_names_that_look_like_data_are_never_shown() {
    const REJECT: &str = "unlisted = \"reject\"\n";
    let cases: &[(&str, &str, &[&str], Want)] = &[
        (
            "a headerless CSV of e-mails and phone numbers",
            REJECT,
            &["anna.meier@example.com", "+49 170 1234567"],
            Want::Refused(2, 2),
        ),
        (
            "JSON Lines objects keyed by e-mails, flattened",
            REJECT,
            &["anna.meier@example.com.x", "bob@example.com.x"],
            Want::Refused(2, 2),
        ),
        (
            "refused whatever `unlisted` says",
            "unlisted = \"keep\"\n",
            &["bob@example.com", "80331"],
            Want::Refused(2, 2),
        ),
        (
            "one value-shaped name among ordinary ones is shown by position",
            "unlisted = \"reject\"\n[columns]\nid = \"keep\"\nzip = \"drop\"\n",
            &["id", "80331", "zip", "name"],
            Want::Schema("no rule names columns `column 2`, `name`"),
        ),
        (
            "one name a detector finds an e-mail in makes the row data",
            "unlisted = \"reject\"\n[columns]\nid = \"keep\"\nzip = \"drop\"\n",
            &["id", "anna.meier@example.com", "zip", "name"],
            Want::Refused(4, 1),
        ),
        (
            "a headerless row of a customer: names and places are never shown",
            "unlisted = \"reject\"\n",
            &["4711", "Anna", "Meier", "Hauptstraße 5", "80331", "München", "anna.meier@example.com"],
            // 4711, 80331, the e-mail address and (street_address) Hauptstraße 5.
            Want::Refused(7, 4),
        ),
        (
            "capitalized and non-ASCII names from the file are shown by position",
            "unlisted = \"reject\"\n",
            &["Anna", "Meier", "München"],
            Want::Schema("no rule names columns `column 1`, `column 2`, `column 3`"),
        ),
        (
            "a near miss is not suggested when the header name looks like data",
            "[columns]\nkunde_4711235 = \"drop\"\n",
            &["id", "name", "kunde_4711234"],
            Want::Schema("set on_missing = \"ignore\""),
        ),
        (
            "header = false: the numbered names bind",
            "unlisted = \"reject\"\n[input]\nheader = false\n[columns]\ncolumn_1 = \"drop\"\ncolumn_2 = \"drop\"\n",
            &["column_1", "column_2"],
            Want::Bound,
        ),
        (
            "header = false turns the refusal off, names are still shown by position",
            "unlisted = \"reject\"\n[input]\nheader = false\n",
            &["anna.meier@example.com", "+49 170 1234567"],
            Want::Schema("no rule names columns `column 1`, `column 2`"),
        ),
        (
            "names the rule file lists are the customer's own",
            "unlisted = \"reject\"\n[columns]\n\"2024-01-01\" = \"keep\"\n\"2024-01-02\" = \"keep\"\n",
            &["2024-01-01", "2024-01-02", "region"],
            Want::Schema("no rule names column `region`"),
        ),
        (
            "an ordinary header binds, one odd name and all",
            "unlisted = \"keep\"\n",
            &["id", "email", "phone_number", "created_at", "zip", "2fa_enabled", "Kunden-Nr.", "80331"],
            Want::Bound,
        ),
    ];
    for (what, rules, header, want) in cases {
        let got = plan(rules, header);
        match (want, &got) {
            (Want::Bound, Ok(_)) => {}
            (Want::Refused(columns, data_like), Err(e)) => {
                assert_no_canary(e);
                match e.kind() {
                    ErrorKind::HeaderLooksLikeData { columns: c, data_like: d } => {
                        assert_eq!((c, d), (columns, data_like), "{what}")
                    }
                    other => panic!("{what}: {other:?}"),
                }
                assert!(e.to_string().contains("set [input] header = false"), "{what}: {e}");
                assert!(e.is_input_error());
            }
            (Want::Schema(text), Err(e)) => {
                assert_no_canary(e);
                assert!(matches!(e.kind(), ErrorKind::Schema(_)), "{what}: {e:?}");
                assert!(e.to_string().contains(text), "{what}: {e}");
            }
            _ => panic!("{what}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn type_problems_and_invalid_cells_name_file_columns_by_position() {
    // A `[[patterns]]` rule reaches a column the rule file does not name.
    let patterns = "[[patterns]]\ncolumns = \"^80\"\naction = \"generalize\"\nto = \"year\"\non_invalid = \"fail\"\n";
    let header = ["id", "80331", "zip"];
    // The file (Parquet, Arrow) says the column is an int: `generalize to` cannot apply.
    let rules = parse_rules(&format!("version = 1\n{patterns}"), "r.toml").unwrap();
    let typed = rules.with_file_types(&[("80331".into(), DataType::Int64)]);
    let names: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let e = RulePlan::new(Arc::new(typed), &MasterKey::test_key().key_set(), &names).unwrap_err();
    assert_no_canary(&e);
    let ErrorKind::Schema(problems) = e.kind() else { panic!("{e:?}") };
    assert_eq!(problems[0].column, "column 2");
    assert!(problems[0].message.starts_with("column `column 2`: generalize with `to`"), "{e}");

    // As text, the value is not a date and the rule says fail.
    let plan = plan(patterns, &header).unwrap();
    assert_eq!(plan.column_labels().label(1), "column 2");
    let column = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let batch = RecordBatch::try_from_iter(
        header.iter().zip([column("1"), column("not a date"), column("80331")]).map(|(h, c)| (*h, c)),
    )
    .unwrap();
    let e = plan.apply(&batch).unwrap_err();
    assert_no_canary(&e);
    assert!(matches!(e.kind(), ErrorKind::InvalidCell { column, .. } if column == "column 2"), "{e:?}");
}
