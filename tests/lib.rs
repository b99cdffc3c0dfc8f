//! Helpers live in `main.rs`; this crate has no library code.
