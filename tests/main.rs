//! End-to-end tests: the real `importd` binary on real files in temporary folders.
//! A test target of the `importd` package (importd/Cargo.toml), so the binary it drives is
//! always the one just built (`CARGO_BIN_EXE_importd`).

mod servers; // PostgreSQL and an S3-compatible server on loopback, for the many-daemon tests
mod site; // a daemon site: config, two tenants, drop folders, reading stored rows back
mod support; // locating the binary; a sandbox folder with keys, rules and inputs

mod bad_input; // every kind of bad input: one clear sentence with its place, exit 1, nothing written
mod canary; // unique canaries in every column never reach stdout, stderr or any other file
mod cases; // tests/cases/: the bad-input corpus through the CLI and the daemon, one runner
mod cli; // anonymize, rules check, keys new, demo: outputs, exit codes, summaries
mod cluster; // three daemons on one PostgreSQL ledger and one S3 server: kill -9, SIGSTOP, PostgreSQL restarts
mod crash; // the failpoint matrix: a crash at every step between claim and done, restart, invariants
mod faults; // disk full, failing fsync, read-only state, storage removed: retried, never partial
mod formats;
mod header; // a header row that is really data is quarantined; no value leaks into logs, reasons, ledger, audit or metrics // Excel CSV without [input], JSON Lines, gzip, every output format read back, DuckDB, bombs
mod isolation; // symlinked tenant and dataset folders, a folder swapped between scan and claim: refused
mod keys; // key rings: rotate, imports under the active key, earlier outputs and the audit chain across generations
mod object_store;
mod offboard; // tenant offboard: every file and key of one tenant gone, the other's byte for byte, backups unlinkable // the S3 layer against moto: listings, ETag-pinned downloads, multipart uploads, refused keys, timeouts
mod postgres_ledger; // the shared PostgreSQL ledger: claim races, lease takeover and fencing, restarts, audit chain
mod reference; // output equals the independent Python implementation of the spec
mod rule_packs; // rules/examples/*.toml validate and their [[examples]] pass
mod serve; // the daemon: bursts, kill -9, hostile entries, reload, shutdown, audit, metrics
mod serve_model; // proptest: random drop-folder actions and crashes against the exactly-once model
mod subject; // subject find/export/erase over key generations, raw copies, crashes at every erase step
mod suggest; // `rules suggest` drafts validate and, applied, leave no contact or payment data
mod verify; // `importd verify`: storage against ledger and audit; each kind of difference named, JSON, metrics, exit codes
mod verify_live; // `importd verify` beside a running daemon, after a crash, through an erasure, on S3 with PostgreSQL
