//! The live room's WebSockets, framed by zhibo itself (RFC 6455, server
//! side): the handshake as an axum extractor ([`Upgrade`]), then a
//! [`Socket`] over the upgraded connection.
//!
//! Why not axum's `WebSocket` (tungstenite): a room sends the same frame to
//! every viewer. tungstenite checks each frame's UTF-8 again and copies it
//! into a write buffer per connection, a buffer that keeps its largest size
//! for good. Here a frame's payload is the room's shared `Bytes`, written
//! behind a 2–10 byte header with one vectored write: nothing is copied or
//! re-checked per viewer, and an idle socket holds no write buffer at all.
//! (`zhibo bench fanout` measures it.)

pub mod frame;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::{Buf, Bytes, BytesMut};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use frame::{Incoming, Violation};

use crate::error::WebError;

/// RFC 6455's key suffix for `Sec-WebSocket-Accept`.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A valid WebSocket handshake request, not yet answered.
#[derive(Debug)]
pub struct Upgrade {
    accept: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Upgrade, WebError> {
        let bad = |message: &str| WebError::Invalid {
            status: StatusCode::BAD_REQUEST,
            code: "bad_handshake",
            message: format!("WebSocket 握手无效 / invalid WebSocket handshake: {message}"),
            fields: Vec::new(),
        };
        if parts.method != axum::http::Method::GET {
            return Err(bad("method must be GET"));
        }
        let headers = &parts.headers;
        if !has_token(headers, header::CONNECTION, "upgrade") || !has_token(headers, header::UPGRADE, "websocket") {
            return Err(bad("Connection: upgrade and Upgrade: websocket are required"));
        }
        if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
            return Err(bad("Sec-WebSocket-Version must be 13"));
        }
        let key = headers.get(header::SEC_WEBSOCKET_KEY).ok_or_else(|| bad("Sec-WebSocket-Key is missing"))?;
        let on_upgrade =
            parts.extensions.remove::<OnUpgrade>().ok_or_else(|| bad("this connection cannot be upgraded"))?;
        Ok(Upgrade { accept: accept_key(key.as_bytes()), on_upgrade })
    }
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
fn accept_key(key: &[u8]) -> HeaderValue {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID);
    let encoded = base64::engine::general_purpose::STANDARD.encode(sha1.finalize());
    // Base64 is always a valid header value.
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and runs `serve` on the socket
    /// once the client has the answer.
    pub fn on_upgrade<F, Fut>(self, limits: Limits, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => serve(Socket::new(upgraded, limits)).await,
                Err(e) => tracing::debug!("websocket upgrade failed: {e}"),
            }
        });
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, self.accept),
            ],
        )
            .into_response()
    }
}

/// How much a socket reads at a time and the largest message it takes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub read_chunk: usize,
    pub max_message: usize,
}

/// A server-side WebSocket over an upgraded connection.
#[derive(Debug)]
pub struct Socket {
    io: TokioIo<Upgraded>,
    decoder: frame::Decoder,
    /// Bytes read but not yet decoded (a partial frame); a waiting read
    /// holds `read_chunk` of room, and a buffer grown by a large message
    /// is let go once it is decoded.
    unread: BytesMut,
    limits: Limits,
    /// Answers to pings, sent with the next write.
    pongs: Vec<Bytes>,
}

impl Socket {
    fn new(upgraded: Upgraded, limits: Limits) -> Socket {
        Socket {
            io: TokioIo::new(upgraded),
            decoder: frame::Decoder::new(limits.max_message),
            unread: BytesMut::new(),
            limits,
            pongs: Vec::new(),
        }
    }

