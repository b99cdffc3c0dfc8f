//! Where files live: the drop folders, the state folder and the storage folder. `local`
//! reaches every path below a configured root through directory handles that refuse
//! symlinks and mount crossings; `s3` reaches the objects below an `s3://bucket/prefix`
//! location through a synchronous facade over object_store, refusing any key that is not a
//! plain relative path.

pub mod local;
pub mod s3;
pub mod tree;

pub use local::{is_dir, stamp, sync_failure, Dir, DirError, Refusal, Stamp};
