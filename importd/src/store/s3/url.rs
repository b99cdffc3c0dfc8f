//! `s3://bucket/prefix` locations and the object keys below them. Both are checked here, as
//! text, before any request is made: a bucket name by the S3 naming rules, a prefix and every
//! key as plain relative paths (no empty segment, no `.` or `..`, no backslash, no control
//! character), so that nothing outside `<prefix>/` can be named at all.

use std::fmt;

/// The longest object key S3 accepts, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// A parsed `s3://bucket/prefix` location. `prefix` has no leading or trailing `/` and may be
/// empty (the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl S3Url {
    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/some/prefix` (one trailing `/`
    /// allowed). Errors are one sentence naming the rule broken.
    pub fn parse(s: &str) -> Result<S3Url, String> {
        let rest = s.strip_prefix("s3://").ok_or("an S3 location must start with s3://")?;
        if rest.contains(['?', '#']) {
            return Err("an S3 location must not have a query or fragment (? or #)".into());
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket)?;
        let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
        if !prefix.is_empty() {
            let checked = if prefix.starts_with('/') { Err("has an empty segment") } else { check_relative(prefix) };
            checked.map_err(|why| format!("the prefix after the bucket name {why}"))?;
        }
        Ok(S3Url { bucket: bucket.to_string(), prefix: prefix.to_string() })
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// The S3 bucket naming rules (general purpose buckets).
fn check_bucket(b: &str) -> Result<(), String> {
    let plain = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes = b.as_bytes();
    let shape = (3..=63).contains(&bytes.len())
        && bytes.iter().all(|&c| plain(c) || c == b'.' || c == b'-')
        && bytes.first().is_some_and(|&c| plain(c))
        && bytes.last().is_some_and(|&c| plain(c));
    if !shape {
        return Err("the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens, \
                    starting and ending with a letter or digit"
            .into());
    }
    if b.contains("..") || b.contains(".-") || b.contains("-.") {
        return Err("the bucket name must not have a dot next to another dot or a hyphen".into());
    }
    if b.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("the bucket name must not look like an IP address".into());
    }
    if b.starts_with("xn--") || b.starts_with("sthree-") || b.ends_with("-s3alias") || b.ends_with("--ol-s3") {
        return Err("the bucket name uses a prefix or suffix S3 reserves".into());
    }
    Ok(())
}

/// Checks that `rel` is a plain relative path of one or more segments; the error completes
/// a sentence ("the key …").
pub(super) fn check_relative(rel: &str) -> Result<(), &'static str> {
    if rel.is_empty() {
        return Err("is empty");
    }
    if rel.starts_with('/') {
        return Err("is absolute");
    }
    if rel.len() > MAX_KEY_BYTES {
        return Err("is longer than S3 allows (1024 bytes)");
    }
    if rel.contains('\\') {
        return Err("has a backslash");
    }
    if rel.chars().any(char::is_control) {
        return Err("has a control character");
    }
    for segment in rel.split('/') {
        match segment {
            "" => return Err("has an empty segment"),
            "." | ".." => return Err("has a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print_back() {
        for (text, bucket, prefix, shown) in [
            ("s3://drop", "drop", "", "s3://drop"),
            ("s3://drop/", "drop", "", "s3://drop"),
            ("s3://my-bucket.eu/imports", "my-bucket.eu", "imports", "s3://my-bucket.eu/imports"),
            ("s3://b12/a/b/c/", "b12", "a/b/c", "s3://b12/a/b/c"),
            ("s3://b12/with space/ünïcode", "b12", "with space/ünïcode", "s3://b12/with space/ünïcode"),
        ] {
            let url = S3Url::parse(text).unwrap();
            assert_eq!((url.bucket.as_str(), url.prefix.as_str()), (bucket, prefix), "{text}");
            assert_eq!(url.to_string(), shown);
            assert_eq!(S3Url::parse(&url.to_string()).unwrap(), url);
        }
    }

    #[test]
    fn bad_locations_are_refused_with_one_sentence() {
        for (text, says) in [
            ("drop/x", "must start with s3://"),
            ("S3://drop", "must start with s3://"),
            ("s3://drop/x?versionId=1", "query or fragment"),
            ("s3://drop/x#y", "query or fragment"),
            ("s3://", "bucket name must be 3 to 63"),
            ("s3://ab", "bucket name must be 3 to 63"),
            (&format!("s3://{}", "a".repeat(64)), "bucket name must be 3 to 63"),
            ("s3://Drop", "bucket name must be 3 to 63"),
            ("s3://drop_x", "bucket name must be 3 to 63"),
            ("s3://-drop", "bucket name must be 3 to 63"),
            ("s3://drop-", "bucket name must be 3 to 63"),
            ("s3://key:secret@drop", "bucket name must be 3 to 63"),
            ("s3://drop:9000", "bucket name must be 3 to 63"),
            ("s3://dr..op", "dot next to"),
            ("s3://dr.-op", "dot next to"),
            ("s3://192.168.1.2", "IP address"),
            ("s3://xn--drop", "reserves"),
            ("s3://drop-s3alias", "reserves"),
            ("s3://drop//x", "prefix after the bucket name has an empty segment"),
            ("s3://drop/a//b", "has an empty segment"),
            ("s3://drop/a/../b", "`.` or `..` segment"),
            ("s3://drop/./b", "`.` or `..` segment"),
            ("s3://drop/a\\b", "backslash"),
            ("s3://drop/a\nb", "control character"),
        ] {
            let err = S3Url::parse(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
            assert!(!err.contains('\n') && !err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn keys_are_plain_relative_paths() {
        for ok in ["a", "tenant/dataset/file.csv", "t/d/f with space.csv", "t/d/..hidden", "t/d/ü"] {
            assert_eq!(check_relative(ok), Ok(()), "{ok}");
        }
        let long = "a".repeat(1025);
        for (bad, why) in [
            ("", "is empty"),
            ("/etc/passwd", "is absolute"),
            ("a//b", "has an empty segment"),
            ("a/", "has an empty segment"),
            ("a/./b", "has a `.` or `..` segment"),
            ("..", "has a `.` or `..` segment"),
            ("a/../../b", "has a `.` or `..` segment"),
            ("a\\..\\b", "has a backslash"),
            ("a/b\u{0}", "has a control character"),
            ("a/b\u{85}", "has a control character"),
            (long.as_str(), "is longer than S3 allows (1024 bytes)"),
        ] {
            assert_eq!(check_relative(bad), Err(why), "{bad:?}");
        }
    }
}
