//! `fake`: a realistic replacement of the same kind, keyed and deterministic.
//!
//! Every part of a fake is chosen by `i = u64_be(HMAC-SHA256(K_fake, part || 0x00 || locale
//! || 0x00 || domain || 0x00 || value)[..8])`, where `part` is the kind's name for a kind made
//! of one part (`first_name`, `city`, `phone`, …) and `kind.part` for the parts of a composed
//! kind (`full_name.first`, `email.domain`, `street.number`, …). A list part takes entry
//! `i mod n` of its list ([`FAKE_LISTS_VERSION`]); the shapes of phone numbers, postal codes
//! and IBANs are in `shape.rs`. `rules/README.md` ("fake") documents every composition so a
//! customer can recompute a fake with the key.

use super::hmac_sha256::PrefixedHmac;
use crate::rule::{FakeKind, FakeLocale};

mod lists;
mod shape;

use lists::{fold_ascii_into, List};

/// The version of the lists fakes are drawn from: a new version is a new set of lists, so
/// the same key, value and options give the same fake for as long as this stays the same.
/// Reports and output metadata record it.
pub const FAKE_LISTS_VERSION: &str = "fake-v1";

/// The e-mail domains fakes use: reserved for examples by RFC 2606, never anyone's mailbox.
const EMAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// Makes fakes of one kind, in one locale and domain.
#[derive(Clone)]
pub struct Faker {
    kind: FakeKind,
    locale: FakeLocale,
    /// One keyed hash per part, in the order of [`parts`], with its prefix absorbed.
    parts: Vec<PrefixedHmac>,
}

impl std::fmt::Debug for Faker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Faker(kind={}, locale={})", self.kind.name(), self.locale.name())
    }
}

/// The `kind` strings a fake of `kind` hashes, one per part.
pub fn parts(kind: FakeKind) -> &'static [&'static str] {
    match kind {
        FakeKind::FirstName => &["first_name"],
        FakeKind::LastName => &["last_name"],
        FakeKind::FullName => &["full_name.first", "full_name.last"],
        FakeKind::Email => &["email.first", "email.last", "email.domain"],
        FakeKind::Phone => &["phone"],
        FakeKind::Street => &["street", "street.type", "street.number"],
        FakeKind::City => &["city"],
        FakeKind::PostalCode => &["postal_code"],
        FakeKind::Iban => &["iban"],
        FakeKind::Company => &["company.name", "company.type"],
    }
}

impl Faker {
    /// `key` is the fake sub-key (HKDF info `importd/v1/fake`).
    pub fn new(key: &[u8; 32], kind: FakeKind, locale: FakeLocale, domain: &str) -> Self {
        let parts = parts(kind)
            .iter()
            .map(|part| {
                let mut prefix = Vec::with_capacity(part.len() + domain.len() + 8);
                for piece in [part.as_bytes(), locale.name().as_bytes(), domain.as_bytes()] {
                    prefix.extend_from_slice(piece);
                    prefix.push(0);
                }
                PrefixedHmac::new(key, &prefix)
            })
            .collect();
        Faker { kind, locale, parts }
    }

    /// `i` of part `k` for `value`.
    fn index(&self, k: usize, value: &[u8]) -> u64 {
        self.parts.get(k).map_or(0, |mac| {
            let w = mac.mac_words(value);
            (u64::from(w[0]) << 32) | u64::from(w[1])
        })
    }

    /// Entry `i mod n` of a list, for part `k`.
    fn pick(&self, list: List, k: usize, value: &[u8]) -> &'static str {
        lists::entry(self.locale, list, self.index(k, value))
    }

    /// Appends the fake of `value` (its UTF-8 text) to `out`.
    pub fn fake_into(&self, value: &[u8], out: &mut String) {
        let l = self.locale;
        match self.kind {
            FakeKind::FirstName => out.push_str(self.pick(List::FirstName, 0, value)),
            FakeKind::LastName => out.push_str(self.pick(List::LastName, 0, value)),
            FakeKind::City => out.push_str(self.pick(List::City, 0, value)),
            FakeKind::FullName => {
                out.push_str(self.pick(List::FirstName, 0, value));
                out.push(' ');
                out.push_str(self.pick(List::LastName, 1, value));
            }
            FakeKind::Email => {
                fold_ascii_into(self.pick(List::FirstName, 0, value), out);
                out.push('.');
                fold_ascii_into(self.pick(List::LastName, 1, value), out);
                out.push('@');
                out.push_str(EMAIL_DOMAINS[(self.index(2, value) % 3) as usize]);
            }
            FakeKind::Company => {
                out.push_str(self.pick(List::LastName, 0, value));
                out.push(' ');
                out.push_str(self.pick(List::CompanyType, 1, value));
            }
            FakeKind::Street => {
                let name = self.pick(List::Street, 0, value);
                // Only where the names come without their type ("Abbey" + "Road").
                let ty = if lists::has(l, List::StreetType) { self.pick(List::StreetType, 1, value) } else { "" };
                let number = 1 + self.index(2, value) % 200;
                shape::street(l, name, ty, number, out);
            }
            FakeKind::Phone => shape::phone(l, self.index(0, value), out),
            FakeKind::PostalCode => shape::postal_code(l, self.index(0, value), out),
            FakeKind::Iban => shape::iban(l, self.index(0, value), out),
        }
    }

    /// The fake of `value`.
    pub fn fake(&self, value: &[u8]) -> String {
        let mut s = String::new();
        self.fake_into(value, &mut s);
        s
    }
}

#[cfg(test)]
mod tests;
