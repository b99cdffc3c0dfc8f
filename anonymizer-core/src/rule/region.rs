//! `[input] region`: the country whose national writing the data uses.

/// An ISO 3166 alpha-2 region with a numbering plan (`[input] region`), in capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region([u8; 2]);

impl Region {
    /// Germany, the default.
    pub const DE: Region = Region(*b"DE");
    /// The United States (the North American plan).
    pub const US: Region = Region(*b"US");

    /// The region of an ISO 3166 alpha-2 code (any case) that has a numbering plan.
    pub fn new(code: &str) -> Option<Region> {
        let upper = code.to_ascii_uppercase();
        let bytes: [u8; 2] = upper.as_bytes().try_into().ok()?;
        upper.parse::<phonenumber::country::Id>().ok().map(|_| Region(bytes))
    }

    /// The code in capitals, e.g. `"DE"`.
    pub fn as_str(&self) -> &str {
        // Only built from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("DE")
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::DE
    }
}
