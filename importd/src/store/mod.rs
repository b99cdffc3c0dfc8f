//! Where files live: the drop folders, the state folder and the storage folder. `local`
//! reaches every path below a configured root through directory handles that refuse
//! symlinks and mount crossings; an object-store backend (S3) will sit beside it.

pub mod local;

pub use local::{is_dir, stamp, sync_failure, Dir, DirError, Refusal, Stamp};
