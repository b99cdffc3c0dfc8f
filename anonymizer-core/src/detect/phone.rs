//! `phone`: international numbers (`+` or `00` and a country calling code) of every region's
//! numbering plan, national numbers of the rule's `[input] region` by its plan (with its trunk
//! prefix, or without one where the region writes them so), and the common national forms of
//! DE, AT, CH, FR, UK (trunk prefix 0) and the US (3-3-4) whatever the region; with spaces,
//! dashes, slashes, dots and parentheses. Dates, versions, amounts, IPs, identifiers after
//! their label and long digit runs are refused before any plan is looked at.

mod plan;
pub(crate) mod search;

use crate::rule::Region;

pub(crate) const PATTERN: &str = r"(?:\+|\()?[0-9][0-9 ./()\-]{5,22}[0-9]";

/// The longest valid phone number at the start of the candidate: a candidate that ran on into
/// the next number ("+49 170 1234567 192.168.0.1") is cut back at a separator.
/// A number in parentheses in prose ("Kundin (030 1234567) rief an") starts after the `(`.
/// International numbers and the common national forms are tried first; the region's own
/// plan only where they find nothing (a German number has no fixed length, so the plan alone
/// would let "030 1234 5678 030 …" run on into the next number's area code).
pub(crate) fn find(text: &str, start: usize, end: usize, region: Region) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let starts = [start, start + 1];
    let starts = if bytes[start] == b'(' { &starts[..] } else { &starts[..1] };
    starts.iter().find_map(|&s| {
        // What is before the number does not depend on where it ends: judged once, not
        // once per end tried (most candidates in digit-dense text fail here).
        if !start_ok(text, s) {
            return None;
        }
        let label = label_before(&text[..s]);
        let ends = (s + 7..=end).rev().filter(|&e| {
            e == end || (bytes[e - 1].is_ascii_digit() && matches!(bytes[e], b' ' | b'.' | b'/' | b'-' | b')'))
        });
        // Ends whose shape passed, for the region's plan: a candidate has at most 25 bytes.
        let mut national = [(0, Shape::default()); 12];
        let mut kept = 0;
        for e in ends {
            let Some(shape) = Shape::of(text, s, e, label) else { continue };
            if shape.international_or_common() {
                return Some((s, e));
            }
            if kept < national.len() && !shape.international {
                national[kept] = (e, shape);
                kept += 1;
            }
        }
        national[..kept].iter().find(|(_, shape)| shape.region_national(region)).map(|&(e, _)| (s, e))
    })
}

/// What comes before a number starting at `start` allows it: not glued to a letter, digit or
/// `+.,/-`, not the tail of a grouped IBAN or card ("DE89 3704 0044 0532 …": the group
/// before is 4 characters with a digit), and not the next group of a chain of digit groups
/// ("1 67 04 04 028 414 20": a group of 1–4 digits before it); read from its last five
/// characters only.
fn start_ok(text: &str, start: usize) -> bool {
    let before = text[..start].chars().next_back();
    if before.is_some_and(|c| c.is_alphanumeric() || c == '+' || c == '.' || c == ',' || c == '/' || c == '-') {
        return false;
    }
    if let Some(prev) = text[..start].strip_suffix(' ').filter(|_| !text[start..].starts_with('+')) {
        let mut last = prev.chars().rev();
        let mut group = [' '; 4];
        let mut n = 0;
        for slot in &mut group {
            match last.next() {
                Some(c) => {
                    *slot = c;
                    n += 1;
                }
                None => break,
            }
        }
        let fifth_ok = last.next().is_none_or(|c| c == ' ');
        if n == 4
            && fifth_ok
            && group.iter().all(|c| c.is_ascii_alphanumeric())
            && group.iter().any(|c| c.is_ascii_digit())
        {
            return false;
        }
        // The next group of a chain of digit groups ("1 67 04 04 028 414 20", a spaced
        // identifier) is not where a phone number starts: a group of 1–4 digits before it.
        let digits_before = group[..n].iter().take_while(|c| c.is_ascii_digit()).count();
        let word_start =
            group.get(digits_before).is_none_or(|c| !c.is_alphanumeric() && !matches!(c, '.' | ',' | '-' | '/' | '+'));
        if (1..=4).contains(&digits_before) && (digits_before < n || (n == 4 && fifth_ok) || n < 4) && word_start {
            return false;
        }
    }
    true
}

/// The most digits a candidate holds (the pattern allows 24).
const MAX_DIGITS: usize = 24;

/// A candidate that is not refused by its shape: its digits and groups.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    digits: [u8; MAX_DIGITS],
    n: usize,
    /// Characters per group.
    lens: [u8; MAX_DIGITS],
    groups: usize,
    international: bool,
    /// Starts with a single `0` (after a `(`), as the common national forms do.
    trunk_zero: bool,
}

