//! The rule-file parser never panics; every error it returns has a position inside the file;
//! a file that parses re-renders to text that parses to the same model (render is a fixpoint).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match anonymizer_core::parse_rules(text, "fuzz.toml") {
        Err(d) => {
            let lines = text.lines().count().max(1) + 1;
            for item in &d.items {
                assert!(item.line >= 1 && item.line <= lines, "line {} outside 1..{lines}", item.line);
            }
        }
        Ok(rules) => {
            let once = rules.render();
            let again = anonymizer_core::parse_rules(&once, "rendered.toml")
                .unwrap_or_else(|d| panic!("the rendered rules do not parse:\n{once}\n{d}"));
            assert_eq!(again.render(), once, "render is not a fixpoint");
        }
    }
});
