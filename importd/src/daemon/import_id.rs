//! The id of one import: sortable by claim time and unique.

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

/// One import's id: sortable by claim time, unique (`20261127T160000123Z-0a1b2c3d4e`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImportId(pub(crate) String);

impl ImportId {
    pub fn new() -> io::Result<ImportId> {
        use ring::rand::SecureRandom;
        let mut r = [0u8; 5];
        ring::rand::SystemRandom::new().fill(&mut r).map_err(|_| io::Error::other("random source failed"))?;
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        Ok(ImportId(format!("{}-{}", now.format("%Y%m%dT%H%M%S%3fZ"), data_encoding::HEXLOWER.encode(&r))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UTC date of the claim (`YYYY-MM-DD`), read from the id: the output's partition,
    /// the same on every attempt and on every daemon.
    pub fn date(&self) -> Option<String> {
        let b = self.0.as_bytes();
        (b.len() >= 9 && b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'T')
            .then(|| format!("{}-{}-{}", &self.0[..4], &self.0[4..6], &self.0[6..8]))
    }

    /// Ids come from our own ledger, but a path is built from them: refuse anything odd.
    pub fn is_safe(&self) -> bool {
        !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
}

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_date_is_the_claims_date_read_from_the_id() {
        assert_eq!(ImportId("20261127T160000123Z-0a1b2c3d4e".into()).date().as_deref(), Some("2026-11-27"));
        assert_eq!(ImportId("not-an-id".into()).date(), None);
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let fresh = ImportId::new().map(|id| id.date());
        // Around midnight the clock may move between the two readings.
        assert!(fresh.is_ok_and(|d| d.is_some_and(|d| d >= today)));
    }
}
