//! RFC 6455 framing, server side, without I/O: [`Decoder`] turns the bytes
//! a client sent into whole messages (client frames are masked, may be
//! fragmented, control frames may come between fragments), and
//! [`text_header`] builds the header of an unmasked text frame.
//!
//! Server frames carry no mask, so a frame's payload is the same bytes for
//! every client: the live room serializes a frame once and each socket
//! writes a 2–10 byte header in front of the shared payload.

use bytes::{Buf, BytesMut};

/// A whole message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// Binary messages are not part of the protocol; the caller says so.
    Binary,
    Ping(Vec<u8>),
    Pong,
    /// The client closes, with its status code if it gave one.
    Close(Option<u16>),
}

/// Why a connection must be closed, as a close code (RFC 6455 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    #[error("message larger than the limit")]
    TooBig,
    #[error("text that is not UTF-8")]
    NotUtf8,
}

impl Violation {
    pub fn close_code(self) -> u16 {
        match self {
            Violation::Protocol(_) => 1002,
            Violation::TooBig => 1009,
            Violation::NotUtf8 => 1007,
        }
    }
}

const OP_CONTINUATION: u8 = 0x0;
pub(crate) const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
pub(crate) const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
pub(crate) const OP_PONG: u8 = 0xA;

/// Reassembles a client's messages. Nothing is buffered beyond
/// `max_message` payload bytes plus one frame header: a frame that
/// announces more is refused from its header, before its payload arrives.
#[derive(Debug)]
pub struct Decoder {
    max_message: usize,
    /// A fragmented message under way: its opcode and payload so far.
    partial: Option<(u8, Vec<u8>)>,
}

impl Decoder {
    pub fn new(max_message: usize) -> Decoder {
        Decoder { max_message, partial: None }
    }

    /// The next whole message in `buf`, consuming the frames it took;
    /// `Ok(None)` when more bytes are needed (nothing is consumed from an
    /// incomplete frame).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, Violation> {
        loop {
            let Some(header) = Header::parse(buf)? else { return Ok(None) };
            let is_control = header.opcode >= OP_CLOSE;
            if is_control {
                if !header.fin {
                    return Err(Violation::Protocol("fragmented control frame"));
                }
                if header.len > 125 {
                    return Err(Violation::Protocol("control frame over 125 bytes"));
                }
            } else {
                let so_far = self.partial.as_ref().map_or(0, |(_, p)| p.len());
                if so_far as u64 + header.len > self.max_message as u64 {
                    return Err(Violation::TooBig);
                }
                match (header.opcode, &self.partial) {
                    (OP_CONTINUATION, None) => return Err(Violation::Protocol("continuation without a message")),
                    (OP_TEXT | OP_BINARY, Some(_)) => {
                        return Err(Violation::Protocol("new message inside a fragmented one"));
                    }
                    _ => {}
                }
            }
            // `len` ≤ max_message or ≤ 125 here, so it fits in usize.
            let len = header.len as usize;
            if buf.len() < header.size + len {
                return Ok(None);
            }
            buf.advance(header.size);
            let payload: Vec<u8> = buf[..len].iter().enumerate().map(|(i, b)| b ^ header.mask[i & 3]).collect();
            buf.advance(len);
            match header.opcode {
                OP_PING => return Ok(Some(Incoming::Ping(payload))),
                OP_PONG => return Ok(Some(Incoming::Pong)),
                OP_CLOSE => return close(&payload).map(Some),
                OP_CONTINUATION => {
                    // Checked above; an error rather than a panic all the same.
                    let Some((_, so_far)) = self.partial.as_mut() else {
                        return Err(Violation::Protocol("continuation without a message"));
                    };
                    so_far.extend_from_slice(&payload);
                    if header.fin {
                        let (opcode, whole) = self.partial.take().unwrap_or_default();
                        return message(opcode, whole).map(Some);
                    }
                }
                opcode if header.fin => return message(opcode, payload).map(Some),
                opcode => self.partial = Some((opcode, payload)),
            }
        }
    }
}

