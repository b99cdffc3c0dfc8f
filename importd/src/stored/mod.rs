//! After the import: commands that check or change what storage holds, run beside the
//! daemon through the ledger and the audit chains (`daemon::records`).

pub mod verify;
