//! Real servers for the tests that need them, started on loopback (or a Unix socket) in a
//! temporary folder and stopped when the handle drops: PostgreSQL from the distribution's
//! packages (`initdb`, `pg_ctl`) and an S3-compatible server (moto, from PyPI). `.ci/run`
//! installs both; elsewhere a test that cannot find one says SKIPPED (and fails under
//! IMPORTD_CI=1).

pub mod postgres;
pub mod s3;
