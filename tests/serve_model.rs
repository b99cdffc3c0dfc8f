//! Model-based test of the daemon: proptest drives random sequences of drop-folder actions
//! (uploads by rename, uploads in place, duplicates, broken files, uploads never finished,
//! `kill -9` at random moments, `serve --once`) against the model "each complete file is
//! committed exactly once, skipped as a duplicate of committed content, or quarantined".

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;

use crate::site::*;
use crate::support::stderr;

#[derive(Debug, Clone)]
enum Action {
    /// Upload under a temporary name, then rename; `content` from a small pool, so repeats are duplicates.
    Upload {
        tenant: usize,
        content: u8,
    },
    /// Write straight under the final name (the settle rule protects it).
    UploadInPlace {
        tenant: usize,
        content: u8,
    },
    /// A file with a ragged row: quarantined.
    UploadBroken {
        tenant: usize,
    },
    /// An upload that never finishes: `.part` files are never taken.
    LeavePart {
        tenant: usize,
        content: u8,
    },
    /// Start the daemon and `kill -9` it after some milliseconds.
    Crash {
        after_ms: u16,
    },
    RunOnce,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..2usize, 0..4u8).prop_map(|(tenant, content)| Action::Upload { tenant, content }),
        1 => (0..2usize, 0..4u8).prop_map(|(tenant, content)| Action::UploadInPlace { tenant, content }),
        1 => (0..2usize).prop_map(|tenant| Action::UploadBroken { tenant }),
        1 => (0..2usize, 0..4u8).prop_map(|(tenant, content)| Action::LeavePart { tenant, content }),
        2 => (0..400u16).prop_map(|after_ms| Action::Crash { after_ms }),
        1 => Just(Action::RunOnce),
    ]
}

/// What the model expects per tenant.
#[derive(Debug, Default)]
struct Model {
    /// Distinct contents uploaded (each must be stored exactly once).
    contents: BTreeMap<usize, BTreeSet<u8>>,
    broken: BTreeMap<usize, usize>,
    parts: usize,
}

fn content(tenant: usize, c: u8) -> Vec<u8> {
    // Sizes differ so some imports take long enough for a kill to land inside them.
    orders_csv(&format!("{}-c{c}", TENANTS[tenant]), 5 + 4000 * usize::from(c))
}

fn interpret(actions: &[Action]) -> Result<(), TestCaseError> {
    let site = Site::new("workers = 2\nmax_attempts = 100");
    let mut model = Model::default();
    for (n, a) in actions.iter().enumerate() {
        match a {
            Action::Upload { tenant, content: c } => {
                site.drop_file(TENANTS[*tenant], &format!("u{n}.csv"), &content(*tenant, *c));
                model.contents.entry(*tenant).or_default().insert(*c);
            }
            Action::UploadInPlace { tenant, content: c } => {
                std::fs::write(site.drop_dir(TENANTS[*tenant]).join(format!("p{n}.csv")), content(*tenant, *c))
                    .unwrap();
                model.contents.entry(*tenant).or_default().insert(*c);
            }
            Action::UploadBroken { tenant } => {
                let mut bad = orders_csv(&format!("broken{n}"), 3);
                bad.extend_from_slice(b"x,y\n");
                site.drop_file(TENANTS[*tenant], &format!("b{n}.csv"), &bad);
                *model.broken.entry(*tenant).or_default() += 1;
            }
            Action::LeavePart { tenant, content: c } => {
                std::fs::write(site.drop_dir(TENANTS[*tenant]).join(format!("l{n}.csv.part")), content(*tenant, *c))
                    .unwrap();
                model.parts += 1;
            }
            Action::Crash { after_ms } => {
                let mut child = site.spawn();
                std::thread::sleep(Duration::from_millis(u64::from(*after_ms)));
                child.kill().unwrap();
                child.wait().unwrap();
            }
            Action::RunOnce => {
                site.run_once();
            }
        }
    }
    let out = site.run_once();
    let broken_total: usize = model.broken.values().sum();
    // A broken file may have been quarantined by an earlier run, so only a clean history
    // pins the last run's exit code.
    prop_assert!(broken_total > 0 || out.status.success(), "{}", stderr(&out));
    for (t, tenant) in TENANTS.iter().enumerate() {
        let stored = site.stored_ids(tenant);
        prop_assert!(stored.values().all(|n| *n == 1), "{} stored a row twice", tenant);
        let mut expected = BTreeSet::new();
        for c in model.contents.get(&t).into_iter().flatten() {
            expected.extend(expected_ids(&format!("{tenant}-c{c}"), 5 + 4000 * usize::from(*c)));
        }
        let got: BTreeSet<String> = stored.into_keys().collect();
        prop_assert_eq!(got.len(), expected.len(), "{}: stored rows differ from the model", tenant);
        prop_assert!(got == expected, "{}: stored rows differ from the model", tenant);
        prop_assert_eq!(site.reasons(tenant).len(), model.broken.get(&t).copied().unwrap_or(0));
        // The audit log: one terminal record per import; committed ones name the outputs.
        let terminals = site.audit_terminals(tenant);
        prop_assert_eq!(terminals.get("committed").copied().unwrap_or(0), site.outputs(tenant).len());
        prop_assert_eq!(terminals.get("quarantined").copied().unwrap_or(0), model.broken.get(&t).copied().unwrap_or(0));
    }
    let left: Vec<_> = TENANTS.iter().flat_map(|t| site.files(&format!("drop/{t}"))).collect();
    prop_assert_eq!(left.len(), model.parts, "only unfinished uploads stay: {:?}", left);
    prop_assert!(site.files("state/processing").is_empty());
    prop_assert!(site.files("storage").iter().all(|p| p.extension().is_some_and(|e| e == "parquet")));
    for t in TENANTS {
        let v = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", t]);
        prop_assert!(v.status.success(), "{}", stderr(&v));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 16, ..ProptestConfig::default() })]

    #[test]
    fn each_complete_file_is_committed_exactly_once_or_quarantined(actions in prop::collection::vec(action(), 1..9)) {
        interpret(&actions)?;
    }
}
