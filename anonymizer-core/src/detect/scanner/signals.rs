//! What one cheap pass over a cell's bytes tells about which detectors can match at all.

use super::national;
use super::Check;

const OTHER: u8 = 0;
const DIGIT: u8 = 1;
const UPPER: u8 = 2;
const HIGH: u8 = 3;
const AT: u8 = 4;
const DOT: u8 = 5;
const COLON: u8 = 6;

/// The class of every byte: what [`Signals::of`] does with it.
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b'0'..=b'9' => DIGIT,
            b'A'..=b'Z' => UPPER,
            0xC3..=0xFF => HIGH,
            b'@' => AT,
            b'.' => DOT,
            b':' => COLON,
            _ => OTHER,
        };
        c += 1;
    }
    t
};

/// What one pass over a cell's bytes tells about which detectors can match at all.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Signals {
    at: bool,
    digits: usize,
    dots: usize,
    colons: usize,
    letter_letter_digit_digit: bool,
    url_mark: bool,
    /// National identifiers: the longest run of digits and of upper-case letters, a letter
    /// right before a digit (or before `[ .-]` and a digit), a digit before a letter (or
    /// before `[ -]` and a letter), and `756` (an AHV number's prefix).
    digit_run: u16,
    upper_run: u16,
    letter_digit: bool,
    digit_letter: bool,
    ahv_prefix: bool,
    /// An ASCII upper-case letter or a byte starting a non-ASCII character (names).
    upper: bool,
}

impl Signals {
    /// One pass over the bytes. Lower-case letters, spaces and most punctuation cost a
    /// table lookup; runs of digits and of upper-case letters are read whole, and the
    /// signals that look at a digit's neighbours are taken at the ends of its run.
    pub(super) fn of(text: &str) -> Signals {
        let b = text.as_bytes();
        let n = b.len();
        let mut s = Signals::default();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let (mut digit_run, mut upper_run) = (0usize, 0usize);
        let mut i = 0;
        while i < n {
            match CLASS[usize::from(b[i])] {
                OTHER => i += 1,
                DIGIT => {
                    let start = i;
                    while i < n && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    let run = &b[start..i];
                    s.digits += run.len();
                    digit_run = digit_run.max(run.len());
                    let before = |k: usize| if start >= k { b[start - k] } else { 0 };
                    // Only a run's first digit has a non-digit before it, only the byte after
                    // its last one can be a letter or a separator.
                    if before(1).is_ascii_alphabetic()
                        || matches!(before(1), b' ' | b'.' | b'-') && before(2).is_ascii_alphabetic()
                    {
                        s.letter_digit = true;
                    }
                    if at(i).is_ascii_alphabetic() || matches!(at(i), b' ' | b'-') && at(i + 1).is_ascii_alphabetic() {
                        s.digit_letter = true;
                    }
                    if run.len() >= 2 && before(1).is_ascii_alphabetic() && before(2).is_ascii_alphabetic() {
                        s.letter_letter_digit_digit = true;
                    }
                    if run.windows(3).any(|w| w == b"756") {
                        s.ahv_prefix = true;
                    }
                }
                UPPER => {
                    let start = i;
                    while i < n && b[i].is_ascii_uppercase() {
                        i += 1;
                    }
                    s.upper = true;
                    upper_run = upper_run.max(i - start);
                }
                HIGH => {
                    s.upper = true;
                    i += 1;
                }
                AT => {
                    s.at = true;
                    i += 1;
                }
                DOT => {
                    s.dots += 1;
                    if i >= 3 && b[i - 3..i].eq_ignore_ascii_case(b"www") {
                        s.url_mark = true;
                    }
                    i += 1;
                }
                _ => {
                    s.colons += 1;
                    if b[i + 1..].starts_with(b"//") {
                        s.url_mark = true;
                    }
                    i += 1;
                }
            }
        }
        s.digit_run = u16::try_from(digit_run).unwrap_or(u16::MAX);
        s.upper_run = u16::try_from(upper_run).unwrap_or(u16::MAX);
        s
    }