    /// The next message from the client: `Ok(None)` when the client went
    /// away, an error when it broke the protocol (the caller closes with
    /// [`Received::close_code`]). Cancel-safe: a message is only taken out
    /// once it is whole, and a read loses no bytes when dropped.
    pub async fn recv(&mut self) -> Result<Option<Incoming>, Received> {
        loop {
            if let Some(message) = self.try_recv()? {
                return Ok(Some(message));
            }
            if self.unread.capacity() - self.unread.len() < self.limits.read_chunk {
                self.unread.reserve(self.limits.read_chunk);
            }
            match self.io.read_buf(&mut self.unread).await {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) => return Err(Received::Io(e)),
            }
        }
    }

    /// A whole message already read, without waiting.
    pub fn try_recv(&mut self) -> Result<Option<Incoming>, Received> {
        let message = self.decoder.decode(&mut self.unread).map_err(Received::Violation)?;
        if self.unread.is_empty() && self.unread.capacity() > self.limits.read_chunk {
            // A large message came and went: don't keep its buffer.
            self.unread = BytesMut::new();
        }
        if let Some(Incoming::Ping(payload)) = &message {
            self.pongs.push(Bytes::copy_from_slice(payload));
        }
        Ok(message)
    }

    /// Writes `frames` as text frames (each one whole UTF-8 JSON text, as
    /// the room makes them), with any pong owed, in one vectored write
    /// where the socket takes it.
    pub async fn send_texts(&mut self, frames: &[Bytes]) -> std::io::Result<()> {
        // The common case, a room's batch to a viewer that keeps up: the
        // header on the stack and the shared payload, nothing allocated.
        if let ([payload], true) = (frames, self.pongs.is_empty()) {
            let mut head = [0u8; 10];
            let n = frame::text_header(payload.len(), &mut head);
            self.io.write_all_buf(&mut Buf::chain(&head[..n], &payload[..])).await?;
            return self.io.flush().await;
        }
        let mut out = Frames::default();
        for pong in std::mem::take(&mut self.pongs) {
            out.frame(frame::OP_PONG, pong);
        }
        for payload in frames {
            out.frame(frame::OP_TEXT, payload.clone());
        }
        if out.remaining() == 0 {
            return Ok(());
        }
        self.io.write_all_buf(&mut out).await?;
        self.io.flush().await
    }

    /// Whether a pong is owed (a ping came with nothing else to write).
    pub fn owes_pong(&self) -> bool {
        !self.pongs.is_empty()
    }

    /// Closes with `code` (1000 normal, 1002 protocol error, …); gives up
    /// after `within` on a client that does not read.
    pub async fn close(mut self, code: u16, within: std::time::Duration) {
        let mut out = Frames::default();
        out.frame(frame::OP_CLOSE, Bytes::copy_from_slice(&code.to_be_bytes()));
        let _ = tokio::time::timeout(within, async {
            self.io.write_all_buf(&mut out).await?;
            self.io.shutdown().await
        })
        .await;
    }
}

/// Why [`Socket::recv`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum Received {
    #[error("websocket read failed: {0}")]
    Io(std::io::Error),
    #[error("websocket client broke the protocol: {0}")]
    Violation(Violation),
}

impl Received {
    /// The close code to send, if the socket can still take one.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Received::Io(_) => None,
            Received::Violation(v) => Some(v.close_code()),
        }
    }
}

/// Frame headers and shared payloads, written as one vectored write.
#[derive(Default)]
struct Frames {
    parts: VecDeque<Bytes>,
    remaining: usize,
}

impl Frames {
    /// A final, unmasked frame: its header, then the payload as it is.
    fn frame(&mut self, opcode: u8, payload: Bytes) {
        let mut head = [0u8; 10];
        let n = frame::header(opcode, payload.len(), &mut head);
        self.push(Bytes::copy_from_slice(&head[..n]));
        self.push(payload);
    }

    fn push(&mut self, part: Bytes) {
        self.remaining += part.len();
        self.parts.push_back(part);
    }
}

impl Buf for Frames {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.parts.front().map_or(&[], |p| p.as_ref())
    }

    fn advance(&mut self, mut cnt: usize) {
        self.remaining -= cnt.min(self.remaining);
        while cnt > 0 {
            let Some(front) = self.parts.front_mut() else { return };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.parts.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, part) in dst.iter_mut().zip(self.parts.iter().filter(|p| !p.is_empty())) {
            *slot = IoSlice::new(part);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_is_rfc_6455s_example() {
        assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn frames_advance_across_parts() {
        let mut f = Frames::default();
        f.push(Bytes::from_static(b"ab"));
        f.push(Bytes::from_static(b""));
        f.push(Bytes::from_static(b"cde"));
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(f.chunks_vectored(&mut slices), 2);
        f.advance(3);
        assert_eq!(f.remaining(), 2);
        assert_eq!(f.chunk(), b"de");
        f.advance(2);
        assert_eq!(f.remaining(), 0);
        assert_eq!(f.chunk(), b"");
    }
}
