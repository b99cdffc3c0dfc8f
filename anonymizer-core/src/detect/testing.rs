//! Test helpers of the detectors: a seeded generator (xorshift64) and the check that a
//! search written as code finds exactly what the regex it replaced finds.

/// A seeded xorshift64 generator: the same seed gives the same texts on every run.
pub(crate) struct Seeded(u64);

impl Seeded {
    pub(crate) fn new(seed: u64) -> Seeded {
        Seeded(seed)
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// A text of fewer than `max_len` pieces, each drawn from `alphabet`.
    pub(crate) fn text(&mut self, alphabet: &[&str], max_len: usize) -> String {
        let len = self.below(max_len);
        (0..len).map(|_| alphabet[self.below(alphabet.len())]).collect()
    }
}

/// `search(text, from)` equals the first match of `pattern` at or after `from`, on `texts`
/// random texts over `alphabet` and from every character boundary.
pub(crate) fn assert_search_finds_what_the_pattern_finds(
    pattern: &str,
    search: fn(&str, usize) -> Option<(usize, usize)>,
    alphabet: &[&str],
    max_len: usize,
    texts: usize,
) {
    let re = regex::Regex::new(pattern).unwrap();
    let mut rng = Seeded::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..texts {
        let text = rng.text(alphabet, max_len);
        for from in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let want = re.find_at(&text, from).map(|m| (m.start(), m.end()));
            assert_eq!(search(&text, from), want, "{text:?} from {from}");
        }
    }
}
