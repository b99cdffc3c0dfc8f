//! Column names and JSON keys come from the customer's file, so they may be personal data:
//! a headerless CSV read with `header = true` makes its first row of e-mails and phone
//! numbers the "column names", and JSON objects keyed by values do the same. This module
//! judges such names (spec guarantee 6). Only names a rule file lists, and plain lowercase
//! identifiers that do not look like data ([`is_plain_name`]), are shown as they are; every
//! other file-derived name is shown as `column N` (its 1-based position in the file's
//! header), through [`ColumnLabels`], which every message naming a file-derived column goes
//! through. A header row that looks like a data row as a whole
//! ([`ColumnLabels::header_looks_like_data`]) is refused by the plan.
//!
//! A name looks like data when a built-in detector (e-mail, phone, IBAN, card, IP, URL) finds
//! something in it, or when it has the shape of a value: a run of six or more digits (ids,
//! dates written `20240301`, card and phone numbers), a name without letters that holds a
//! number of three or more digits, an amount, a date or a time (`80331`, `1,234.50`,
//! `01.03.2024`, `12:30`, `€5`), or a timestamp, a date with a month name or an amount with a
//! currency code (`2024-03-01T12:00Z`, `01-Jan-2024`, `EUR 12.50`). Not data: names with
//! letters otherwise (`2fa_enabled`, `Kunden-Nr.`, `Umsatz 2024`), numbers of one or two
//! digits (`1`, `12`, `1.5`: questionnaire items, months) and years 1900–2099 (`2024`, the
//! columns of pivot tables), so a pivot table's header is not taken for a data row.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use super::{Finding, Scanner};
use crate::rule::{bounded_regex, BUILTIN_DETECTORS};

/// Digits in a row from which a name is an id, a number or a date, whatever surrounds them.
const LONG_DIGIT_RUN: usize = 6;

/// Whether a column name (or flattened JSON key) found in a file may itself be data.
///
/// ```
/// use anonymizer_core::detect::looks_like_data;
/// assert!(looks_like_data("anna.meier@example.com"));
/// assert!(looks_like_data("+49 170 1234567"));
/// assert!(looks_like_data("2024-03-01"));
/// assert!(!looks_like_data("phone_number"));
/// assert!(!looks_like_data("2024")); // a year: pivot tables have such columns
/// ```
pub fn looks_like_data(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty() && (detected(name) || value_shaped(name))
}

/// Whether a built-in detector (e-mail, phone, IBAN, card, IP, URL) finds something in it.
fn detected(name: &str) -> bool {
    let mut found: Vec<Finding> = Vec::new();
    judge().scanner.scan(name.trim(), &mut found);
    !found.is_empty()
}

/// Whether a name may be shown as it is although no rule file lists it: a lowercase ASCII
/// identifier (`amount`, `created_at`, `address.street`, `zip-code`, `line2`) that does not
/// look like data. Everything else from a file (capitalized words, spaces, non-ASCII
/// letters: `Anna`, `Hauptstraße 5`, `München`, but also `Kunde`) is shown by position only,
/// because people's names and addresses have no shape a check could tell from a header.
pub fn is_plain_name(name: &str) -> bool {
    let mut parts = name.split(['_', '.', '-']);
    let first_ok = name.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
    first_ok
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && !looks_like_data(name)
}

/// How a file-derived name at `index` (0-based) of the header is shown in messages: the name
/// itself when it [`is_plain_name`], or `column {index + 1}`.
pub fn column_label(name: &str, index: usize) -> Cow<'_, str> {
    if is_plain_name(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(position(index))
    }
}

/// Whether a header row, as a whole, looks like a row of data (no name is trusted): see
/// [`ColumnLabels::header_looks_like_data`].
pub fn header_looks_like_data(header: &[String]) -> bool {
    ColumnLabels::new(header).header_looks_like_data()
}

fn position(index: usize) -> String {
    format!("column {}", index + 1)
}

/// The labels of one file's header, judged once: every message that names a column taken
/// from the file asks here. A name that looks like data is shown as `column N`; a trusted
/// name (one the rule file itself writes) is shown as written. Holds no name that looks
/// like data, so its `Debug` is safe too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnLabels {
    labels: Vec<String>,
    data: Vec<bool>,
    /// Untrusted names in which a built-in detector finds something.
    detected: usize,
    /// Non-empty names (empty ones are neither data nor names).
    named: usize,
}

impl ColumnLabels {
    /// Judges every name of `header`; none is trusted.
    pub fn new(header: &[String]) -> ColumnLabels {
        ColumnLabels::trusting(header, |_| false)
    }

    /// Judges every name of `header` except those `trusted` says the customer wrote (the
    /// names a rule file lists), which are safe to show whatever they look like.
    pub fn trusting(header: &[String], trusted: impl Fn(&str) -> bool) -> ColumnLabels {
        let data: Vec<bool> = header.iter().map(|n| !trusted(n) && looks_like_data(n)).collect();
        let detected = header.iter().filter(|n| !trusted(n) && detected(n)).count();
        let labels =
            header
                .iter()
                .enumerate()
                .map(|(i, n)| if trusted(n) || is_plain_name(n) { n.clone() } else { position(i) });
        let named = header.iter().filter(|n| !n.trim().is_empty()).count();
        ColumnLabels { labels: labels.collect(), data, detected, named }
    }

