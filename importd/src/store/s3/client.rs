//! The two object_store clients behind an [`super::ObjectDir`] and the runtime they run on.
//! Options are object_store's `AWS_*` names; on top of them: the bucket from the URL, plain
//! HTTP exactly for an `http://` endpoint, path-style requests for a custom endpoint
//! (virtual-hosted against AWS unless the bucket name has a dot), and the limits below.
//!
//! Short requests get 20 s each (and 5 s to connect), retried up to four times within 15 s.
//! Transfers get 6 h per request, since a large body takes what it takes: their waits are
//! bounded by the caller instead, piece by piece.

use std::sync::OnceLock;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{BackoffConfig, ClientConfigKey, RetryConfig};
use tokio::runtime::Runtime;

use super::S3Url;

const REQUEST_TIMEOUT: &str = "20s";
const CONNECT_TIMEOUT: &str = "5s";
const TRANSFER_REQUEST_TIMEOUT: &str = "6h";

/// The client for short requests and the one for transfers; the error completes "cannot
/// use <url>: …".
pub(super) fn build(url: &S3Url, options: &[(String, String)]) -> Result<(AmazonS3, AmazonS3), String> {
    let timeout = AmazonS3ConfigKey::Client(ClientConfigKey::Timeout);
    let mut builder = AmazonS3Builder::new()
        .with_config(timeout, REQUEST_TIMEOUT)
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout), CONNECT_TIMEOUT);
    let mut virtual_hosted = None;
    for (name, value) in options {
        match name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
            Err(_) => return Err(format!("{name} is not an option of the S3 client")),
            Ok(AmazonS3ConfigKey::Bucket) => {}
            Ok(AmazonS3ConfigKey::VirtualHostedStyleRequest) => virtual_hosted = Some(value.clone()),
            Ok(key) => builder = builder.with_config(key, value),
        }
    }
    let endpoint = builder
        .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
    let (allow_http, virtual_hosted) = match endpoint {
        Some(e) => (e.to_ascii_lowercase().starts_with("http://"), "false".to_string()),
        None => (false, virtual_hosted.unwrap_or_else(|| (!url.bucket.contains('.')).to_string())),
    };
    let builder = builder
        .with_bucket_name(&url.bucket)
        .with_allow_http(allow_http)
        .with_config(AmazonS3ConfigKey::VirtualHostedStyleRequest, virtual_hosted);
    let control = builder.clone().with_retry(retry(Duration::from_secs(15))).build();
    let transfer =
        builder.with_config(timeout, TRANSFER_REQUEST_TIMEOUT).with_retry(retry(Duration::from_secs(180))).build();
    control.and_then(|c| Ok((c, transfer?))).map_err(|e| e.to_string())
}

fn retry(retry_timeout: Duration) -> RetryConfig {
    let backoff =
        BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(4), base: 2.0 };
    RetryConfig { backoff, max_retries: 4, retry_timeout }
}

/// The process-wide runtime every `ObjectDir` runs its requests on: two worker threads for
/// the connections. Never dropped, so no clone of an `ObjectDir` can drop a runtime inside
/// an async context (which panics).
pub(super) fn runtime() -> std::io::Result<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("importd-s3")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    built.as_ref().map_err(|e| std::io::Error::other(format!("cannot start the S3 client's threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> S3Url {
        S3Url::parse("s3://bucket/p").unwrap()
    }

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn options_are_the_aws_variable_names_and_unknown_ones_are_refused() {
        let keys = [("AWS_ACCESS_KEY_ID", "k"), ("aws_secret_access_key", "s")];
        let ok = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9"), ("AWS_REGION", "eu-west-1"), ("AWS_SESSION_TOKEN", "t")];
        assert!(build(&url(), &opts(&[&keys[..], &ok[..]].concat())).is_ok());
        let err = build(&url(), &opts(&[("AWS_PROFILE", "x")])).unwrap_err();
        assert_eq!(err, "AWS_PROFILE is not an option of the S3 client");
        // A secret alone is refused by object_store; its message names no value.
        let err = build(&url(), &opts(&[("AWS_SECRET_ACCESS_KEY", "s3cr3t")])).unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
