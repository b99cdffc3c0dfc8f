//! After the import: commands that check or change what storage holds, run beside the
//! daemon through the ledger and the audit chains (`daemon::records`): `verify` (storage
//! against ledger and audit) and `subject` (data-subject requests over the committed outputs
//! and the raw copies the daemon keeps).

pub mod subject;
pub mod verify;
