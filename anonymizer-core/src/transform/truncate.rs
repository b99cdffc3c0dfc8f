//! `truncate`: keeps the first `keep_first` characters.

/// The prefix of `value` with at most `keep_first` characters.
pub fn truncate(value: &str, keep_first: usize) -> &str {
    match value.char_indices().nth(keep_first) {
        Some((i, _)) => &value[..i],
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(truncate("80331", 2), "80");
        assert_eq!(truncate("Ökø", 2), "Ök");
        assert_eq!(truncate("ab", 5), "ab");
        assert_eq!(truncate("ab", 0), "");
        assert_eq!(truncate("", 3), "");
    }
}
