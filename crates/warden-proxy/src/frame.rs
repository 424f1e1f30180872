//! Kafka's framing: a 4-byte big-endian size, then the request or response.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{ProxyError, Result};

/// The largest frame accepted (Kafka's `socket.request.max.bytes` default is 100 MiB).
pub(crate) const MAX_FRAME_BYTES: usize = 100 * 1024 * 1024;

/// Reads one frame's body; `None` at a clean end of stream before a frame starts.
///
/// Errors: [`ProxyError::Io`] when the stream fails or ends inside a frame,
/// [`ProxyError::Protocol`] for a negative or oversized size.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Option<Bytes>> {
    FrameReader::default().read(reader).await
}

/// The frame (size prefix and body) of `body`.
pub(crate) fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Reads request frames so that a read can be abandoned and resumed: the bytes of a frame
/// that has begun are kept between calls, so that a stopping proxy can tell whether a
/// request is arriving ([`FrameReader::in_progress`]) and finish reading it.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    size: [u8; 4],
    size_filled: usize,
    body: Option<BytesMut>,
    body_filled: usize,
}

impl FrameReader {
    /// Whether part of a frame has been read.
    pub(crate) fn in_progress(&self) -> bool {
        self.size_filled > 0
    }

    /// The next frame's body; `None` at a clean end of stream before a frame starts.
    /// Cancel-safe: dropped before it completes, the next call continues the same frame.
    ///
    /// Errors: as [`read_frame`].
    pub(crate) async fn read<R: AsyncRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> Result<Option<Bytes>> {
        while self.size_filled < 4 {
            let n = reader
                .read(&mut self.size[self.size_filled..])
                .await
                .map_err(|e| ProxyError::io("read", e))?;
            if n == 0 {
                if self.size_filled == 0 {
                    return Ok(None);
                }
                return Err(ProxyError::io(
                    "read",
                    std::io::ErrorKind::UnexpectedEof.into(),
                ));
            }
            self.size_filled += n;
        }
        if self.body.is_none() {
            let size = i32::from_be_bytes(self.size);
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s <= MAX_FRAME_BYTES)
                .ok_or_else(|| {
                    ProxyError::Protocol(format!("frame size {size} is out of range"))
                })?;
            self.body = Some(BytesMut::zeroed(size));
            self.body_filled = 0;
        }
        let body = self.body.as_mut().expect("set above");
        while self.body_filled < body.len() {
            let n = reader
                .read(&mut body[self.body_filled..])
                .await
                .map_err(|e| ProxyError::io("read", e))?;
            if n == 0 {
                return Err(ProxyError::io(
                    "read",
                    std::io::ErrorKind::UnexpectedEof.into(),
                ));
            }
            self.body_filled += n;
        }
        let body = self.body.take().expect("set above");
        self.size_filled = 0;
        self.body_filled = 0;
        Ok(Some(body.freeze()))
    }
}
