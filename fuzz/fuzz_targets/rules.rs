//! The rule-file parser never panics; every error it returns has a position inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(d) = anonymizer_core::parse_rules(text, "fuzz.toml") {
        let lines = text.lines().count().max(1) + 1;
        for item in &d.items {
            assert!(item.line >= 1 && item.line <= lines, "line {} outside 1..{lines}", item.line);
        }
    }
});
