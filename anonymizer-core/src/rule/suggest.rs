//! `rules suggest`: a starter rule file drafted from a sample of a file's rows, one rule per
//! column with a comment saying why (column-name heuristics in several languages and what
//! the detectors find in the values). The draft always validates; the author reviews it.

use arrow_array::{Array, RecordBatch, StringArray};

use crate::detect::{Finding, Scanner};
use crate::rule::validate::BUILTIN_DETECTORS;
use crate::rule::{Encoding, InputOptions};

/// What the sampled values of one column look like.
#[derive(Debug, Default)]
struct Profile {
    values: usize,
    /// Per built-in detector: values that are entirely one finding of it.
    whole: Vec<usize>,
    /// Per built-in detector: values that contain a finding of it.
    inside: Vec<usize>,
    iso_dates: usize,
    texty: usize,
}

/// Profiles a column's sampled values. A value is also read after its column's name as a
/// label (`"steuer id: 45078298314"`), as a person would read the table: identifiers that
/// are plain digit runs are found only next to a word of their kind.
fn profile(name: &str, col: &StringArray, scanner: &Scanner) -> Profile {
    let mut p =
        Profile { whole: vec![0; scanner.names().len()], inside: vec![0; scanner.names().len()], ..Default::default() };
    let mut found: Vec<Finding> = Vec::new();
    let label: String = name.chars().map(|c| if c == '_' || c == '-' { ' ' } else { c }).collect();
    let mut labelled = String::new();
    for i in 0..col.len() {
        if col.is_null(i) {
            continue;
        }
        let v = col.value(i).trim();
        if v.is_empty() {
            continue;
        }
        p.values += 1;
        labelled.clear();
        labelled.push_str(&label);
        labelled.push_str(": ");
        let at = labelled.len();
        labelled.push_str(v);
        scanner.scan(&labelled, &mut found);
        for f in found.iter().filter(|f| f.start == at && f.end == labelled.len()) {
            p.whole[f.detector] += 1;
        }
        scanner.scan(v, &mut found);
        let mut seen = vec![false; scanner.names().len()];
        for f in &found {
            seen[f.detector] = true;
        }
        for (d, s) in seen.iter().enumerate() {
            p.inside[d] += usize::from(*s);
        }
        let b = v.as_bytes();
        if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit) {
            p.iso_dates += 1;
        }
        if v.split_whitespace().count() >= 4 {
            p.texty += 1;
        }
    }
    p
}

/// Column-name hints: (lower-case name fragments, kind).
const NAME_HINTS: &[(&[&str], &str)] = &[
    (&["email", "e-mail", "e_mail", "mail", "courriel"], "email"),
    (&["phone", "telefon", "tel", "mobil", "handy", "fax", "téléphone", "portable"], "phone"),
    (&["iban", "bank_account", "konto"], "iban"),
    (&["card", "kreditkarte", "carte", "cc_number", "pan"], "credit_card"),
    (&["ip", "ip_address", "ipaddr", "client_ip"], "ip"),
    (&["first_name", "firstname", "vorname", "prenom", "prénom", "given_name"], "name"),
    (&["last_name", "lastname", "surname", "nachname", "nom", "family_name", "full_name", "name"], "name"),
    (&["birth", "geburt", "dob", "naissance", "born"], "birth"),
    (&["street", "strasse", "straße", "adresse", "address", "rue", "addr"], "street"),
    (&["zip", "plz", "postcode", "postal", "code_postal", "postleitzahl"], "zip"),
    (
        &["notes", "note", "comment", "kommentar", "bemerkung", "description", "text", "message", "body", "remarque"],
        "text",
    ),
    (&["customer_id", "kunden", "client_id", "user_id", "account_id", "member", "loyalty", "_id", "id"], "id"),
];

fn name_hint(name: &str) -> Option<&'static str> {
    let n = name.to_lowercase();
    let words: Vec<&str> = n.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    NAME_HINTS.iter().find_map(|(frags, kind)| {
        frags
            .iter()
            .any(|f| {
                if f.len() <= 3 || *f == "name" || *f == "mail" || *f == "text" || *f == "note" || *f == "body" {
                    words.contains(f) || n == *f || (f.starts_with('_') && n.ends_with(f))
                } else {
                    n.contains(f)
                }
            })
            .then_some(*kind)
    })
}

/// The drafted rule for each kind of personal data.
const EMAIL: &str = "{ action = \"pseudonymize\", domain = \"email\" }";
const IBAN: &str = "{ action = \"pseudonymize\", domain = \"iban\" }";
const CARD: &str = "{ action = \"mask\", keep_last = 4, preserve = \" -\" }";
const PHONE: &str = "{ action = \"mask\", keep_last = 2, preserve = \" +-()/.\" }";
const IP: &str = "{ action = \"pseudonymize\", domain = \"ip\" }";

fn pct(n: usize, of: usize) -> String {
    format!("{:.0} %", 100.0 * n as f64 / of.max(1) as f64)
}