impl Shape {
    /// `text[start..end]` unless its neighbours, parentheses or shape refuse it: glued to a
    /// letter or digit, before a decimal part, unbalanced, a date, an identifier after its
    /// label.
    fn of(text: &str, start: usize, end: usize, label: Label) -> Option<Shape> {
        let s = &text[start..end];
        let after = text[end..].chars().next();
        if after.is_some_and(|c| c.is_alphanumeric() || c == '@')
            || (after == Some('.') || after == Some(',')) && text[end + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        // One pass over the candidate (it is ASCII: digits, separators, a leading `+`): its
        // digits, its groups (runs between separators) and what its separators say.
        let mut shape = Shape::default();
        let (mut open, mut close, mut dots, mut dash, mut slash) = (0usize, 0usize, 0usize, false, false);
        let (mut seps, mut n_seps) = ([0u8; 2], 0usize);
        let (mut prev, mut group) = (0u8, 0usize);
        let end_group = |shape: &mut Shape, group: &mut usize| -> Option<()> {
            if *group > 0 {
                // At most one group per digit (a group holds a digit, or is the `+`).
                *shape.lens.get_mut(shape.groups)? = u8::try_from(*group).ok()?;
                shape.groups += 1;
                *group = 0;
            }
            Some(())
        };
        for &b in s.as_bytes() {
            match b {
                b'0'..=b'9' => {
                    *shape.digits.get_mut(shape.n)? = b;
                    shape.n += 1;
                    group += 1;
                }
                b' ' | b'.' | b'/' | b'-' | b'(' | b')' => {
                    match b {
                        b' ' if prev == b' ' => return None,
                        b'(' => open += 1,
                        b')' => close += 1,
                        b'.' => dots += 1,
                        b'-' => dash = true,
                        b'/' => slash = true,
                        _ => {}
                    }
                    if matches!(b, b'.' | b'/' | b'-') {
                        if let Some(slot) = seps.get_mut(n_seps) {
                            *slot = b;
                        }
                        n_seps += 1;
                    }
                    end_group(&mut shape, &mut group)?;
                }
                _ => group += 1,
            }
            prev = b;
        }
        end_group(&mut shape, &mut group)?;
        if open != close {
            return None;
        }
        // A number right after an identifier label ("Kd.-Nr. 0012345678", "order no.
        // 0123456789", "n° 0612345678") is an identifier, not a phone number; after a case or
        // amount label ("Vorgang 391 376 2739"), a grouped one too. An international number
        // is one wherever it stands.
        let bare = shape.n == s.len();
        if !s.starts_with('+') && (label == Label::Case || bare && label == Label::Id) {
            return None;
        }
        let lens = &shape.lens[..shape.groups];
        // Dots mixed with dashes or slashes are no phone number's (85.07.30-033.28).
        if dots > 0 && (dash || slash) {
            return None;
        }
        // Dotted quads (192.168.0.1) are addresses, whatever plan their digits fit.
        if shape.groups == 4 && dots == 3 && lens.iter().all(|&l| l <= 3) {
            return None;
        }
        // Dates: three groups like 01.10.2024, 1/10/24, 2024-01-02.
        if shape.groups == 3
            && n_seps == 2
            && seps[0] == seps[1]
            && matches!(lens, [1 | 2, 1 | 2, 2 | 4] | [4, 1 | 2, 1 | 2])
        {
            return None;
        }
        shape.international = s.starts_with('+') || (s.starts_with("00") && !s.starts_with("000"));
        let body = s.trim_start_matches('(');
        shape.trunk_zero = body.starts_with('0') && !body.starts_with("00");
        Some(shape)
    }

    fn digits(&self) -> &[u8] {
        &self.digits[..self.n]
    }

    /// An international number of any region's plan, or one of the common national forms of
    /// DE, AT, CH, FR, UK and the US, whatever the region.
    fn international_or_common(&self) -> bool {
        let digits = self.digits();
        if self.international {
            let national = if digits.starts_with(b"00") { &digits[2..] } else { digits };
            return plan::international(national);
        }
        let lens = &self.lens[..self.groups];
        if self.trunk_zero {
            // Written without separators, only mobile numbers are distinctive enough:
            // DE 015x/016x/017x, FR 06/07, UK 07, AT 06xx, CH 07x.
            if lens.len() == 1 {
                let mobile = [&b"015"[..], b"016", b"017", b"06", b"07"].iter().any(|p| digits.starts_with(p));
                return mobile && (10..=12).contains(&digits.len());
            }
            return (8..=13).contains(&digits.len()) && lens.iter().all(|&g| g <= 8);
        }
        // US: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132, with an area code and
        // exchange the North American plan has, or the 555 exchange of fictional numbers.
        digits.len() == 10
            && lens == [3, 3, 4]
            && !digits.starts_with(b"0")
            && !digits.starts_with(b"1")
            && (plan::national(Region::US, digits).is_some() || digits[3..6] == *b"555")
    }

    /// A valid number of the region's own plan. With the trunk prefix: grouped, or a mobile
    /// number if written as one run. Without it: grouped numbers of 8 or more digits where
    /// the region has no trunk prefix (IT, ES, DK, NO, …), and mobile numbers of 10 or more
    /// digits where they are written without it (CN 138 0013 8000; NANP regions such as the
    /// US, 415 555 0132, whose trunk prefix is 1). A German "170 8771108" drops the `0`
    /// nobody drops: it is no number.
    fn region_national(&self, region: Region) -> bool {
        let Some(n) = plan::national(region, self.digits()) else {
            return false;
        };
        if n.trunk {
            return self.groups > 1 || n.mobile;
        }
        let mobile_written_bare = !n.trunk_zero || MOBILE_WITHOUT_TRUNK.contains(&region.as_str());
        (self.groups > 1 && !n.region_has_trunk && n.len >= 8) || (n.mobile && n.len >= 10 && mobile_written_bare)
    }
}

/// Labels of cases and amounts: a number after them is no phone number even when grouped.
const CASE_LABELS: &[&str] = &[
    "nr",
    "no",
    "ref",
    "referenz",
    "reference",
    "référence",
    "order",
    "auftrag",
    "bestellung",
    "rechnung",
    "invoice",
    "ticket",
    "dossier",
    "facture",
    "commande",
    "vorgang",
    "aktenzeichen",
    "case",
    "betrag",
    "summe",
    "amount",
    "montant",
    "importe",
    "importo",
    "kwota",
    "bedrag",
    "expediente",
    "pratica",
    "sprawa",
    "zaak",
    "pedido",
    "factura",
    "fattura",
    "faktura",
    "ordine",
    "bestelling",
    "zamówienie",
];

/// Regions whose trunk prefix is `0` but whose mobile numbers are written without it.
const MOBILE_WITHOUT_TRUNK: &[&str] = &["CN"];

/// Labels of identifiers (besides [`CASE_LABELS`]), as the last word before a number: a bare
/// digit run after them is no phone number.
const ID_LABELS: &[&str] =
    &["nummer", "number", "num", "id", "kunde", "kunden", "customer", "account", "konto", "n°", "numéro", "client"];

/// Words that say a phone number follows after all ("Tel.-Nr.", "Rufnummer", "numéro de
/// téléphone"), looked for in the 24 bytes before it.
const PHONE_WORDS: &[&str] = &[
    "tel",
    "tél",
    "fon",
    "phone",
    "mobil",
    "móvil",
    "movil",
    "handy",
    "fax",
    "portable",
    "ruf",
    "durchwahl",
    "cell",
    "whatsapp",
];

/// Separators a label may stand before its number: "Kd.-Nr.: " has three; a label further
/// away is not this number's. (Bounded so that validation reads a bounded context.)
const LABEL_GAP: usize = 16;

/// Characters of the label word read: more than any label has.
const LABEL_WORD: usize = 16;

/// What label the text before a number ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// None, or one that a phone word near overrules ("Tel.-Nr.", "Telefonnummer").
    None,
    /// An identifier's ("Kd.-Nr.", "customer", "n°"): a bare digit run after it is no phone number.
    Id,
    /// A case's or an amount's ("Vorgang", "Betrag", "ticket #"): no number after it is one.
    Case,
}

