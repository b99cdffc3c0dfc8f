//! Every region's numbering plan, from libphonenumber's metadata (the `phonenumber` crate's
//! copy): which national significant numbers exist, by country calling code and by region.
//!
//! The metadata's patterns are compiled here, once per region on its first use, into anchored
//! byte regexes: validating a candidate is a length test and a DFA match, without the crate's
//! parser (which allocates, and takes a process-wide lock for every pattern it matches).

use std::collections::HashMap;
use std::sync::OnceLock;

use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use regex::bytes::Regex;

use crate::rule::Region;

/// One region's plan.
struct Plan {
    /// The metadata's index in [`Plans::meta`].
    meta: usize,
    /// The trunk prefix written before national numbers ("0" in DE, "1" in US, "8" in RU).
    national_prefix: Option<Box<[u8]>>,
    compiled: OnceLock<Compiled>,
}

/// A region's patterns, compiled.
struct Compiled {
    /// The general description: every possible number, loosely.
    general: Kind,
    /// The number types (fixed line, mobile, toll free, …): valid numbers. The first is mobile
    /// when the region has a mobile description.
    types: Vec<Kind>,
    has_mobile: bool,
}

/// A pattern and the lengths it allows.
struct Kind {
    /// Bit `n` set: `n` digits possible (all set: the metadata gives no lengths).
    lengths: u32,
    regex: Option<Regex>,
}

impl Kind {
    fn new(d: &Descriptor, fallback_lengths: u32) -> Kind {
        let lengths = match mask(d.possible_length()) {
            0 => fallback_lengths,
            m => m,
        };
        // ASCII digits only; anchored at both ends; the metadata's patterns are written over
        // several lines. A pattern that does not compile (none in the shipped metadata)
        // matches nothing.
        let regex = Regex::new(&format!("(?x-u)^(?:{})$", d.national_number().as_str())).ok();
        Kind { lengths, regex }
    }

    fn matches(&self, nsn: &[u8]) -> bool {
        nsn.len() < 32 && self.lengths & (1 << nsn.len()) != 0 && self.regex.as_ref().is_some_and(|r| r.is_match(nsn))
    }
}

fn mask(lengths: &[u16]) -> u32 {
    lengths.iter().filter(|&&l| l < 32).fold(0, |m, &l| m | 1 << l)
}

/// All plans, by country calling code and by region.
struct Plans {
    meta: Vec<&'static Metadata>,
    plans: Vec<Plan>,
    by_code: HashMap<u16, Vec<usize>>,
    by_region: HashMap<[u8; 2], usize>,
}

fn plans() -> &'static Plans {
    static PLANS: OnceLock<Plans> = OnceLock::new();
    PLANS.get_or_init(|| {
        let meta: Vec<&'static Metadata> = DATABASE.iter().collect();
        let mut plans = Vec::with_capacity(meta.len());
        let mut by_code: HashMap<u16, Vec<usize>> = HashMap::new();
        let mut by_region = HashMap::new();
        for (i, m) in meta.iter().enumerate() {
            let national_prefix = m
                .national_prefix()
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .map(|p| p.as_bytes().into());
            let codes = by_code.entry(m.country_code()).or_default();
            // The main region of a shared code first (US for +1, GB for +44).
            if m.is_main_country_for_code() {
                codes.insert(0, plans.len());
            } else {
                codes.push(plans.len());
            }
            if let Ok(id) = <[u8; 2]>::try_from(m.id().as_bytes()) {
                by_region.insert(id, plans.len());
            }
            plans.push(Plan { meta: i, national_prefix, compiled: OnceLock::new() });
        }
        Plans { meta, plans, by_code, by_region }
    })
}