/// A TOML key for a column name: bare when possible, quoted otherwise.
fn toml_key(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        name.to_string()
    } else {
        let escaped: String = name
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                c if c.is_control() => format!("\\u{:04X}", c as u32),
                c => c.to_string(),
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

/// Drafts a rule file for `batch` (a sample of the file, all columns as text). `origin`
/// names the sampled file in the header comment.
/// `input` is how the sample was read; a non-default delimiter or encoding becomes `[input]`.
pub fn suggest(batch: &RecordBatch, origin: &str, input: &InputOptions) -> String {
    let scanner = Scanner::builtin_only(BUILTIN_DETECTORS).expect("built-in detectors compile"); // ok: fixed patterns
    let names = scanner.names().to_vec();
    let idx = |k: &str| names.iter().position(|n| n == k).unwrap_or(0);
    let mut types = Vec::new();
    let mut lines = Vec::new();
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let name = field.name();
        let key = toml_key(name);
        let Some(col) = array.as_any().downcast_ref::<StringArray>() else { continue };
        let p = profile(name, col, &scanner);
        let n = p.values;
        let share = |d: &str| p.whole[idx(d)] as f64 / n.max(1) as f64;
        // The detector most values are entirely a finding of, if at least half are.
        let best = names
            .iter()
            .map(|d| (d.as_str(), share(d)))
            .filter(|(d, _)| *d != "date_of_birth")
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(_, s)| *s >= 0.5);
        let hint = name_hint(name);
        let of = |d: &str, what: &str| format!("{} of {n} sampled values are {what}", pct(p.whole[idx(d)], n));
        let (why, rule) = match (best, hint) {
            (Some(("email", _)), _) => (of("email", "e-mail addresses"), EMAIL.to_string()),
            (Some(("iban", _)), _) => (of("iban", "valid IBANs (mod-97)"), IBAN.to_string()),
            (Some(("credit_card", _)), _) => (of("credit_card", "Luhn-valid card numbers"), CARD.to_string()),
            (Some(("phone", _)), _) => (of("phone", "phone numbers"), PHONE.to_string()),
            (Some(("ipv4" | "ipv6", _)), _) => (
                format!(
                    "{} of {n} sampled values are IP addresses",
                    pct(p.whole[idx("ipv4")] + p.whole[idx("ipv6")], n)
                ),
                IP.to_string(),
            ),
            (Some(("url", _)), _) => (of("url", "URLs"), "\"drop\"".to_string()),
            (Some(("person_name", _)), _) => (of("person_name", "names of people"), "\"drop\"".to_string()),
            (Some(("street_address", _)), _) => (of("street_address", "street addresses"), "\"drop\"".to_string()),
            // A national identifier: a keyed token keeps joins, with the kind as its domain.
            (Some((id, _)), _) => (
                of(id, &format!("valid `{id}` identifiers")),
                format!("{{ action = \"pseudonymize\", domain = \"{id}\" }}"),
            ),
            (_, Some("name")) => (format!("the column name `{name}` suggests personal names"), "\"drop\"".to_string()),
            (_, Some("street")) => {
                (format!("the column name `{name}` suggests street addresses"), "\"drop\"".to_string())
            }
            (_, Some("birth")) => {
                if p.iso_dates * 2 >= n && n > 0 {
                    types.push(format!("{key} = \"date\""));
                }
                (
                    format!("the column name `{name}` suggests birth dates; keep only the year"),
                    "{ action = \"generalize\", to = \"year\" }".to_string(),
                )
            }
            (_, Some("zip")) => (
                format!("the column name `{name}` suggests postal codes; keep the region"),
                "{ action = \"truncate\", keep_first = 2 }".to_string(),
            ),
            (_, Some("email")) => (format!("the column name `{name}` suggests e-mail addresses"), EMAIL.to_string()),
            (_, Some("phone")) => (format!("the column name `{name}` suggests phone numbers"), PHONE.to_string()),
            (_, Some("iban")) => (format!("the column name `{name}` suggests bank accounts"), IBAN.to_string()),
            (_, Some("credit_card")) => (format!("the column name `{name}` suggests card numbers"), CARD.to_string()),
            (_, Some("ip")) => (format!("the column name `{name}` suggests IP addresses"), IP.to_string()),
            (_, hint) => {
                let found: Vec<&str> = names.iter().map(String::as_str).filter(|d| p.inside[idx(d)] > 0).collect();
                let texty = hint == Some("text") || (p.texty * 3 >= n && n > 0);
                let list = |ds: &[&str]| ds.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ");
                // Free text gets every detector: what a sample lacks, the next file may hold.
                if texty && !found.is_empty() {
                    let total: usize = found.iter().map(|d| p.inside[idx(d)]).sum();
                    (
                        format!("free text: {total} findings ({}) in {n} sampled values", found.join(", ")),
                        "{ action = \"redact\", detect = [\"all\"] }".to_string(),
                    )
                } else if texty {
                    (
                        format!("free text with no personal data found in {n} sampled values; redact to be safe"),
                        "{ action = \"redact\", detect = [\"all\"] }".to_string(),
                    )
                } else if hint == Some("id") {
                    (format!("the column name `{name}` suggests an identifier"), "\"pseudonymize\"".to_string())
                } else if !found.is_empty() {
                    let total: usize = found.iter().map(|d| p.inside[idx(d)]).sum();
                    (
                        format!("{total} of {n} sampled values hold personal data ({})", found.join(", ")),
                        format!("{{ action = \"redact\", detect = [{}] }}", list(&found)),
                    )
                } else {
                    (
                        format!("no personal data detected in {n} sampled values; review before keeping"),
                        "\"keep\"".to_string(),
                    )
                }
            }
        };
        lines.push(format!("# {why}\n{key} = {rule}"));
    }
    let mut out = format!(
        "# Drafted by `importd rules suggest` from a sample of {origin} ({} rows).\n# Review every rule, add [[examples]], then run `importd rules check`.\nversion = 1\nunlisted = \"drop\"\non_invalid = \"null\"\n",
        batch.num_rows()
    );
    let delimiter = input.delimiter.unwrap_or(b',');
    let encoding = match input.encoding {
        Encoding::Auto | Encoding::Utf8 => None,
        Encoding::Utf16 => Some("utf-16"),
        Encoding::Windows1252 => Some("windows-1252"),
        Encoding::Latin1 => Some("latin-1"),
    };
    // A sniffed single quote is written out, so the draft says how the sample was read.
    let single_quote = input.quote == Some(b'\'');
    if delimiter != b',' || encoding.is_some() || single_quote {
        let delimiter = if delimiter == b'\t' { "\\t".to_string() } else { char::from(delimiter).to_string() };
        out.push_str(&format!("\n[input]\ndelimiter = \"{delimiter}\"\n"));
        if single_quote {
            out.push_str("quote = \"'\"\n");
        }
        if let Some(e) = encoding {
            out.push_str(&format!("encoding = \"{e}\"\n"));
        }
    }
    if !types.is_empty() {
        out.push_str("\n[types]\n");
        for t in types {
            out.push_str(&t);
            out.push('\n');
        }
    }
    out.push_str("\n[columns]\n");
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn drafts_rules_by_content_and_name_and_validates() {
        let col = |v: Vec<&str>| Arc::new(StringArray::from(v)) as arrow_array::ArrayRef;
        let batch = RecordBatch::try_from_iter([
            ("Kontakt", col(vec!["anna@example.com", "bob@example.de", "c@example.fr"])),
            ("Vorname", col(vec!["Anna", "Bob", "Chloé"])),
            ("geburtsdatum", col(vec!["1987-03-14", "1990-01-01", "2001-12-31"])),
            ("PLZ", col(vec!["80331", "10115", "75008"])),
            ("bemerkung", col(vec!["ruft an unter +49 170 1234567", "alles ok", "mail an x@example.com"])),
            ("status \"x\"", col(vec!["active", "active", "test"])),
            ("steuer_id", col(vec!["45078298314", "36574261809", "10344467591"])),
        ])
        .unwrap();
        let draft = suggest(&batch, "sample.csv", &InputOptions::default());
        assert!(draft.contains("# 100 % of 3 sampled values are e-mail addresses\nKontakt = { action = \"pseudonymize\", domain = \"email\" }"), "{draft}");
        assert!(draft.contains("Vorname = \"drop\""), "{draft}");
        assert!(
            draft.contains("geburtsdatum = { action = \"generalize\", to = \"year\" }")
                && draft.contains("geburtsdatum = \"date\""),
            "{draft}"
        );
        assert!(draft.contains("PLZ = { action = \"truncate\", keep_first = 2 }"), "{draft}");
        assert!(draft.contains("bemerkung = { action = \"redact\", detect = [\"all\"] }"), "{draft}");
        assert!(draft.contains("# free text: 2 findings (email, phone) in 3 sampled values"), "{draft}");
        // Plain digit runs are tax ids next to the column's name (python-stdnum validates
        // them: 45078298314, 36574261809, 10344467591).
        assert!(draft.contains("steuer_id = { action = \"pseudonymize\", domain = \"de_tax_id\" }"), "{draft}");
        assert!(draft.contains("# 100 % of 3 sampled values are valid `de_tax_id` identifiers"), "{draft}");
        assert!(draft.contains("\"status \\\"x\\\"\" = \"keep\""), "{draft}");
        crate::parse_rules(&draft, "draft.toml").unwrap();
    }

    #[test]
    fn a_sniffed_single_quote_is_written_into_the_draft() {
        let batch =
            RecordBatch::try_from_iter([("note", Arc::new(StringArray::from(vec!["a"])) as arrow_array::ArrayRef)])
                .unwrap();
        let input = InputOptions { delimiter: Some(b','), quote: Some(b'\''), ..InputOptions::default() };
        let draft = suggest(&batch, "sample.csv", &input);
        let rules = crate::parse_rules(&draft, "draft.toml").unwrap();
        assert_eq!(rules.input.quote, Some(b'\''), "{draft}");
        let plain = suggest(&batch, "sample.csv", &InputOptions { quote: Some(b'"'), ..InputOptions::default() });
        assert!(!plain.contains("[input]"), "{plain}");
    }
}