/// The label the text before a number ends with ("Kd.-Nr. ", "order no. ", "Rechnungsnummer:
/// ", "ticket #"). Reads at most `LABEL_GAP` separators, the last `LABEL_WORD` characters of
/// the word before them and 24 bytes of context; allocates only when a label is found.
fn label_before(before: &str) -> Label {
    let mut rest = before.chars().rev().peekable();
    let mut gap = 0;
    while rest.next_if(|c| matches!(c, ' ' | '.' | ':' | '-' | '\u{a0}')).is_some() {
        gap += 1;
        if gap > LABEL_GAP {
            return Label::None;
        }
    }
    if rest.peek() == Some(&'#') {
        return Label::Case;
    }
    // A word longer than `LABEL_WORD` is no label itself and ends like its last characters.
    let mut word = ['\0'; LABEL_WORD];
    let mut n = 0;
    while let Some(c) = rest.next_if(|c| n < LABEL_WORD && (c.is_alphanumeric() || *c == '°')) {
        word[n] = c;
        n += 1;
    }
    if n == 0 {
        return Label::None;
    }
    let word: String = word[..n].iter().rev().flat_map(|c| c.to_lowercase()).collect();
    let is = |labels: &[&str]| {
        labels.contains(&word.as_str()) || labels.iter().any(|l| l.chars().count() > 3 && word.ends_with(l))
    };
    let label = if is(CASE_LABELS) {
        Label::Case
    } else if is(ID_LABELS) {
        Label::Id
    } else {
        return Label::None;
    };
    // "Tel.-Nr.", "Telefonnummer", "phone no." label a phone number after all.
    let mut from = before.len().saturating_sub(24);
    while !before.is_char_boundary(from) {
        from += 1;
    }
    let context = before[from..].to_lowercase();
    if PHONE_WORDS.iter().any(|p| context.contains(p)) {
        return Label::None;
    }
    label
}

#[cfg(test)]
mod tests;