    /// How column `index` (0-based) is shown: its name, or `column {index + 1}`. An index
    /// past the header is shown by position too.
    pub fn label(&self, index: usize) -> Cow<'_, str> {
        match self.labels.get(index) {
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(position(index)),
        }
    }

    /// Whether the name of column `index` looks like data (and is not trusted).
    pub fn is_data(&self, index: usize) -> bool {
        self.data.get(index).copied().unwrap_or(false)
    }

    /// Columns whose name looks like data.
    pub fn data_like(&self) -> usize {
        self.data.iter().filter(|d| **d).count()
    }

    /// Columns in the header.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the header has no columns.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Whether the header row looks like a data row: a built-in detector finds an e-mail
    /// address, phone number, IBAN, card number, IP address or URL in a name no rule lists,
    /// or at least half of its non-empty names look like data. A headerless file of
    /// customers (`4711,Anna,Meier,Hauptstraße 5,80331,München,anna@example.com`) does; a
    /// header with one odd name among ordinary ones (`id,2021,note`) does not. A real
    /// header with such a name passes once the rule file lists that column.
    pub fn header_looks_like_data(&self) -> bool {
        let data = self.data_like();
        self.detected > 0 || (data > 0 && 2 * data >= self.named)
    }
}

/// The built-in detectors and the value shapes, compiled once per process.
struct Judge {
    scanner: Scanner,
    /// Shapes of values that contain letters.
    lettered: Regex,
}

fn judge() -> &'static Judge {
    static JUDGE: OnceLock<Judge> = OnceLock::new();
    JUDGE.get_or_init(|| {
        let detectors: Vec<String> = BUILTIN_DETECTORS.iter().map(|d| d.to_string()).collect();
        const MONTH: &str = "(?:jan|feb|mar|mär|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez)[[:alpha:]]*\\.?";
        let lettered = [
            // ISO 8601 timestamps: 2024-03-01T12:00:00Z, 2024-03-01 12:00+01:00.
            r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?".to_string(),
            // Dates with a month name: 01-Jan-2024, 1. März 2024, Jan 1, 2024.
            format!(r"\d{{1,2}}\.?[- ]?{MONTH}[- ]?\d{{2,4}}"),
            format!(r"{MONTH} \d{{1,2}},? \d{{4}}"),
            // Amounts with a currency code: EUR 12.50, 1.200,00 CHF.
            r"(?:EUR|USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN|CZK|HUF|CAD|AUD)\s?[-+]?\d[\d.,' ]*".to_string(),
            r"[-+]?\d[\d.,' ]*\s?(?:EUR|USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN|CZK|HUF|CAD|AUD)".to_string(),
        ];
        let lettered = format!("(?i)^(?:{})$", lettered.join("|"));
        Judge {
            // The built-in patterns are literals, compiled by every detector test.
            scanner: Scanner::new(&detectors, &[]).expect("built-in detectors compile"),
            // A literal pattern, compiled by this module's tests.
            lettered: bounded_regex(&lettered).expect("the value-shape pattern compiles"),
        }
    })
}

/// Whether a trimmed, non-empty name has the shape of a value (see the module docs).
fn value_shaped(name: &str) -> bool {
    let digits = name.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    if longest_digit_run(name) >= LONG_DIGIT_RUN {
        return true;
    }
    if name.chars().any(char::is_alphabetic) {
        return judge().lettered.is_match(name);
    }
    // No letters: a number, amount, date, time or digit group. Currency symbols mark an
    // amount whatever its size; otherwise one or two digits and years stay names.
    let currency = name.contains(['€', '$', '£', '¥', '₣', '₤', '₹', '₽', '₺', '₩', '₪']);
    let year = name.len() == 4 && (name.starts_with("19") || name.starts_with("20")) && digits == 4;
    currency || (digits > 2 && !year)
}

