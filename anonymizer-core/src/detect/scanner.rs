//! The scanner: the detectors one rule names, run over a cell after one cheap pass over its
//! bytes (an `@`, enough digits, `://`, …, see `signals.rs`) and, for short cells, one pass
//! of a set of the national identifiers' patterns have ruled out the detectors that cannot
//! match.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::{builtin, checksum, national, search, validate, Check};
use signals::Signals;

mod signals;
use crate::rule::{bounded_regex, Checksum, CustomDetector, Region, BUILTIN_DETECTORS, REGEX_SIZE_LIMIT};

/// About how many bytes of searched text pass between two calls of a search's progress hook.
pub(crate) const PROGRESS_STEP: usize = 16 << 10;

/// How far the searches of [`Scanner::candidates`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Searched {
    /// Where the earliest search started.
    pub(crate) from: usize,
    /// The latest point before which a search took matches.
    pub(crate) to: usize,
    /// The furthest end of a match.
    pub(crate) matched: usize,
}

/// One finding: a byte range of the cell and the index of the detector that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub detector: usize,
}

/// Detectors compiled for one rule.
#[derive(Debug, Clone)]
pub struct Scanner {
    names: Vec<String>,
    checks: Vec<Check>,
    regexes: Vec<Regex>,
    /// Per detector: a custom detector's `validate` and `context` (empty for the others).
    conditions: Vec<(Option<Checksum>, Vec<String>)>,
    /// National forms (phone numbers) are read as this region writes them.
    region: Region,
    /// Per detector: its pattern's index in [`builtin_set`] (built-in detectors with a pattern).
    in_set: Vec<Option<usize>>,
}

/// Cells up to this many bytes first ask [`builtin_set`] which patterns match at all: one
/// pass instead of a search per detector (each search costs a fixed ~100 ns before it reads
/// a byte, which dominates on short cells). Longer cells skip it: there the searches' own
/// passes dominate, and the set's larger automaton is no help.
const SET_MAX_BYTES: usize = 4 << 10;

/// Whether a built-in detector's pattern joins [`builtin_set`]: the national identifiers,
/// IPv4 and birth words. Not the patterns with long counted repetitions (phone, card, IBAN,
/// e-mail, URL, IPv6), which multiply the set automaton's states (measured: the set got
/// slower than the searches it saves on the independent corpus), nor those matching any
/// number or none (street_address, person_name); their signals rule them out cheaply.
fn in_set(check: Check) -> bool {
    matches!(check, Check::National(_) | Check::Ipv4 | Check::DateOfBirth)
}

