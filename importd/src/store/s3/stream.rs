//! Reading an object a piece at a time, for a caller that digests it (`verify` hashes every
//! output): never the whole object in memory, whatever its size.

use std::future::poll_fn;
use std::io;

use object_store::{GetOptions, ObjectStore};

use super::{Failure, ObjectDir, ANSWER_TIMEOUT};

impl ObjectDir {
    /// Hands the object at `rel` to `each`, a piece at a time, in order; returns its size, or
    /// `None` when there is no such object. Waits at most 60 s for the answer and between two
    /// pieces, like a download.
    pub fn stream(&self, rel: &str, mut each: impl FnMut(&[u8])) -> io::Result<Option<u64>> {
        let key = self.key(rel)?;
        let got = self.block(async {
            let got =
                match tokio::time::timeout(ANSWER_TIMEOUT, self.inner.transfer.get_opts(&key, GetOptions::default()))
                    .await
                {
                    Err(_) => return Err(Failure::TimedOut),
                    Ok(Err(object_store::Error::NotFound { .. })) => return Ok(None),
                    Ok(got) => got.map_err(Failure::Store)?,
                };
            let size = got.meta.size;
            let mut body = got.into_stream();
            let mut read = 0u64;
            loop {
                let next = tokio::time::timeout(ANSWER_TIMEOUT, poll_fn(|cx| body.as_mut().poll_next(cx))).await;
                match next.map_err(|_| Failure::TimedOut)? {
                    Some(piece) => {
                        let piece = piece.map_err(Failure::Store)?;
                        read += piece.len() as u64;
                        each(&piece);
                    }
                    None => break,
                }
            }
            if read != size {
                return Err(Failure::Short);
            }
            Ok(Some(size))
        });
        got.map_err(|f| f.at("read", &self.place(rel)))
    }
}
