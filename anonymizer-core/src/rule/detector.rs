//! Custom detectors of the rule language (`[detectors.NAME]`): a bounded pattern, an
//! optional check-digit algorithm and optional context words.

use regex::Regex;

/// `[detectors.NAME]`: a custom detector for `redact`.
#[derive(Debug, Clone)]
pub struct CustomDetector {
    pub name: String,
    pub pattern: Regex,
    /// `validate`: a match is found only where this check holds over its characters.
    pub validate: Option<Checksum>,
    /// `context`: a match is found only where one of these words (lower-cased) begins a word
    /// within 40 characters before or after it. Empty: no condition.
    pub context: Vec<String>,
}

impl CustomDetector {
    /// A detector that its pattern alone decides.
    pub fn pattern_only(name: &str, pattern: Regex) -> CustomDetector {
        CustomDetector { name: name.to_string(), pattern, validate: None, context: Vec::new() }
    }
}

/// A custom detector's `validate`: the check-digit algorithm its matches must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checksum {
    /// `luhn`, over the match's digits.
    Luhn,
    /// `mod97`, over the match's letters and digits, the first four moved to the end (IBAN).
    Mod97,
    /// `mod11`, over the match's digits, weights 1, 2, 3, … from the right.
    Mod11,
    /// `iso7064_mod11_10`, over the match's digits.
    Iso7064Mod11_10,
    /// `iso7064_mod97_10`, over the match's letters and digits, in order.
    Iso7064Mod97_10,
}

/// The `validate` names of [`Checksum`].
pub const CHECKSUMS: &[(&str, Checksum)] = &[
    ("luhn", Checksum::Luhn),
    ("mod97", Checksum::Mod97),
    ("mod11", Checksum::Mod11),
    ("iso7064_mod11_10", Checksum::Iso7064Mod11_10),
    ("iso7064_mod97_10", Checksum::Iso7064Mod97_10),
];
