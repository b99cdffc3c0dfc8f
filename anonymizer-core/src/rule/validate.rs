//! Rule file text → validated [`Rules`], with every problem reported at once.

use regex::Regex;
use ring::digest;

use super::diagnostic::{Diagnostics, Sink};
use super::model::*;
use super::syntax::{parse_document, Reader, Table};

/// Built-in detector names for `redact`.
pub const BUILTIN_DETECTORS: &[&str] = &[
    "email",
    "phone",
    "iban",
    "credit_card",
    "ipv4",
    "ipv6",
    "url",
    // national_id (detect/national/)
    "de_tax_id",
    "de_vat_id",
    "de_social_security",
    "de_id_card",
    "at_social_security",
    "ch_ahv",
    "fr_nir",
    "uk_nino",
    "uk_nhs",
    "us_ssn",
    "nl_bsn",
    "es_dni",
    "es_nie",
    "it_fiscal_code",
    "pl_pesel",
    "be_national_number",
    // The `person` group.
    "person_name",
    "street_address",
    "date_of_birth",
];

/// Detector groups: a group's name in `detect` means all of its members, `all` every
/// built-in detector. The one table of groups (the spec's, `rules/README.md`'s).
pub const DETECTOR_GROUPS: &[(&str, &[&str])] = &[
    ("contact", &["email", "phone", "url"]),
    ("financial", &["iban", "credit_card"]),
    ("network", &["ipv4", "ipv6"]),
    ("national_id", NATIONAL_IDS),
    ("person", &["person_name", "street_address", "date_of_birth"]),
    ("all", BUILTIN_DETECTORS),
];

/// The `national_id` group, as ordered in [`BUILTIN_DETECTORS`].
const NATIONAL_IDS: &[&str] = {
    let (_, ids) = BUILTIN_DETECTORS.split_at(7);
    let (ids, _) = ids.split_at(16);
    ids
};

/// `detect` with every group name replaced by its members, each detector once, in the
/// order first named.
pub fn expand_detectors<S: AsRef<str>>(detect: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in detect {
        let name = name.as_ref();
        let single = [name];
        let members = DETECTOR_GROUPS.iter().find(|(g, _)| *g == name).map_or(&single[..], |(_, m)| *m);
        for m in members {
            if !out.iter().any(|o| o == m) {
                out.push(m.to_string());
            }
        }
    }
    out
}

/// Named alphabets for `encrypt`.
pub const ALPHABETS: &[(&str, &str)] = &[
    ("digits", "0123456789"),
    ("upper_alphanumeric", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("lower_alphanumeric", "0123456789abcdefghijklmnopqrstuvwxyz"),
    ("alphanumeric", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    ("letters", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
];

pub(super) const ACTIONS: &[&str] = &[
    "keep",
    "drop",
    "null",
    "replace",
    "pseudonymize",
    "encrypt",
    "mask",
    "truncate",
    "generalize",
    "shift_date",
    "redact",
    "noise",
    "fake",
];

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "unlisted",
    "on_invalid",
    "on_missing",
    "input",
    "columns",
    "patterns",
    "delete_rows",
    "detectors",
    "types",
    "examples",
];

pub(super) const ON_INVALID: &[(&str, OnInvalid)] =
    &[("null", OnInvalid::Null), ("drop_row", OnInvalid::DropRow), ("fail", OnInvalid::Fail)];

/// Limits of the one bounded regex constructor used for every customer-written pattern.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Nesting limit of customer-written patterns.
pub const REGEX_NEST_LIMIT: u32 = 32;

/// Compiles a customer-written regex with size and nesting limits.
pub fn bounded_regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the pattern is too large (compiled size limit {limit} bytes)")
            }
            other => other.to_string().lines().last().unwrap_or("invalid pattern").trim().to_string(),
        })
}

