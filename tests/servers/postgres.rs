//! PostgreSQL for tests: `initdb` into a temporary folder, `pg_ctl start` on a Unix socket.
