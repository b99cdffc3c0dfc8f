//! An S3-compatible server for tests: moto (`python -m moto.server`) on 127.0.0.1.
