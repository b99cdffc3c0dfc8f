//! object_store's errors as `io::Error`s: a kind the daemon can sort by (NotFound,
//! PermissionDenied, TimedOut, ConnectionRefused, …) and one short sentence naming the
//! operation, the `s3://` place and the cause. object_store's own text is never passed on
//! (it carries request URLs and the server's answer); only S3's error code (`NoSuchBucket`,
//! `SlowDown`, …) and the HTTP status are taken from it.

use std::error::Error as _;
use std::io::{self, ErrorKind};

use object_store::client::{HttpError, HttpErrorKind};
use object_store::Error;

/// `cannot <op> <place>: <cause>`.
pub(super) fn io_error(op: &str, place: &str, e: &Error) -> io::Error {
    let (kind, cause) = classify(e);
    io::Error::new(kind, format!("cannot {op} {place}: {cause}"))
}

/// `cannot <op> <place>: <cause>` for a failure found on this side (a timeout of ours, a
/// short body, a local file).
pub(super) fn local(kind: ErrorKind, op: &str, place: &str, cause: impl std::fmt::Display) -> io::Error {
    io::Error::new(kind, format!("cannot {op} {place}: {cause}"))
}

fn classify(e: &Error) -> (ErrorKind, String) {
    let code = s3_code(e);
    let says = |what: &str| match &code {
        Some(code) => format!("{what} (S3 says {code})"),
        None => what.to_string(),
    };
    match e {
        Error::NotFound { .. } if code.as_deref() == Some("NoSuchBucket") => {
            (ErrorKind::NotFound, "the bucket does not exist".into())
        }
        Error::NotFound { .. } => (ErrorKind::NotFound, "there is no such object".into()),
        Error::Precondition { .. } | Error::NotModified { .. } => {
            (ErrorKind::Other, "the object changed since it was listed".into())
        }
        Error::AlreadyExists { .. } => (ErrorKind::AlreadyExists, "the object already exists".into()),
        Error::PermissionDenied { .. } => (ErrorKind::PermissionDenied, says("access denied")),
        Error::Unauthenticated { .. } => (ErrorKind::PermissionDenied, says("the credentials were refused")),
        Error::InvalidPath { .. } => (
            ErrorKind::InvalidData,
            "the bucket holds a key that is not a plain path (an empty segment, `.`, `..` or a control character)"
                .into(),
        ),
        Error::NotSupported { .. } | Error::NotImplemented { .. } => {
            (ErrorKind::Unsupported, "the object store does not support this operation".into())
        }
        _ => match (code.as_deref(), status(e), http_kind(e)) {
            (Some("NoSuchBucket"), ..) => (ErrorKind::NotFound, "the bucket does not exist".into()),
            (_, Some(404), _) => (ErrorKind::NotFound, says("there is no such object")),
            (_, Some(401 | 403), _) => (ErrorKind::PermissionDenied, says("access denied")),
            (Some(code), ..) => (ErrorKind::Other, format!("S3 answered {code}")),
            (None, Some(status), _) => (ErrorKind::Other, format!("the server answered HTTP {status}")),
            (.., Some(HttpErrorKind::Timeout)) => (ErrorKind::TimedOut, "the endpoint did not answer in time".into()),
            (.., Some(HttpErrorKind::Connect)) => {
                (ErrorKind::ConnectionRefused, "cannot connect to the endpoint".into())
            }
            (.., Some(HttpErrorKind::Interrupted)) => (ErrorKind::ConnectionAborted, "the connection broke off".into()),
            (.., Some(HttpErrorKind::Decode)) => (ErrorKind::InvalidData, "the answer could not be read".into()),
            _ => (ErrorKind::Other, "the request failed".into()),
        },
    }
}

/// The kind of the transport error behind `e`, if there is one.
fn http_kind(e: &Error) -> Option<HttpErrorKind> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<HttpError>() {
            return Some(h.kind());
        }
        source = s.source();
    }
    None
}

/// S3's error code from the answer's `<Code>…</Code>`, if it is a plain word.
fn s3_code(e: &Error) -> Option<String> {
    let text = e.to_string();
    let start = text.find("<Code>")? + "<Code>".len();
    let code = &text[start..start + text[start..].find("</Code>")?];
    let plain = !code.is_empty() && code.len() <= 64 && code.bytes().all(|c| c.is_ascii_alphanumeric());
    plain.then(|| code.to_string())
}

/// The HTTP status of a non-2xx answer, if object_store names one.
fn status(e: &Error) -> Option<u16> {
    let text = e.to_string();
    let start = text.find("status code: ")? + "status code: ".len();
    text[start..].get(..3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> Error {
        Error::Generic { store: "S3", source: text.into() }
    }

    #[test]
    fn causes_are_short_and_keep_only_the_code() {
        let e = generic(
            "Error performing GET http://h/b/secret-key in 1s - Server returned non-2xx status code: \
             503 Service Unavailable: <Error><Code>SlowDown</Code><Key>secret-key</Key></Error>",
        );
        let io = io_error("list", "s3://b/p/t/d", &e);
        assert_eq!(io.to_string(), "cannot list s3://b/p/t/d: S3 answered SlowDown");
        let e = generic("Server returned non-2xx status code: 404 Not Found: <Code>NoSuchBucket</Code>");
        assert_eq!(classify(&e), (ErrorKind::NotFound, "the bucket does not exist".into()));
        let e = generic("Server returned non-2xx status code: 403 Forbidden: <Code>SignatureDoesNotMatch</Code>");
        assert_eq!(classify(&e), (ErrorKind::PermissionDenied, "access denied (S3 says SignatureDoesNotMatch)".into()));
        let e = generic("Server returned non-2xx status code: 502 Bad Gateway: <html>secret</html>");
        assert_eq!(classify(&e), (ErrorKind::Other, "the server answered HTTP 502".into()));
        let e = generic("Server returned non-2xx status code: 500: <Code>not a <code></Code>");
        assert_eq!(classify(&e).1, "the server answered HTTP 500");
        let e = Error::NotFound { path: "p/x".into(), source: "<Code>NoSuchBucket</Code>".into() };
        assert_eq!(classify(&e), (ErrorKind::NotFound, "the bucket does not exist".into()));
        let e = Error::PermissionDenied { path: "p/x".into(), source: "<Code>InvalidAccessKeyId</Code>".into() };
        assert_eq!(classify(&e), (ErrorKind::PermissionDenied, "access denied (S3 says InvalidAccessKeyId)".into()));
        assert_eq!(classify(&generic("anything else")), (ErrorKind::Other, "the request failed".into()));
    }
}
