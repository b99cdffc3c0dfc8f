//! Deleting a tenant's files: storage, quarantine, archive, kept rule file versions, claimed and outgoing files, files
//! waiting in its drop folders, and its lines in an earlier version's ledger kept aside.

use std::io::{self, BufRead, Write};
use std::path::Path;

use crate::daemon::config::{Settings, Tenant};
use crate::daemon::places::Place;
use crate::daemon::records::Records;
use crate::exit::Failure;
use crate::store::s3::ObjectDir;
use crate::store::tree::{remove_tree, Removed};
use crate::store::Dir;

/// Deletes every file of the tenant; returns what went, per area.
pub fn delete_data(
    settings: &Settings,
    t: &Tenant,
    records: &mut Records<'_>,
) -> Result<Vec<(&'static str, Removed)>, Failure> {
    let tenant = t.id.as_str();
    let fail = |what: &str, e: io::Error| {
        Failure::runtime(format!("error: tenant {tenant}: deleting {what} failed ({e}); run the command again"))
    };
    let mut areas = Vec::new();
    let storage = match (&t.places.storage, &t.places.storage_store) {
        (_, Some(store)) => delete_objects(store, tenant).map_err(|e| fail("the storage objects", e))?,
        (Place::Local(root), None) => local_tree(root, tenant).map_err(|e| fail("the storage folder", e))?,
        (Place::Object(_), None) => Removed::default(),
    };
    areas.push(("storage", storage));
    let state = &settings.state_dir;
    // The rule file versions the daemon kept (`rules/<tenant>/`) go with the tenant's data.
    for area in ["quarantine", "archive", "rules"] {
        areas.push((area, local_tree(&state.join(area), tenant).map_err(|e| fail(area, e))?));
    }
    let drop = match (&t.places.drop, &t.places.drop_store) {
        // Waiting files and the object copies under `<tenant>/<dataset>/.importd/`.
        (_, Some(store)) => delete_objects(store, tenant).map_err(|e| fail("the drop objects", e))?,
        (Place::Local(root), None) => local_tree(root, tenant).map_err(|e| fail("the drop folder", e))?,
        (Place::Object(_), None) => Removed::default(),
    };
    areas.push(("drop", drop));
    // Claimed inputs (`processing/<id>`) and outputs not yet uploaded (`outgoing/<id>…`) of
    // the tenant's unfinished imports.
    let unfinished = records.ledger().unfinished().map_err(|e| fail("claimed files", io::Error::other(e)))?;
    let ids: Vec<String> =
        unfinished.iter().filter(|(_, st)| st.tenant == tenant).map(|(id, _)| id.as_str().to_string()).collect();
    let mut claimed = Removed::default();
    for folder in ["processing", "outgoing"] {
        let Ok(dir) = Dir::open(&state.join(folder)) else { continue };
        for entry in dir.entries().map_err(|e| fail("claimed files", e))? {
            let name = entry.name.to_string_lossy();
            if ids.iter().any(|id| name.contains(id.as_str())) {
                dir.remove_file(&entry.name).map_err(|e| fail("claimed files", e))?;
                claimed.add(Removed { files: 1, bytes: u64::try_from(entry.stat.st_size).unwrap_or(0) });
            }
        }
        dir.sync().map_err(|e| fail("claimed files", e))?;
    }
    areas.push(("processing", claimed));
    // Lines, not files: the file stays, without the tenant.
    let lines = forget_in_old_ledger(state, tenant).map_err(|e| fail("the earlier version's ledger", e))?;
    areas.push(("old_ledger_lines", Removed { files: 0, bytes: lines }));
    Ok(areas)
}

/// Removes `<root>/<tenant>` through handles (nothing if the root or folder is missing).
fn local_tree(root: &Path, tenant: &str) -> io::Result<Removed> {
    match Dir::open(root) {
        Ok(dir) => remove_tree(&dir, tenant),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Removed::default()),
        Err(e) => Err(e),
    }
}

fn delete_objects(store: &ObjectDir, tenant: &str) -> io::Result<Removed> {
    let mut removed = Removed::default();
    for (key, entry) in store.list_all(tenant)? {
        store.delete(&key)?;
        removed.add(Removed { files: 1, bytes: entry.size });
    }
    Ok(removed)
}

/// `ledger.jsonl.imported` (the JSON Lines ledger of importd before SQLite, kept aside after
/// its one-time import) is rewritten without the tenant's imports: their ids are those of
/// its `claimed` entries.
fn forget_in_old_ledger(state: &Path, tenant: &str) -> io::Result<u64> {
    let path = state.join("ledger.jsonl.imported");
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let lines: Vec<String> = io::BufReader::new(file).lines().collect::<io::Result<_>>()?;
    let entry = |l: &str| serde_json::from_str::<serde_json::Value>(l).ok();
    let ids: Vec<String> = lines
        .iter()
        .filter_map(|l| entry(l))
        .filter(|e| e["ev"] == "claimed" && e["tenant"] == tenant)
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect();
    let kept: Vec<&String> = lines
        .iter()
        .filter(|l| !entry(l).is_some_and(|e| e["id"].as_str().is_some_and(|id| ids.iter().any(|x| x == id))))
        .collect();
    let removed = (lines.len() - kept.len()) as u64;
    if removed == 0 {
        return Ok(0);
    }
    let tmp = state.join(".ledger.jsonl.imported.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    for l in kept {
        writeln!(f, "{l}")?;
    }
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Dir::open(state)?.sync()?;
    Ok(removed)
}
