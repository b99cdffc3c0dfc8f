//! `phone`: international (`+` or `00` and a country code) and common national forms of DE,
//! AT, CH, FR, UK (trunk prefix 0) and the US (3-3-4), with spaces, dashes, slashes, dots
//! and parentheses. Dates, versions, amounts, IPs and long digit runs are refused.

pub(crate) const PATTERN: &str = r"(?:\+|\()?[0-9][0-9 ./()\-]{5,22}[0-9]";

/// The longest valid phone number at the start of the candidate: a candidate that ran on into
/// the next number ("+49 170 1234567 192.168.0.1") is cut back at a separator.
/// A number in parentheses in prose ("Kundin (030 1234567) rief an") starts after the `(`.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let starts = [start, start + 1];
    let starts = if bytes[start] == b'(' { &starts[..] } else { &starts[..1] };
    starts.iter().find_map(|&s| {
        // What is before the number does not depend on where it ends: judged once, not
        // once per end tried (most candidates in digit-dense text fail here).
        if !start_ok(text, s) {
            return None;
        }
        (s + 7..=end)
            .rev()
            .filter(|&e| {
                e == end || (bytes[e - 1].is_ascii_digit() && matches!(bytes[e], b' ' | b'.' | b'/' | b'-' | b')'))
            })
            .find(|&e| valid(text, s, e))
            .map(|e| (s, e))
    })
}

/// What comes before a number starting at `start` allows it: not glued to a letter, digit or
/// `+.,/-`, and not the tail of a grouped IBAN or card ("DE89 3704 0044 0532 …": the group
/// before is 4 characters with a digit, read from its last five characters only).
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
    }
    true
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text[start..end];
    let after = text[end..].chars().next();
    if !start_ok(text, start)
        || after.is_some_and(|c| c.is_alphanumeric() || c == '@')
        || (after == Some('.') || after == Some(',')) && text[end + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        return false;
    }
    if s.matches('(').count() != s.matches(')').count() || s.contains("  ") {
        return false;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    // A bare digit run right after an identifier label ("Kd.-Nr. 0012345678", "order no.
    // 0123456789", "n° 0612345678") is an identifier, not a phone number.
    if digits.len() == s.len() && after_id_label(&text[..start]) {
        return false;
    }
    let groups: Vec<&str> = s.split([' ', '.', '/', '-', '(', ')']).filter(|g| !g.is_empty()).collect();
    let seps: Vec<char> = s.chars().filter(|c| matches!(c, '.' | '/' | '-')).collect();
    // Dates: three groups like 01.10.2024, 1/10/24, 2024-01-02.
    if groups.len() == 3 && seps.len() == 2 && seps[0] == seps[1] {
        let l: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if matches!(l.as_slice(), [1 | 2, 1 | 2, 2 | 4] | [4, 1 | 2, 1 | 2]) {
            return false;
        }
    }
    let international = s.starts_with('+') || (s.starts_with("00") && !s.starts_with("000"));
    if international {
        let national = digits.trim_start_matches("00");
        return (8..=15).contains(&national.len()) && !national.starts_with('0');
    }
    let body = s.trim_start_matches('(');
    if body.starts_with('0') && !body.starts_with("00") {
        // Written without separators, only mobile numbers are distinctive enough:
        // DE 015x/016x/017x, FR 06/07, UK 07, AT 06xx, CH 07x.
        if groups.len() == 1 {
            let mobile = ["015", "016", "017", "06", "07"].iter().any(|p| digits.starts_with(p));
            return mobile && (10..=12).contains(&digits.len());
        }
        return (8..=13).contains(&digits.len()) && groups.iter().all(|g| g.len() <= 8);
    }
    // US: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132.
    digits.len() == 10
        && matches!(groups.iter().map(|g| g.len()).collect::<Vec<_>>().as_slice(), [3, 3, 4])
        && !digits.starts_with(['0', '1'])
}

/// Labels of identifiers in German, English and French, as the last word before a number.
const ID_LABELS: &[&str] = &[
    "nr",
    "no",
    "nummer",
    "number",
    "num",
    "id",
    "ref",
    "referenz",
    "reference",
    "référence",
    "order",
    "auftrag",
    "bestellung",
    "rechnung",
    "invoice",
    "kunde",
    "kunden",
    "customer",
    "account",
    "konto",
    "ticket",
    "n°",
    "numéro",
    "commande",
    "dossier",
    "facture",
    "client",
];

