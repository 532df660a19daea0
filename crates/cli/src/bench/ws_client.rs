//! A lean WebSocket client for the load generators of `zhibo bench fanout`
//! and `zhibo bench flash-sale` (RFC 6455, only what a viewer needs): the
//! HTTP upgrade, reading the server's frames straight out of a reusable
//! buffer, and sending masked text frames.
//!
//! Why not tungstenite here: the load generators share two cores with the
//! server they measure, and a general client allocates, zero-fills and
//! UTF-8-checks every message; each cycle spent on the client side is one
//! the server does not get. This one costs a read and a scan per message.

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Bytes read from a socket at a time; a larger frame grows the buffer.
const READ_CHUNK: usize = 16 * 1024;
/// Largest frame accepted from a server.
const MAX_FRAME: usize = 16 * 1024 * 1024;
/// Any 16 bytes, base64; the server only echoes a hash of it.
const KEY: &str = "emhpYm8gZmFub3V0IG9rIQ==";

/// Opens a WebSocket to `url` (`ws://host:port/path`), with extra
/// handshake headers, and returns its two halves.
pub async fn connect(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<(Reader, Writer)> {
    let rest = url.strip_prefix("ws://").with_context(|| format!("not a ws:// address: {url}"))?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).await.with_context(|| format!("connecting to {url}"))?;
    stream.set_nodelay(true)?;
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    // Read the response head; whatever follows it is the first frames.
    let mut buffer = Vec::with_capacity(READ_CHUNK);
    let head_end = loop {
        if let Some(i) = memchr::memmem::find(&buffer, b"\r\n\r\n") {
            break i + 4;
        }
        anyhow::ensure!(buffer.len() < 16 * 1024, "{url}: the handshake's answer is too long");
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "{url}: the server closed during the handshake");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let status = String::from_utf8_lossy(&buffer[..head_end]);
    anyhow::ensure!(
        status.starts_with("HTTP/1.1 101"),
        "{url}: the server refused the WebSocket: {}",
        status.lines().next().unwrap_or_default()
    );
    buffer.drain(..head_end);
    let end = buffer.len();
    buffer.resize(READ_CHUNK.max(end), 0);
    let (read, write) = stream.into_split();
    Ok((Reader { stream: read, buffer, start: 0, end }, Writer { stream: write }))
}

/// Whether [`Reader::each_text`] goes on: `()` and `true` go on.
pub enum Go {
    On,
    Stop,
}

impl From<()> for Go {
    fn from(_: ()) -> Go {
        Go::On
    }
}

impl From<bool> for Go {
    fn from(on: bool) -> Go {
        if on { Go::On } else { Go::Stop }
    }
}

/// The receiving half.
pub struct Reader {
    stream: OwnedReadHalf,
    /// Always its full length; `start..end` holds what is not parsed yet,
    /// so reads never zero-fill it again.
    buffer: Vec<u8>,
    start: usize,
    end: usize,
}

impl Reader {
    /// Calls `on_text` with the payload of every text frame until it
    /// answers `false` or the server closes (or breaks the protocol); the
    /// next call goes on with the frame after the one that stopped.
    /// Control and binary frames are skipped; the servers measured send
    /// neither fragments nor pings.
    pub async fn each_text<R: Into<Go>>(&mut self, mut on_text: impl FnMut(&[u8]) -> R) -> anyhow::Result<()> {
        loop {
            while let Some((opcode, payload)) = self.parse()? {
                // Taken before `on_text` looks at it: a caller that stops
                // gets the frames after this one on its next call.
                self.start = payload.end;
                match opcode {
                    0x1 => {
                        if let Go::Stop = on_text(&self.buffer[payload]).into() {
                            return Ok(());
                        }
                    }
                    0x8 => return Ok(()),
                    _ => {}
                }
            }
            if self.start == self.end {
                (self.start, self.end) = (0, 0);
            }
            if self.end == self.buffer.len() {
                if self.start > 0 {
                    // move the partial frame to the front
                    self.buffer.copy_within(self.start..self.end, 0);
                    (self.start, self.end) = (0, self.end - self.start);
                } else {
                    // a frame larger than the buffer
                    self.buffer.resize(self.buffer.len() * 2, 0);
                }
            }
            let n = self.stream.read(&mut self.buffer[self.end..]).await?;
            if n == 0 {
                return Ok(());
            }
            self.end += n;
        }
    }

    /// The next whole frame in the buffer: its opcode and payload range.
    fn parse(&self) -> anyhow::Result<Option<(u8, std::ops::Range<usize>)>> {
        let b = &self.buffer[self.start..self.end];
        if b.len() < 2 {
            return Ok(None);
        }
        anyhow::ensure!(b[1] & 0x80 == 0, "the server masked a frame");
        let (len, header) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (u64::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into()?), 10),
            126 | 127 => return Ok(None),
            n => (u64::from(n), 2),
        };
        anyhow::ensure!(len <= MAX_FRAME as u64, "a frame of {len} bytes");
        let end = header + len as usize;
        if b.len() < end {
            return Ok(None);
        }
        Ok(Some((b[0] & 0x0f, self.start + header..self.start + end)))
    }
}

/// The sending half.
pub struct Writer {
    stream: OwnedWriteHalf,
}

impl Writer {
    /// Sends one text message (a client's frames are masked).
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        let payload = text.as_bytes();
        let mask = [0x5a, 0x68, 0x69, 0x62];
        // The server's frame header (zhibo_web::websocket), with the mask bit
        // a client's frames carry.
        let mut head = [0u8; 10];
        let n = zhibo_web::websocket::frame::text_header(payload.len(), &mut head);
        head[1] |= 0x80;
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.extend_from_slice(&head[..n]);
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.context("sending on a WebSocket")
    }
}
