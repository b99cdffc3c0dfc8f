//! The lists of list version `fake-v1` (`data/fake/v1/<locale>/<list>.txt.gz`, made by
//! `data/fake/build.py` from mimesis; sources in `data/fake/SOURCES.md`), compiled into the
//! crate and unpacked on first use, and the ASCII folding of e-mail parts (`ascii_fold.txt`).

use std::io::Read;
use std::sync::OnceLock;

use crate::rule::FakeLocale;

/// A list of each locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum List {
    FirstName,
    LastName,
    Street,
    /// Street types ("Road", "Rue", "ul."), for locales whose street names come without.
    StreetType,
    City,
    CompanyType,
}

const LISTS: usize = 6;
const LOCALES: usize = FakeLocale::ALL.len();

macro_rules! locale_lists {
    ($loc:literal, $street_type:expr) => {
        [
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/first_name.txt.gz")) as &[u8]),
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/last_name.txt.gz")) as &[u8]),
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/street.txt.gz")) as &[u8]),
            $street_type,
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/city.txt.gz")) as &[u8]),
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/company_type.txt.gz")) as &[u8]),
        ]
    };
    ($loc:literal) => {
        locale_lists!(
            $loc,
            Some(include_bytes!(concat!("../../../data/fake/v1/", $loc, "/street_type.txt.gz")) as &[u8])
        )
    };
}

/// The compressed lists, indexed like [`FakeLocale::ALL`] and [`List`].
static DATA: [[Option<&[u8]>; LISTS]; LOCALES] = [
    locale_lists!("de", None),
    locale_lists!("en"),
    locale_lists!("fr"),
    locale_lists!("es"),
    locale_lists!("it"),
    locale_lists!("nl", None),
    locale_lists!("pl"),
    locale_lists!("tr"),
];

static UNPACKED: [[OnceLock<Vec<Box<str>>>; LISTS]; LOCALES] = [const { [const { OnceLock::new() }; LISTS] }; LOCALES];

fn slot(locale: FakeLocale, list: List) -> (usize, usize) {
    let l = FakeLocale::ALL.iter().position(|(_, x)| *x == locale).unwrap_or(0);
    (l, list as usize)
}

/// Whether `locale` has `list` (every locale has all but [`List::StreetType`]).
pub(super) fn has(locale: FakeLocale, list: List) -> bool {
    let (l, k) = slot(locale, list);
    DATA[l][k].is_some()
}

/// The entries of a list, in file order (empty when the locale has no such list).
pub(super) fn entries(locale: FakeLocale, list: List) -> &'static [Box<str>] {
    let (l, k) = slot(locale, list);
    UNPACKED[l][k].get_or_init(|| DATA[l][k].map(unpack).unwrap_or_default())
}

/// Entry `i mod n` of a list ("" for a list the locale does not have).
pub(super) fn entry(locale: FakeLocale, list: List, i: u64) -> &'static str {
    let e = entries(locale, list);
    if e.is_empty() {
        return "";
    }
    &e[(i % e.len() as u64) as usize]
}

/// One entry a line. The data is compiled in and checked by the tests, so a failure here
/// is a build mistake: it leaves the list empty rather than panic.
fn unpack(gz: &[u8]) -> Vec<Box<str>> {
    let mut text = String::new();
    if flate2::read::GzDecoder::new(gz).read_to_string(&mut text).is_err() {
        return Vec::new();
    }
    text.lines().filter(|l| !l.is_empty()).map(Box::from).collect()
}

/// `ascii_fold.txt`: a character, a tab, its ASCII form; sorted by character.
fn fold_table() -> &'static [(char, &'static str)] {
    static TABLE: OnceLock<Vec<(char, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<(char, &'static str)> = include_str!("../../../data/fake/v1/ascii_fold.txt")
            .lines()
            .filter_map(|l| {
                let (c, ascii) = l.split_once('\t')?;
                let mut chars = c.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some((c, ascii)),
                    _ => None,
                }
            })
            .collect();
        t.sort_by_key(|(c, _)| *c);
        t
    })
}

/// Appends `name` folded for an e-mail address: each character as it is if ASCII, else as
/// `ascii_fold.txt` says (dropped if it is not there); then lower case, and only `a-z0-9` kept.
pub(super) fn fold_ascii_into(name: &str, out: &mut String) {
    let table = fold_table();
    let mut keep = |b: u8| {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b.to_ascii_lowercase()));
        }
    };
    for c in name.chars() {
        if c.is_ascii() {
            keep(c as u8);
        } else if let Ok(i) = table.binary_search_by_key(&c, |(k, _)| *k) {
            table[i].1.bytes().for_each(&mut keep);
        }
    }
}