    /// The byte-by-byte pass [`Signals::of`] replaced: the reference it is tested against.
    #[cfg(test)]
    fn reference(text: &str) -> Signals {
        let b = text.as_bytes();
        let mut s = Signals::default();
        let (mut digit_run, mut upper_run) = (0u16, 0u16);
        for (i, &c) in b.iter().enumerate() {
            digit_run = if c.is_ascii_digit() { digit_run.saturating_add(1) } else { 0 };
            upper_run = if c.is_ascii_uppercase() { upper_run.saturating_add(1) } else { 0 };
            s.digit_run = s.digit_run.max(digit_run);
            s.upper_run = s.upper_run.max(upper_run);
            match c {
                b'0'..=b'9' => {
                    s.digits += 1;
                    let prev = |k: usize| if i >= k { b[i - k] } else { 0 };
                    if prev(1).is_ascii_alphabetic()
                        || matches!(prev(1), b' ' | b'.' | b'-') && prev(2).is_ascii_alphabetic()
                    {
                        s.letter_digit = true;
                    }
                    if c == b'6' && prev(1) == b'5' && prev(2) == b'7' {
                        s.ahv_prefix = true;
                    }
                    if i >= 3
                        && b[i - 1].is_ascii_digit()
                        && b[i - 2].is_ascii_alphabetic()
                        && b[i - 3].is_ascii_alphabetic()
                    {
                        s.letter_letter_digit_digit = true;
                    }
                }
                b'A'..=b'Z' | b'a'..=b'z' => {
                    s.upper |= c.is_ascii_uppercase();
                    let prev = |k: usize| if i >= k { b[i - k] } else { 0 };
                    if prev(1).is_ascii_digit() || matches!(prev(1), b' ' | b'-') && prev(2).is_ascii_digit() {
                        s.digit_letter = true;
                    }
                }
                b'@' => s.at = true,
                0xC3..=0xFF => s.upper = true,
                b'.' => {
                    s.dots += 1;
                    if i >= 3 && b[i - 3..i].eq_ignore_ascii_case(b"www") {
                        s.url_mark = true;
                    }
                }
                b':' => {
                    s.colons += 1;
                    if b[i + 1..].starts_with(b"//") {
                        s.url_mark = true;
                    }
                }
                _ => {}
            }
        }
        s
    }

    /// False when the detector cannot possibly find anything in the cell.
    pub(super) fn may_match(&self, check: Check) -> bool {
        match check {
            Check::Pattern | Check::Checked => true,
            Check::National(kind) => {
                use national::Kind;
                self.digits >= kind.min_digits()
                    && match kind {
                        Kind::PlPesel => self.digit_run >= 11,
                        Kind::ChAhv => self.ahv_prefix,
                        Kind::ItFiscalCode => self.upper_run >= 6,
                        Kind::UkNino | Kind::EsNie | Kind::DeVatId | Kind::DeIdCard => self.letter_digit,
                        Kind::EsDni | Kind::DeSocialSecurity => self.digit_letter,
                        _ => true,
                    }
            }
            Check::Email => self.at,
            Check::Iban => self.letter_letter_digit_digit,
            Check::Card => self.digits >= 13,
            Check::Phone => self.digits >= 7,
            Check::Ipv4 => self.digits >= 4 && self.dots >= 3,
            Check::Ipv6 => self.colons >= 2,
            Check::Url => self.url_mark,
            Check::PersonName => self.upper,
            Check::StreetAddress => self.upper && self.digits >= 1,
            Check::DateOfBirth => self.digits >= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Signals;

    #[test]
    fn one_pass_gives_what_the_byte_by_byte_pass_gave() {
        let alphabet = ["0", "5", "6", "7", "A", "Z", "a", "z", " ", ".", "-", ":", "/", "@", "w", "W", "é", "Ü", "_"];
        let mut rng = crate::detect::testing::Seeded::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let text = rng.text(&alphabet, 30);
            assert_eq!(Signals::of(&text), Signals::reference(&text), "{text:?}");
        }
        for text in ["756.1234.5678.97", "IBAN DE89 3704", "https://x", "www.x", "AB12", "12 ab", "x-12", "ABCDEF"] {
            assert_eq!(Signals::of(text), Signals::reference(text), "{text:?}");
        }
    }
}
