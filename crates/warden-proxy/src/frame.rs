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
    let mut size = [0u8; 4];
    let mut filled = 0;
    while filled < 4 {
        let n = reader
            .read(&mut size[filled..])
            .await
            .map_err(|e| ProxyError::io("read", e))?;
        if n == 0 {
            if filled == 0 {
                return Ok(None);
            }
            return Err(ProxyError::io(
                "read",
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        filled += n;
    }
    let size = i32::from_be_bytes(size);
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= MAX_FRAME_BYTES)
        .ok_or_else(|| ProxyError::Protocol(format!("frame size {size} is out of range")))?;
    let mut body = BytesMut::zeroed(size);
    reader
        .read_exact(&mut body)
        .await
        .map_err(|e| ProxyError::io("read", e))?;
    Ok(Some(body.freeze()))
}

/// The frame (size prefix and body) of `body`.
pub(crate) fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(body);
    out
}
