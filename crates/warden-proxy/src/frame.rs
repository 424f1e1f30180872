//! Kafka's framing: a 4-byte big-endian size, then the request or response.

use bytes::{BufMut as _, Bytes};
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

/// The first allocation for a frame's body: a frame up to this size is read into one
/// allocation of its size; a larger one grows as its bytes arrive, at most doubling what has
/// arrived each time, so that a peer that declares a large frame and sends little makes the
/// proxy hold little (at most `max(64 KiB, 2 × the bytes received)`), not the declared size.
pub(crate) const INITIAL_BODY_BYTES: usize = 64 * 1024;

/// Reads frames so that a read can be abandoned and resumed: the bytes of a frame that has
/// begun are kept between calls, so that a stopping proxy can tell whether a request is
/// arriving ([`FrameReader::in_progress`]) and finish reading it.
///
/// The body's buffer grows with the bytes that arrive ([`INITIAL_BODY_BYTES`]) rather than
/// being allocated at the size the 4-byte prefix declares (up to [`MAX_FRAME_BYTES`]).
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    size: [u8; 4],
    size_filled: usize,
    /// The body's declared size, once the prefix is read and checked.
    declared: Option<usize>,
    /// The body's bytes read so far (`len`), in a buffer grown as they arrive.
    body: Vec<u8>,
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
        let declared = match self.declared {
            Some(declared) => declared,
            None => {
                let size = i32::from_be_bytes(self.size);
                let declared = usize::try_from(size)
                    .ok()
                    .filter(|s| *s <= MAX_FRAME_BYTES)
                    .ok_or_else(|| {
                        ProxyError::Protocol(format!("frame size {size} is out of range"))
                    })?;
                self.body = Vec::with_capacity(declared.min(INITIAL_BODY_BYTES));
                self.declared = Some(declared);
                declared
            }
        };
        while self.body.len() < declared {
            let missing = declared - self.body.len();
            if self.body.len() == self.body.capacity() {
                // Full: double what has arrived (never past the declared size).
                let grow = missing.min(self.body.len().max(INITIAL_BODY_BYTES));
                self.body.reserve_exact(grow);
            }
            // Into the spare capacity only, and never past this frame's end.
            let mut room = (&mut self.body).limit(missing);
            let n = reader
                .read_buf(&mut room)
                .await
                .map_err(|e| ProxyError::io("read", e))?;
            if n == 0 {
                return Err(ProxyError::io(
                    "read",
                    std::io::ErrorKind::UnexpectedEof.into(),
                ));
            }
        }
        let body = std::mem::take(&mut self.body);
        self.size_filled = 0;
        self.declared = None;
        Ok(Some(Bytes::from(body)))
    }

    /// The bytes held for the frame being read (the body buffer's capacity).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.body.capacity()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;

    use super::*;

    /// Reads from `reader` until no byte has come for 50 ms (the read is then abandoned).
    async fn read_what_came<R: AsyncRead + Unpin>(
        frames: &mut FrameReader,
        reader: &mut R,
    ) -> Option<Result<Option<Bytes>>> {
        tokio::time::timeout(Duration::from_millis(50), frames.read(reader))
            .await
            .ok()
    }

    #[tokio::test]
    async fn a_frame_declared_at_the_limit_holds_only_what_arrived() {
        let (mut client, mut proxy) = tokio::io::duplex(1 << 20);
        let declared = u32::try_from(MAX_FRAME_BYTES).unwrap();
        client.write_all(&declared.to_be_bytes()).await.unwrap();
        client.write_all(&[7u8; 10]).await.unwrap();
        let mut frames = FrameReader::default();
        assert!(read_what_came(&mut frames, &mut proxy).await.is_none());
        assert!(frames.in_progress());
        assert!(
            frames.held() <= INITIAL_BODY_BYTES,
            "10 bytes of a 100 MiB frame hold {} bytes",
            frames.held()
        );

        // 3 MiB more: the buffer follows what arrived, not the declared size.
        let chunk = vec![1u8; 1 << 20];
        for _ in 0..3 {
            client.write_all(&chunk).await.unwrap();
            assert!(read_what_came(&mut frames, &mut proxy).await.is_none());
        }
        let arrived = 10 + 3 * (1 << 20);
        assert!(
            frames.held() <= 2 * arrived,
            "{arrived} bytes of a 100 MiB frame hold {} bytes",
            frames.held()
        );
    }

    #[tokio::test]
    async fn a_frame_sent_in_pieces_and_read_across_abandoned_reads_comes_whole() {
        let (mut client, mut proxy) = tokio::io::duplex(1 << 16);
        let body: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        let mut frame = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        frame.extend_from_slice(&framed(b"next"));
        let writer = tokio::spawn(async move {
            for piece in frame.chunks(7_001) {
                client.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            client
        });
        let mut frames = FrameReader::default();
        let mut abandoned = 0;
        let first = loop {
            match tokio::time::timeout(Duration::from_micros(300), frames.read(&mut proxy)).await {
                Ok(result) => break result.unwrap().unwrap(),
                Err(_) => abandoned += 1,
            }
        };
        assert!(abandoned > 0, "the read was abandoned and resumed");
        assert_eq!(first.len(), body.len());
        assert!(
            first == body,
            "the bytes come in order, none lost or repeated"
        );
        assert_eq!(
            frames.read(&mut proxy).await.unwrap().unwrap().as_ref(),
            b"next"
        );
        drop(writer.await.unwrap());
        assert!(frames.read(&mut proxy).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sizes_out_of_range_and_frames_cut_short_are_errors() {
        for size in [-1i32, i32::try_from(MAX_FRAME_BYTES).unwrap() + 1] {
            let (mut client, mut proxy) = tokio::io::duplex(64);
            client.write_all(&size.to_be_bytes()).await.unwrap();
            let error = read_frame(&mut proxy).await.unwrap_err();
            assert!(
                matches!(error, ProxyError::Protocol(ref m) if m.contains("out of range")),
                "{size}: {error}"
            );
        }
        let (mut client, mut proxy) = tokio::io::duplex(64);
        client.write_all(&[0, 0, 0, 9, 1, 2]).await.unwrap();
        drop(client);
        assert!(matches!(
            read_frame(&mut proxy).await,
            Err(ProxyError::Io { .. })
        ));
    }
}