fn message(opcode: u8, payload: Vec<u8>) -> Result<Incoming, Violation> {
    match opcode {
        OP_TEXT => String::from_utf8(payload).map(Incoming::Text).map_err(|_| Violation::NotUtf8),
        _ => Ok(Incoming::Binary),
    }
}

fn close(payload: &[u8]) -> Result<Incoming, Violation> {
    match payload {
        [] => Ok(Incoming::Close(None)),
        [_] => Err(Violation::Protocol("close frame with a one-byte body")),
        [hi, lo, reason @ ..] => {
            std::str::from_utf8(reason).map_err(|_| Violation::NotUtf8)?;
            Ok(Incoming::Close(Some(u16::from_be_bytes([*hi, *lo]))))
        }
    }
}

struct Header {
    fin: bool,
    opcode: u8,
    len: u64,
    mask: [u8; 4],
    /// Bytes of the header itself.
    size: usize,
}

impl Header {
    fn parse(buf: &[u8]) -> Result<Option<Header>, Violation> {
        let [b0, b1, ..] = *buf else { return Ok(None) };
        if b0 & 0x70 != 0 {
            return Err(Violation::Protocol("reserved bits set (no extension was agreed)"));
        }
        let opcode = b0 & 0x0F;
        if !matches!(opcode, OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG) {
            return Err(Violation::Protocol("unknown opcode"));
        }
        if b1 & 0x80 == 0 {
            return Err(Violation::Protocol("client frame without a mask"));
        }
        let (len, at) = match b1 & 0x7F {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut be = [0u8; 8];
                    be.copy_from_slice(b);
                    (u64::from_be_bytes(be), 10)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        let Some(mask) = buf.get(at..at + 4) else { return Ok(None) };
        Ok(Some(Header { fin: b0 & 0x80 != 0, opcode, len, mask: [mask[0], mask[1], mask[2], mask[3]], size: at + 4 }))
    }
}

/// The header of a final, unmasked frame with `opcode` and a payload of
/// `len` bytes, into `out`; returns how many bytes of `out` it used.
pub fn header(opcode: u8, len: usize, out: &mut [u8; 10]) -> usize {
    out[0] = 0x80 | opcode;
    if len < 126 {
        out[1] = len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        out[1] = 126;
        out[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    }
}

pub fn text_header(len: usize, out: &mut [u8; 10]) -> usize {
    header(OP_TEXT, len, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A client frame as a browser sends it.
    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    fn decode_all(bytes: &[u8]) -> Result<Vec<Incoming>, Violation> {
        let mut decoder = Decoder::new(64 * 1024);
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(message) = decoder.decode(&mut buf)? {
            out.push(message);
        }
        Ok(out)
    }

    #[test]
    fn masked_text_of_each_length_encoding() {
        for len in [0, 5, 125, 126, 4000, 65_535, 65_536] {
            let text = "评".repeat(len / 3) + &"a".repeat(len % 3);
            let got = decode_all(&frame(true, OP_TEXT, text.as_bytes())).unwrap();
            assert_eq!(got, vec![Incoming::Text(text)], "length {len}");
        }
    }

    #[test]
    fn fragments_are_joined_and_control_frames_may_come_between() {
        let mut bytes = frame(false, OP_TEXT, "你好，".as_bytes());
        bytes.extend(frame(true, OP_PING, b"p"));
        bytes.extend(frame(false, OP_CONTINUATION, "主".as_bytes()));
        bytes.extend(frame(true, OP_CONTINUATION, "播".as_bytes()));
        let got = decode_all(&bytes).unwrap();
        assert_eq!(got, vec![Incoming::Ping(b"p".to_vec()), Incoming::Text("你好，主播".to_owned())]);
    }

    #[test]
    fn a_message_split_anywhere_waits_for_the_rest() {
        let whole = frame(true, OP_TEXT, "{\"type\":\"like\",\"count\":3}".as_bytes());
        for cut in 0..whole.len() {
            let mut decoder = Decoder::new(1024);
            let mut buf = BytesMut::from(&whole[..cut]);
            assert_eq!(decoder.decode(&mut buf), Ok(None), "cut at {cut}");
            assert_eq!(buf.len(), cut, "nothing consumed from an incomplete frame");
            buf.extend_from_slice(&whole[cut..]);
            assert!(matches!(decoder.decode(&mut buf), Ok(Some(Incoming::Text(_)))));
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn close_with_and_without_a_code() {
        assert_eq!(decode_all(&frame(true, OP_CLOSE, b"")).unwrap(), vec![Incoming::Close(None)]);
        let mut body = 1000u16.to_be_bytes().to_vec();
        body.extend_from_slice(b"bye");
        assert_eq!(decode_all(&frame(true, OP_CLOSE, &body)).unwrap(), vec![Incoming::Close(Some(1000))]);
        assert_eq!(
            decode_all(&frame(true, OP_CLOSE, b"x")),
            Err(Violation::Protocol("close frame with a one-byte body"))
        );
    }

    #[test]
    fn broken_frames_are_named() {
        let unmasked = [0x81, 0x02, b'h', b'i'];
        assert!(matches!(decode_all(&unmasked), Err(Violation::Protocol(_))));
        let reserved = {
            let mut f = frame(true, OP_TEXT, b"hi");
            f[0] |= 0x40;
            f
        };
        assert!(matches!(decode_all(&reserved), Err(Violation::Protocol(_))));
        assert!(matches!(decode_all(&frame(true, 0x3, b"")), Err(Violation::Protocol(_))));
        assert!(matches!(decode_all(&frame(false, OP_PING, b"")), Err(Violation::Protocol(_))));
        assert!(matches!(decode_all(&frame(true, OP_PING, &[0; 126])), Err(Violation::Protocol(_))));
        assert!(matches!(decode_all(&frame(true, OP_CONTINUATION, b"x")), Err(Violation::Protocol(_))));
        let mut twice = frame(false, OP_TEXT, b"a");
        twice.extend(frame(true, OP_TEXT, b"b"));
        assert!(matches!(decode_all(&twice), Err(Violation::Protocol(_))));
        assert_eq!(decode_all(&frame(true, OP_TEXT, &[0xff, 0xfe])), Err(Violation::NotUtf8));
    }

    #[test]
    fn a_message_over_the_limit_is_refused_from_its_header() {
        let mut decoder = Decoder::new(1024);
        // Only the header of a frame announcing 2^62 bytes.
        let mut buf = BytesMut::from(&[0x81u8, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4][..]);
        assert_eq!(decoder.decode(&mut buf), Err(Violation::TooBig));
        // Fragments that add up to more than the limit.
        let mut decoder = Decoder::new(1024);
        let mut buf = BytesMut::from(&frame(false, OP_TEXT, &[b'a'; 1000])[..]);
        buf.extend_from_slice(&frame(true, OP_CONTINUATION, &[b'a'; 100]));
        assert_eq!(decoder.decode(&mut buf), Err(Violation::TooBig));
    }

    #[test]
    fn headers_match_the_length_encodings() {
        let head = |len| {
            let mut out = [0u8; 10];
            let n = text_header(len, &mut out);
            out[..n].to_vec()
        };
        assert_eq!(head(5), [0x81, 5]);
        assert_eq!(head(126), [0x81, 126, 0, 126]);
        assert_eq!(head(70_000), [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }

    proptest! {
        /// Random bytes never panic, and what is kept stays bounded.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut decoder = Decoder::new(256);
            let mut buf = BytesMut::from(&bytes[..]);
            for _ in 0..64 {
                match decoder.decode(&mut buf) {
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => break,
                }
            }
            prop_assert!(decoder.partial.as_ref().map_or(0, |(_, p)| p.len()) <= 256);
        }
    }
}