impl Plan {
    fn compiled(&self, all: &Plans) -> &Compiled {
        self.compiled.get_or_init(|| {
            let d = all.meta[self.meta].descriptors();
            let mut types = Vec::new();
            let has_mobile = d.mobile().is_some();
            for t in [
                d.mobile(),
                d.fixed_line(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            {
                types.push(Kind::new(t, u32::MAX));
            }
            // The general description's lengths, or those of all types together.
            let union = types.iter().fold(0, |m, k| m | k.lengths);
            let general = Kind::new(d.general(), if union == 0 { u32::MAX } else { union });
            Compiled { general, types, has_mobile }
        })
    }
}

/// Whether `digits` (after a `+` or `00`) are a country calling code and a number of that
/// code's plans: possible by its general description. A trunk prefix written after the code
/// ("+49 (0)30 …") is skipped.
pub(crate) fn international(digits: &[u8]) -> bool {
    let all = plans();
    (1..=3).filter(|&n| n < digits.len()).any(|n| {
        let code = digits[..n].iter().fold(0u16, |c, d| c * 10 + u16::from(d - b'0'));
        let nsn = &digits[n..];
        all.by_code.get(&code).is_some_and(|regions| {
            regions.iter().any(|&r| {
                let plan = &all.plans[r];
                let general = &plan.compiled(all).general;
                general.matches(nsn)
                    || plan
                        .national_prefix
                        .as_deref()
                        .is_some_and(|p| nsn.strip_prefix(p).is_some_and(|n| general.matches(n)))
            })
        })
    })
}

/// How a national number (no `+`, no `00`) fits `region`'s plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct National {
    /// Written with the region's trunk prefix.
    pub(crate) trunk: bool,
    /// A mobile number of the region.
    pub(crate) mobile: bool,
    /// The region has a trunk prefix at all.
    pub(crate) region_has_trunk: bool,
    /// The region's trunk prefix is `0` (most of the world; NANP's is `1`).
    pub(crate) trunk_zero: bool,
    /// Significant digits (without the trunk prefix).
    pub(crate) len: usize,
}

/// `digits` as a valid number of `region` (a fixed-line, mobile, toll-free, … number by the
/// region's own patterns), written with or without its trunk prefix; `None` when it is none.
pub(crate) fn national(region: Region, digits: &[u8]) -> Option<National> {
    let all = plans();
    let b = region.as_str().as_bytes();
    let plan = &all.plans[*all.by_region.get(&[b[0], b[1]])?];
    let c = plan.compiled(all);
    let valid = |nsn: &[u8]| c.types.iter().position(|k| k.matches(nsn));
    let region_has_trunk = plan.national_prefix.is_some();
    let with_trunk = plan.national_prefix.as_deref().and_then(|p| digits.strip_prefix(p));
    let (trunk, nsn, kind) = match with_trunk.and_then(|nsn| valid(nsn).map(|k| (nsn, k))) {
        Some((nsn, k)) => (true, nsn, k),
        None => (false, digits, valid(digits)?),
    };
    let trunk_zero = plan.national_prefix.as_deref() == Some(&b"0"[..]);
    Some(National { trunk, mobile: c.has_mobile && kind == 0, region_has_trunk, trunk_zero, len: nsn.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_by_calling_code() {
        for ok in ["491701234567", "4903012345678", "8613800138000", "14155550132", "441632960961", "5511984565666"] {
            assert!(international(ok.as_bytes()), "{ok}");
        }
        // +999 is no calling code; +49 with three digits is too short.
        for bad in ["9991234567890", "49123", "0123456789"] {
            assert!(!international(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn national_numbers_by_region() {
        let cn = Region::new("CN").unwrap();
        let n = national(cn, b"13800138000").unwrap();
        assert!(n.mobile && !n.trunk);
        let de = Region::DE;
        let n = national(de, b"01701234567").unwrap();
        assert!(n.mobile && n.trunk);
        assert!(national(Region::new("IL").unwrap(), b"097625400").is_some_and(|n| n.trunk && !n.mobile));
        assert!(national(de, b"0000000").is_none());
    }
}
