//! An S3-compatible server for tests: moto (`$IMPORTD_PYTHON -m moto.server`, PyPI's
//! `moto[server]`) on a free loopback port, its log in a temporary folder. Dropping the handle
//! kills it; moto also exits by itself within a second of this process ending (it watches its
//! parent), so a server kept in a `static` for a whole test binary is not left behind.
//!
//! moto accepts unsigned requests, so buckets are made and inspected with plain HTTP over
//! a `TcpStream` (no client library, no Python start-up per request).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;

/// Runs moto in the foreground and exits when its parent (the test process) is gone.
const LAUNCHER: &str = "
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(['-H', '127.0.0.1', '-p', sys.argv[1]])
";

/// A running moto server.
pub struct S3Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl S3Server {
    /// Starts moto and waits until it answers; `None` (after a SKIPPED line, or a panic under
    /// IMPORTD_CI=1) when `$IMPORTD_PYTHON` (default `python3`) has no moto.
    pub fn start() -> Option<S3Server> {
        let test = std::thread::current().name().unwrap_or("an S3 test").to_string();
        if !support::has(&test, support::Need::PythonModule("moto.server")) {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let dir = tempfile::tempdir().expect("tempdir");
        let log = std::fs::File::create(dir.path().join("moto.log")).expect("moto.log");
        let child = Command::new(support::python())
            .args(["-c", LAUNCHER, &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start moto");
        let mut server = S3Server { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.request("GET", "/", b"").is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("moto exited ({status}) before answering:\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "moto did not answer within 60 s:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `AWS_*` variables a client (a spawned importd, or `ObjectDir::open_with`) needs
    /// to reach this server: its endpoint, a region and dummy keys.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint().as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Creates a bucket (it must not exist yet).
    pub fn create_bucket(&self, name: &str) {
        let (status, body) = self.request("PUT", &format!("/{name}"), b"").expect("create bucket");
        assert_eq!(status, 200, "creating bucket {name}: {body}");
    }

    /// Puts an object under a raw key, exactly as given (a key the S3 layer would refuse to
    /// write: `..`, `//`, a trailing `/`). `key` is sent as the request path, so it must be
    /// percent-encoded where HTTP needs it.
    pub fn put_raw(&self, bucket: &str, key: &str, body: &[u8]) {
        let (status, answer) = self.request("PUT", &format!("/{bucket}/{key}"), body).expect("put");
        assert_eq!(status, 200, "putting {key}: {answer}");
    }

    /// Multipart uploads started in `bucket` and neither completed nor aborted.
    pub fn pending_uploads(&self, bucket: &str) -> usize {
        let (status, body) = self.request("GET", &format!("/{bucket}?uploads"), b"").expect("list uploads");
        assert_eq!(status, 200, "listing uploads: {body}");
        body.matches("<Upload>").count()
    }

    /// Kills the server now (Drop does the same).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// moto's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// One HTTP/1.1 request on its own connection: the status and the body.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
        Ok((status, body))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