/// The patterns of the built-in detectors of [`in_set`], in one set, and their names.
/// A pattern that matches nowhere in a cell gives its detector no candidate from any
/// position: skipping that detector changes nothing.
fn builtin_set() -> Option<&'static (RegexSet, Vec<&'static str>)> {
    static SET: OnceLock<Option<(RegexSet, Vec<&'static str>)>> = OnceLock::new();
    SET.get_or_init(|| {
        let (names, patterns): (Vec<&'static str>, Vec<&'static str>) = BUILTIN_DETECTORS
            .iter()
            .filter_map(|&n| builtin(n).filter(|&(_, c)| in_set(c)).map(|(p, _)| (n, p)))
            .unzip();
        let set = RegexSetBuilder::new(patterns)
            .size_limit(4 * REGEX_SIZE_LIMIT)
            .dfa_size_limit(4 * REGEX_SIZE_LIMIT)
            .build()
            .ok()?;
        Some((set, names))
    })
    .as_ref()
}

impl Scanner {
    /// Compiles the named detectors (built-in or from `custom`), in the given order.
    pub fn new(names: &[String], custom: &[CustomDetector]) -> Result<Scanner, String> {
        let mut checks = Vec::new();
        let mut regexes = Vec::new();
        let mut conditions = Vec::new();
        let mut in_set = Vec::new();
        for name in names {
            if let Some((pattern, check)) = builtin(name) {
                in_set.push(builtin_set().and_then(|(_, n)| n.iter().position(|n| n == name)));
                regexes.push(bounded_regex(pattern)?);
                checks.push(check);
                conditions.push((None, Vec::new()));
            } else if let Some(c) = custom.iter().find(|c| &c.name == name) {
                in_set.push(None);
                regexes.push(c.pattern.clone());
                let checked = c.validate.is_some() || !c.context.is_empty();
                checks.push(if checked { Check::Checked } else { Check::Pattern });
                conditions.push((c.validate, c.context.clone()));
            } else {
                return Err(format!("unknown detector `{name}`"));
            }
        }
        Ok(Scanner { names: names.to_vec(), checks, regexes, conditions, region: Region::default(), in_set })
    }

    /// The same detectors, reading national forms as `region` writes them (the rule's
    /// `[input] region`; `DE` by default).
    pub fn with_region(mut self, region: Region) -> Scanner {
        self.region = region;
        self
    }

    /// Built-in detectors only (tests, benches).
    pub fn builtin_only(names: &[&str]) -> Result<Scanner, String> {
        Scanner::new(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>(), &[])
    }

    /// The detectors' names, indexed like `Finding::detector`.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Finds every validated, non-overlapping finding in `text`, in text order.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let mut candidates = Vec::new();
        // No progress hook: never stops early.
        self.candidates(text, 0..text.len(), &mut candidates, &mut |_| true);
        self.resolve(&mut candidates, out, None);
    }

    /// The validated candidates of every detector around `text[window]`, unordered, as a
    /// search of the whole text finds them there. Each detector's search starts at or
    /// before `window.start` where a search of the whole text would be between matches
    /// (see [`Check::resumes_after`]), and takes the matches that start before such a
    /// point at or after `window.end`, or before the end of the last candidate it took.
    /// The bytes around are context. `progress` is told every [`PROGRESS_STEP`] bytes or
    /// so searched; when it returns false the search stops and `None` is returned.
    /// Otherwise returns how far the searches went: the text must hold the context
    /// validators read beyond that.
    pub(crate) fn candidates(
        &self,
        text: &str,
        window: Range<usize>,
        out: &mut Vec<Finding>,
        progress: &mut dyn FnMut(usize) -> bool,
    ) -> Option<Searched> {
        // One cheap pass over the bytes rules out most detectors for most cells.
        let signals = Signals::of(text);
        let bytes = text.as_bytes();
        let mut searched = Searched { from: window.start, to: window.end, matched: window.start };
        let mut may: Vec<usize> = (0..self.regexes.len()).filter(|&d| signals.may_match(self.checks[d])).collect();
        if text.len() <= SET_MAX_BYTES && may.iter().filter(|&&d| self.in_set[d].is_some()).count() >= 2 {
            if let Some((set, _)) = builtin_set() {
                let matched = set.matches(text);
                may.retain(|&d| self.in_set[d].is_none_or(|i| matched.matched(i)));
            }
        }
        for d in may {
            let check = self.checks[d];
            let (mut pos, mut limit) = (window.start, window.end);
            if !check.resumes_anywhere() {
                while pos > 0 && !check.resumes_after(bytes[pos - 1]) {
                    pos -= 1;
                }
                while limit < bytes.len() && !(limit > 0 && check.resumes_after(bytes[limit - 1])) {
                    limit += 1;
                }
            }
            searched.from = searched.from.min(pos);
            searched.to = searched.to.max(limit);
            let mut told = pos;
            let next = |pos: usize| match search(check, text, pos) {
                Some(found) => found,
                None => self.regexes[d].find_at(text, pos).map(|m| (m.start(), m.end())),
            };
            while let Some((m_start, m_end)) = next(pos) {
                if m_start >= limit {
                    break;
                }
                searched.matched = searched.matched.max(m_end);
                // A shortened finding (phone numbers) resumes the search right after it.
                pos = match self.validate(d, text, m_start, m_end) {
                    // An empty match (a custom pattern like `\b`) is not a finding.
                    Some((start, end)) if start < end => {
                        out.push(Finding { start, end, detector: d });
                        limit = limit.max(end);
                        end.max(m_start + 1)
                    }
                    // Numbers are tried again from the next group: "+49 170 1234567 4111 …"
                    // must not hide the card that starts in the middle of the candidate.
                    None if self.checks[d].numeric() => next_group(text, m_start),
                    _ => m_end.max(m_start + 1),
                };
                while pos < text.len() && !text.is_char_boundary(pos) {
                    pos += 1;
                }
                if pos >= text.len() {
                    break;
                }
                if pos - told >= PROGRESS_STEP {
                    if !progress(pos - told) {
                        return None;
                    }
                    told = pos;
                }
            }
            if !progress(pos.saturating_sub(told)) {
                return None;
            }
        }
        Some(searched)
    }

    /// Validates a candidate of detector `d`: its check, and a custom detector's `validate`
    /// (over the match) and `context` (within [`national::CONTEXT_CHARS`] characters).
    fn validate(&self, d: usize, text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
        let found = validate(self.checks[d], text, start, end, self.region)?;
        if self.checks[d] == Check::Checked {
            let (sum, words) = &self.conditions[d];
            if sum.is_some_and(|c| !checksum::holds(c, &text[start..end]))
                || !(words.is_empty() || national::near(text, start, end, words))
            {
                return None;
            }
        }
        Some(found)
    }

    /// Resolves overlaps between `candidates` into `out`, in text order: checksum-validated
    /// kinds first, then the longer finding, then the earlier. With `reach`, also gives per
    /// finding the byte range it and every candidate that overlapped it cover (what
    /// replacing it may change). O(n log n).
    pub(crate) fn resolve(
        &self,
        candidates: &mut [Finding],
        out: &mut Vec<Finding>,
        reach: Option<&mut Vec<Range<usize>>>,
    ) {
        out.clear();
        candidates.sort_by(|a, b| {
            let pa = self.checks[a.detector].priority();
            let pb = self.checks[b.detector].priority();
            pb.cmp(&pa).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
        });
        // Start → end of the accepted findings, the longest per start. They never overlap,
        // so the last one starting before a candidate's end is the only one that can overlap
        // it (an empty one inside it implies a longer one at or after its start): one
        // lookup instead of a scan over all accepted findings, which was quadratic in the
        // findings of a cell (issue 13).
        let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
        let mut lost = Vec::new();
        for &c in candidates.iter() {
            if taken.range(..c.end).next_back().is_some_and(|(_, &end)| end > c.start) {
                lost.push(c);
            } else {
                taken.entry(c.start).and_modify(|end| *end = (*end).max(c.end)).or_insert(c.end);
                out.push(c);
            }
        }
        out.sort_by_key(|f| f.start);
        if let Some(reach) = reach {
            reach.clear();
            reach.extend(out.iter().map(|f| f.start..f.end));
            for c in lost {
                let mut i = out.partition_point(|f| f.end <= c.start);
                while i < out.len() && out[i].start < c.end {
                    reach[i] = reach[i].start.min(c.start)..reach[i].end.max(c.end);
                    i += 1;
                }
            }
        }
    }

    /// Table-driven detector tests: each text and the substrings that must be found in it.
    #[cfg(test)]
    pub(crate) fn assert_cases(&self, cases: &[(&str, &[&str])]) {
        for (text, want) in cases {
            assert_eq!(self.found(text), *want, "{text}");
        }
    }

    /// The found substrings (tests).
    #[cfg(test)]
    pub(crate) fn found<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut f = Vec::new();
        self.scan(text, &mut f);
        f.iter().map(|f| &text[f.start..f.end]).collect()
    }
}