/// Parses and validates a rule file. `origin` names it in messages.
pub fn parse_rules(src: &str, origin: &str) -> Result<Rules, Diagnostics> {
    let mut sink = Sink::new(src);
    let rules = match parse_document(src, &mut sink) {
        Some(doc) => Walker { r: Reader { sink: &mut sink }, custom: Vec::new() }.rules(doc.get_ref()),
        None => None,
    };
    let diags = sink.finish(origin);
    match rules {
        Some(mut rules) if diags.is_empty() => {
            rules.origin = origin.to_string();
            rules.sha256 =
                digest::digest(&digest::SHA256, src.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect();
            Ok(rules)
        }
        _ => Err(diags),
    }
}

pub(super) struct Walker<'a, 's> {
    pub(super) r: Reader<'a, 's>,
    /// The custom detectors read so far (`[detectors]` comes before the rules using them).
    pub(super) custom: Vec<CustomDetector>,
}

impl Walker<'_, '_> {
    fn rules(&mut self, doc: &Table<'_>) -> Option<Rules> {
        self.r.check_keys(doc, TOP_KEYS, "a rule file");
        let get = |k| Reader::get(doc, k);
        match get("version") {
            None => self.r.error(
                0..0,
                "missing `version = 1` at the top of the rule file",
                Some("add `version = 1` as the first line".into()),
            ),
            Some(v) => {
                if let Some(n) = self.r.integer(v, "`version`", 0..i64::MAX) {
                    if n != 1 {
                        self.r.error(
                            v.span(),
                            format!("unsupported rule file version {n}"),
                            Some("this importd reads version 1".into()),
                        );
                    }
                }
            }
        }
        let mut rules = Rules {
            name: get("name").and_then(|v| self.r.string(v, "`name`")),
            description: get("description").and_then(|v| self.r.string(v, "`description`")),
            unlisted: get("unlisted")
                .and_then(|v| {
                    self.r.choice(
                        v,
                        "`unlisted` value",
                        &[("drop", Unlisted::Drop), ("keep", Unlisted::Keep), ("reject", Unlisted::Reject)],
                    )
                })
                .unwrap_or(Unlisted::Drop),
            on_invalid: get("on_invalid")
                .and_then(|v| self.r.choice(v, "`on_invalid` value", ON_INVALID))
                .unwrap_or(OnInvalid::Null),
            on_missing: get("on_missing")
                .and_then(|v| {
                    self.r.choice(
                        v,
                        "`on_missing` value",
                        &[("error", OnMissing::Error), ("ignore", OnMissing::Ignore)],
                    )
                })
                .unwrap_or(OnMissing::Error),
            input: get("input").and_then(|v| self.r.table(v, "[input]")).map(|t| self.input(t)).unwrap_or_default(),
            columns: Vec::new(),
            patterns: Vec::new(),
            delete_rows: Vec::new(),
            detectors: Vec::new(),
            types: Vec::new(),
            file_types: Vec::new(),
            examples: Vec::new(),
            origin: String::new(),
            sha256: String::new(),
        };
        // Detectors first: `redact` rules refer to them.
        if let Some(t) = get("detectors").and_then(|v| self.r.table(v, "[detectors]")) {
            rules.detectors = self.detectors(t);
            self.custom = rules.detectors.clone();
        }
        if let Some(t) = get("columns").and_then(|v| self.r.table(v, "[columns]")) {
            for (k, v) in t.iter() {
                if k.get_ref().trim().is_empty() {
                    self.r.error(k.span(), "a column name in [columns] is empty", None);
                    continue;
                }
                if let Some(rule) = self.rule(v, &[]) {
                    rules.columns.push((k.get_ref().to_string(), rule));
                }
            }
        }
        if let Some(v) = get("patterns") {
            for (span, t) in self.r.tables(v, "patterns") {
                if let Some(p) = self.pattern(span, t) {
                    rules.patterns.push(p);
                }
            }
        }
        if let Some(v) = get("delete_rows") {
            for (span, t) in self.r.tables(v, "delete_rows") {
                if let Some(f) = self.filter(span, t) {
                    rules.delete_rows.push(f);
                }
            }
        }
        if let Some(t) = get("types").and_then(|v| self.r.table(v, "[types]")) {
            for (k, v) in t.iter() {
                if let Some(ty) = self.column_type(v) {
                    let line = self.r.sink.line_of(k.span().start);
                    rules.types.push((k.get_ref().to_string(), ty, line));
                }
            }
        }
        if let Some(v) = get("examples") {
            for (span, t) in self.r.tables(v, "examples") {
                if let Some(e) = self.example(span, t) {
                    rules.examples.push(e);
                }
            }
        }
        Some(rules)
    }
}
