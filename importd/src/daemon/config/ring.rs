//! A tenant's key ring as the configuration holds it: read at start, re-read when
//! `ring.json` changes (`keys rotate`), and kept apart from every other tenant's keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anonymizer_core::KeySet;

use super::{FileStamp, Tenant, TenantId};
use crate::daemon::keyring::{KeyRing, KeySource};

/// Refuses a key file or ring folder that two tenants share, or one inside another tenant's
/// ring folder: keys never mix, and offboarding one tenant destroys only its own keys.
pub(super) fn keys_apart(tenants: &BTreeMap<TenantId, Tenant>) -> Result<(), String> {
    let places: Vec<(&str, PathBuf, bool)> = tenants
        .values()
        .map(|t| {
            let ring = t.ring();
            let path = std::fs::canonicalize(ring.source.path()).unwrap_or_else(|_| ring.source.path().to_path_buf());
            (t.id.as_str(), path, matches!(ring.source, KeySource::Dir(_)))
        })
        .collect();
    for (i, (a, pa, a_dir)) in places.iter().enumerate() {
        for (b, pb, b_dir) in &places[i + 1..] {
            if pa == pb || (*a_dir && pb.starts_with(pa)) || (*b_dir && pa.starts_with(pb)) {
                return Err(format!(
                    "tenants `{a}` and `{b}` share keys ({} and {}); each tenant needs its own",
                    pa.display(),
                    pb.display()
                ));
            }
        }
    }
    Ok(())
}

/// The key ring in force and the stamp of the file it was read from.
#[derive(Debug, Clone)]
pub struct LoadedRing {
    pub ring: Arc<KeyRing>,
    pub stamp: Option<FileStamp>,
}

impl LoadedRing {
    /// Reads the ring, stamped with `ring.json` as it was before the read: a rotation landing
    /// during the read changes the stamp again, so it is read once more.
    pub fn load(source: &KeySource) -> Result<LoadedRing, String> {
        let stamp = ring_stamp(source);
        Ok(LoadedRing { ring: Arc::new(KeyRing::load(source)?), stamp })
    }
}

fn ring_stamp(source: &KeySource) -> Option<FileStamp> {
    match source {
        KeySource::File(_) => None,
        KeySource::Dir(d) => FileStamp::of(&d.join(crate::daemon::keyring::RING_FILE)).ok(),
    }
}

impl Tenant {
    /// Every key of the tenant, as last read.
    pub fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(r) => r.ring.clone(),
            Err(poisoned) => poisoned.into_inner().ring.clone(),
        }
    }

    /// The active key's sub-keys: what new imports use.
    pub fn keys(&self) -> Arc<KeySet> {
        self.ring().active().keys.clone()
    }

    /// Reads the ring again if `ring.json` changed (`keys rotate`). Returns the active key ids
    /// before and after when the active key changed; a ring that no longer loads is refused
    /// (the one in force stays) with the error.
    pub fn refresh_ring(&self) -> Result<Option<(String, String)>, String> {
        let current = match self.ring.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let stamp = ring_stamp(&current.ring.source);
        if stamp.is_none() || stamp == current.stamp {
            return Ok(None);
        }
        let fresh = match LoadedRing::load(&current.ring.source) {
            Ok(ring) => ring,
            Err(e) => {
                // Refused once per version: the ring in force stays until the file changes.
                let kept = LoadedRing { ring: current.ring.clone(), stamp };
                match self.ring.write() {
                    Ok(mut w) => *w = kept,
                    Err(poisoned) => *poisoned.into_inner() = kept,
                }
                return Err(e);
            }
        };
        let before = current.ring.active().id().to_string();
        let after = fresh.ring.active().id().to_string();
        match self.ring.write() {
            Ok(mut w) => *w = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok((before != after).then_some((before, after)))
    }
}