/// The start of the next group of characters after `from` (after a space, `-`, `/` or `.`).
fn next_group(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = from + 1;
    while i < bytes.len() && !matches!(bytes[i - 1], b' ' | b'-' | b'/' | b'.') {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_prefer_checksummed_and_longer_findings() {
        let s = Scanner::builtin_only(&["phone", "credit_card", "iban", "email", "url", "ipv4"]).unwrap();
        let text = "Karte 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, Tel +49 170 1234567, \
                    mail anna@example.com, web https://example.com/x, ip 10.1.2.3";
        let mut f = Vec::new();
        s.scan(text, &mut f);
        let kinds: Vec<&str> = f.iter().map(|f| s.names()[f.detector].as_str()).collect();
        assert_eq!(kinds, ["credit_card", "iban", "phone", "email", "url", "ipv4"]);
    }

    /// The overlap resolution as it was, one linear scan per candidate: the reference.
    fn resolve_quadratically(s: &Scanner, candidates: &mut [Finding]) -> Vec<Finding> {
        candidates.sort_by(|a, b| {
            let pa = s.checks[a.detector].priority();
            let pb = s.checks[b.detector].priority();
            pb.cmp(&pa).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
        });
        let mut out: Vec<Finding> = Vec::new();
        for &c in candidates.iter() {
            if !out.iter().any(|o| o.start < c.end && c.start < o.end) {
                out.push(c);
            }
        }
        out.sort_by_key(|f| f.start);
        out
    }

    #[test]
    fn overlaps_resolve_as_one_scan_per_candidate_did() {
        // Custom patterns give the candidates: any ranges, empty ones too.
        let names: Vec<String> = (0..5).map(|i| format!("d{i}")).collect();
        let custom: Vec<CustomDetector> =
            names.iter().map(|n| CustomDetector::pattern_only(n, bounded_regex("x").unwrap())).collect();
        let mut names = names;
        names.extend(["phone".to_string(), "credit_card".to_string()]);
        let s = Scanner::new(&names, &custom).unwrap();
        let mut rng = crate::detect::testing::Seeded::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..500 {
            let candidates: Vec<Finding> = (0..next(60))
                .map(|_| {
                    let start = next(200);
                    Finding { start, end: start + next(30), detector: next(7) }
                })
                .collect();
            let want = resolve_quadratically(&s, &mut candidates.clone());
            let mut got = Vec::new();
            s.resolve(&mut candidates.clone(), &mut got, None);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn clean_text_costs_one_pass_and_finds_nothing() {
        let s = Scanner::builtin_only(&["email", "iban", "phone"]).unwrap();
        let mut f = vec![Finding { start: 0, end: 1, detector: 0 }];
        s.scan("Kunde wünscht Rückruf am Nachmittag.", &mut f);
        assert!(f.is_empty());
    }
}
