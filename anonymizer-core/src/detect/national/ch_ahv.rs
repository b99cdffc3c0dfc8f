//! `ch_ahv`: the Swiss AHV / AVS number (AHVN13), 13 digits starting with 756, written
//! `756.1234.5678.97`, with spaces, or plain. Decided by its EAN-13 check digit.

use super::digits;
use crate::detect::checksum::ean;

pub(crate) const PATTERN: &str =
    r"(?-u:\b)756(?:\.[0-9]{4}\.[0-9]{4}\.[0-9]{2}| [0-9]{4} [0-9]{4} [0-9]{2}|[0-9]{10})(?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    digits::<13>(&text.as_bytes()[start..end]).is_some_and(|d| ean(d.iter().copied()))
}