/// Separators a label may stand before its number: "Kd.-Nr.: " has three; a label further
/// away is not this number's. (Bounded so that validation reads a bounded context.)
const LABEL_GAP: usize = 16;

/// Characters of the label word read: more than any label has.
const LABEL_WORD: usize = 16;

/// Whether the text before a number ends with an identifier label ("Kd.-Nr. ", "order no. ",
/// "Rechnungsnummer: ", "ticket #"). Reads at most `LABEL_GAP` separators, the last
/// `LABEL_WORD` characters of the word before them and 24 bytes of context.
fn after_id_label(before: &str) -> bool {
    let mut rest = before.chars().rev().peekable();
    let mut gap = 0;
    while rest.next_if(|c| matches!(c, ' ' | '.' | ':' | '-' | '\u{a0}')).is_some() {
        gap += 1;
        if gap > LABEL_GAP {
            return false;
        }
    }
    if rest.peek() == Some(&'#') {
        return true;
    }
    // A word longer than `LABEL_WORD` is no label itself and ends like its last characters.
    let mut word = Vec::new();
    while let Some(c) = rest.next_if(|c| word.len() < LABEL_WORD && (c.is_alphanumeric() || *c == '°')) {
        word.push(c);
    }
    let word: String = word.into_iter().rev().collect::<String>().to_lowercase();
    // "Tel.-Nr.", "Telefonnummer", "phone no." label a phone number after all.
    let mut from = before.len().saturating_sub(24);
    while !before.is_char_boundary(from) {
        from += 1;
    }
    let context = before[from..].to_lowercase();
    if ["tel", "fon", "phone", "mobil", "handy", "fax", "portable"].iter().any(|p| context.contains(p)) {
        return false;
    }
    ID_LABELS.contains(&word.as_str()) || ID_LABELS.iter().any(|l| l.chars().count() > 3 && word.ends_with(l))
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn national_and_international_forms() {
        let s = Scanner::builtin_only(&["phone"]).unwrap();
        for phone in [
            "+49 170 1234567",
            "+49 (0)30 1234567",
            "030 12345678",
            "(030) 1234567",
            "0171/1234567",
            "0171-123 45 67",
            "+43 664 1234567",
            "0664 1234567",
            "0043 664 1234567",
            "+41 79 123 45 67",
            "079 123 45 67",
            "+33 6 12 34 56 78",
            "06 12 34 56 78",
            "06.12.34.56.78",
            "+44 7700 900123",
            "07700 900123",
            "020 7946 0958",
            "(415) 555-0132",
            "415-555-0132",
            "415.555.0132",
            "+1 415 555 0132",
        ] {
            let text = format!("Bitte rufen Sie {phone} an.");
            assert_eq!(s.found(&text), [phone], "{text}");
        }
    }

    #[test]
    fn a_number_running_into_the_next_is_cut_back() {
        let s = Scanner::builtin_only(&["phone"]).unwrap();
        assert_eq!(s.found("+49 170 1234567 192.168.0.1"), ["+49 170 1234567"]);
        assert_eq!(s.found("0171 1234567 / 030 1234567"), ["0171 1234567", "030 1234567"]);
        assert_eq!(s.found("Kundin (030 74174862) rief an"), ["030 74174862"]);
        assert_eq!(s.found("Kundin ((030) 7417486) rief an"), ["(030) 7417486"]);
        assert_eq!(s.found("Tel.-Nr. 01711234567"), ["01711234567"]);
        assert_eq!(s.found("Telefonnummer: 01711234567"), ["01711234567"]);
    }

    #[test]
    fn decoys_are_kept() {
        let s = Scanner::builtin_only(&["phone"]).unwrap();
        for decoy in [
            "version 2.1",
            "am 1.10.2024",
            "am 01.10.2024",
            "on 2024-01-02",
            "total 332,89 EUR",
            "IP 192.168.1.10",
            "order 4111111111111112",
            "card 4111 1111 1111 1111",
            "year 2024",
            "PLZ 80331 München",
            "1/10/24",
            "IBAN DE89 3704 0044 0532 0130 00",
            "Kd.-Nr. 0012345678",
            "order no. 0123456789",
            "n° 0612345678",
            "Rechnungsnummer: 0123456789",
            "ticket #0171123456",
        ] {
            assert!(s.found(decoy).is_empty(), "{decoy}: {:?}", s.found(decoy));
        }
    }
}
