//! importd: the daemon and the command line around `anonymizer-core`.
//!
//! The core is pure (rules, plans, readers, writers); this crate owns what it must not:
//! time, tenants, storage, durability and concurrency.
//!
//! - [`cli`]: one file per command; parses nothing itself (clap does, in `cli/args.rs`)
//!   and reports a [`exit::Failure`] with the exit code.
//! - [`daemon`]: `importd serve` and the rooms it is built from (configuration, watching,
//!   intake and claim, the import job, publishing, outcomes, recovery, ledger, audit,
//!   telemetry). Tests drive it in process through this library.
//!
//! - [`store`]: the folders, reached through directory handles that never follow a link.
//! - [`stored`]: after the import: commands that check or change what storage holds
//!   (`verify`, `subject`).
//!
//! Dependencies point one way: `cli` → `stored` → `daemon` → `store`, `anonymizer-core`;
//! `exit` is a leaf all use.

/// A crash point between claim and done. With the `failpoints` feature and
/// `FAILPOINTS="<name>=return"` in the environment the process aborts right here, as a
/// `kill -9` would (no destructors, no buffers flushed); without the feature it is nothing.
/// Every name is listed in ARCHITECTURE.md ("Crash points"; the erasure's in "Erasing a
/// subject") and crashed by `tests/crash.rs` (the erasure's by `tests/subject/crash.rs`).
macro_rules! crash_point {
    ($name:literal) => {
        #[cfg(all(feature = "failpoints", debug_assertions))]
        {
            if fail::eval($name, |_| ()).is_some() {
                std::process::abort();
            }
        }
    };
}

pub mod cli;
pub mod daemon;
pub mod exit;
pub mod store;
pub mod stored;

#[cfg(test)]
mod rooms {
    //! The dependency rule, checked on the source: no module of this crate reaches, through
    //! `crate::…` paths, a module that reaches it back.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Module path (`daemon::job`) → source text, for every file under `src/`.
    fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(stem);
                modules(&path, &p, out)?;
            } else if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
                let mut p = prefix.to_vec();
                if stem != "mod" && stem != "lib" {
                    p.push(stem);
                }
                out.insert(p.join("::"), std::fs::read_to_string(&path)?);
            }
        }
        Ok(())
    }

    /// The modules a source names through `crate::a::b::…`: the longest prefix that is a module.
    fn edges(text: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            if let Some(m) = (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| known.contains_key(m)) {
                out.insert(m);
            }
        }
        out
    }

    #[test]
    fn no_module_depends_on_itself_through_others() -> std::io::Result<()> {
        let mut known = BTreeMap::new();
        modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut known)?;
        assert!(known.contains_key("daemon::job") && known.contains_key("cli::args"), "{:?}", known.keys());
        let graph: BTreeMap<&str, BTreeSet<String>> = known
            .iter()
            .map(|(m, text)| {
                let mut e = edges(text, &known);
                e.remove(m);
                (m.as_str(), e)
            })
            .collect();
        // Depth-first search; a back edge is a cycle, reported with its path.
        fn visit<'a>(
            m: &'a str,
            graph: &'a BTreeMap<&'a str, BTreeSet<String>>,
            stack: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Result<(), String> {
            if let Some(at) = stack.iter().position(|s| *s == m) {
                return Err(format!("{} -> {m}", stack[at..].join(" -> ")));
            }
            if done.contains(m) {
                return Ok(());
            }
            stack.push(m);
            for next in graph.get(m).into_iter().flatten() {
                visit(next, graph, stack, done)?;
            }
            stack.pop();
            done.insert(m);
            Ok(())
        }
        let mut done = BTreeSet::new();
        for m in graph.keys() {
            if let Err(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
                panic!("dependency cycle: {cycle}");
            }
        }
        // The check itself can fail: a made-up back edge is found.
        let mut bad = graph.clone();
        bad.entry("daemon::audit").or_default().insert("daemon::state".into());
        let found = bad.keys().any(|m| visit(m, &bad, &mut Vec::new(), &mut BTreeSet::new()).is_err());
        assert!(found, "the cycle check missed a planted cycle");
        Ok(())
    }
}