fn longest_digit_run(name: &str) -> usize {
    name.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ordinary_header_names_are_names() {
        let ordinary = [
            "id",
            "ID",
            "email",
            "E-Mail",
            "e_mail_address",
            "phone_number",
            "Telefon (mobil)",
            "created_at",
            "updated_at_utc",
            "zip",
            "PLZ",
            "2fa_enabled",
            "address.street",
            "address.line_1",
            "Kunden-Nr.",
            "Straße",
            "Geburtsdatum",
            "First Name",
            "date of birth",
            "Betrag in €",
            "Anteil %",
            "Umsatz 2024",
            "Q1 2024",
            "KW 12",
            "ip_address",
            "website_url",
            "iban",
            "column_1",
            "v2",
            "x",
            "#",
            "1",
            "12",
            "1.5",
            "2024",
            "1999",
            "",
            "   ",
            "名前",
            "número de teléfono",
        ];
        for name in ordinary {
            assert!(!looks_like_data(name), "{name:?} was taken for data");
            // Shown as written only when it is a plain lowercase identifier.
            let shown = if is_plain_name(name) { name.to_string() } else { "column 5".to_string() };
            assert_eq!(column_label(name, 4), shown);
        }
    }

    #[test]
    fn data_shaped_names_are_data() {
        let data = [
            // Detectors.
            "anna.meier@example.com",
            " anna@example.com ",
            "anna@example.com.x",
            "+49 170 1234567",
            "0170 1234567",
            "(415) 555-0132",
            "DE89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
            "4111 1111 1111 1111",
            "192.168.0.1",
            "2001:db8::1",
            "https://example.com/anna",
            "www.example.com",
            // Numbers, amounts, ids.
            "80331",
            "4711",
            "123",
            "1,234.50",
            "1.234,50",
            "-17.5",
            "€5",
            "12,50 €",
            "$ 1200",
            "EUR 12.50",
            "1.200,00 CHF",
            "K0012345",
            "kunde_4711234",
            // Dates, times, timestamps.
            "2024-03-01",
            "01.03.2024",
            "3/1/24",
            "20240301",
            "12:30",
            "2024-03-01 12:00:00",
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00.123+01:00",
            "01-Jan-2024",
            "1. März 2024",
            "Jan 1, 2024",
        ];
        for name in data {
            assert!(looks_like_data(name), "{name:?} was taken for a name");
            assert_eq!(column_label(name, 4), "column 5", "{name:?}");
        }
    }

    #[test]
    fn labels_show_data_like_names_by_position() {
        let header = names(&["id", "anna@example.com", "zip"]);
        let labels = ColumnLabels::new(&header);
        assert_eq!((labels.label(0), labels.label(1), labels.label(2)), ("id".into(), "column 2".into(), "zip".into()));
        assert_eq!(labels.label(7), "column 8");
        assert!(labels.is_data(1) && !labels.is_data(0) && !labels.is_data(9));
        assert_eq!((labels.data_like(), labels.len()), (1, 3));
        assert!(!format!("{labels:?}").contains("anna"));
        // A name the rule file writes is the customer's own and shown as written.
        let trusted = ColumnLabels::trusting(&header, |n| n == "anna@example.com");
        assert_eq!(trusted.label(1), "anna@example.com");
        assert_eq!(trusted.data_like(), 0);
    }

    #[test]
    fn header_rows_that_look_like_data_rows() {
        let cases: &[(&[&str], bool)] = &[
            // A headerless file's first row.
            (&["anna.meier@example.com", "+49 170 1234567"], true),
            (&["4711", "Anna", "Meier", "anna@example.com", "+49 170 1234567", "80331"], true),
            (&["2024-03-01", "Berlin", "12.50", "DE89370400440532013000"], true),
            (&["anna@example.com"], true),
            (&["anna@example.com.x", "bob@example.com.x"], true),
            // Ordinary headers, one odd name among them, pivot tables.
            (&["id", "email", "phone_number", "created_at", "zip", "2fa_enabled"], false),
            (&["id", "name", "80331", "zip"], false),
            // One name a detector finds something in is enough (unless the rules list it).
            (&["id", "name", "anna@example.com", "zip"], true),
            (&["4711", "Anna", "Meier", "Hauptstraße 5", "80331", "München", "anna.meier@example.com"], true),
            (&["region", "2021", "2022", "2023", "2024"], false),
            (&["id", "", "", "x"], false),
            (&[], false),
            // Empty names do not count; half is enough.
            (&["anna@example.com", "", ""], true),
            (&["id", "anna@example.com"], true),
        ];
        for (header, want) in cases {
            assert_eq!(header_looks_like_data(&names(header)), *want, "{header:?}");
        }
        // Names the rule file lists count as safe.
        let header = names(&["anna@example.com", "+49 170 1234567", "id"]);
        assert!(!ColumnLabels::trusting(&header, |n| n != "id").header_looks_like_data());
    }

    #[test]
    fn only_plain_lowercase_identifiers_are_shown_as_written() {
        for name in ["amount", "created_at", "address.street", "zip-code", "line2", "e_mail", "x"] {
            assert!(is_plain_name(name), "{name:?}");
        }
        // People's and places' names, capitalized headers, spaces, non-ASCII, values.
        for name in
            ["Anna", "Meier", "Hauptstraße 5", "München", "Kunde", "ID", "Anna Meier", "@anna", "80331", "a__b", ""]
        {
            assert!(!is_plain_name(name), "{name:?}");
        }
        let labels = ColumnLabels::trusting(&names(&["id", "Anna", "Kunde", "amount"]), |n| n == "Kunde");
        let shown: Vec<String> = (0..4).map(|i| labels.label(i).into_owned()).collect();
        assert_eq!(shown, ["id", "column 2", "Kunde", "amount"]);
    }

    #[test]
    fn very_long_and_unicode_names_are_judged_without_panicking() {
        let long = "a".repeat(100_000);
        assert!(!looks_like_data(&long));
        assert!(looks_like_data(&"9".repeat(100_000)));
        assert!(!looks_like_data("Ünïcödé-Spälte ✓"));
        assert!(looks_like_data("ü 2024-03-01T12:00:00Z ü 4711234"));
    }
}
