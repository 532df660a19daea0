//! The RTMP publisher's side of the protocol, sans I/O: bytes in,
//! [`Action`]s out. rml_rtmp does the handshake and the message (AMF0)
//! encoding; chunks are parsed by [`chunk`] with limits, and command
//! values are vetted by [`amf_guard`] before rml_amf0 decodes them. The
//! tokio loop around a [`Session`] is in [`crate::server`].
//!
//! The flow a publisher (OBS, ffmpeg) follows: handshake, `connect` to the
//! app (`live`), `releaseStream`/`FCPublish`, `createStream`, `publish`
//! with the stream key; then audio, video and `@setDataFrame` metadata
//! messages; `FCUnpublish`/`deleteStream` when it stops cleanly.

pub mod amf_guard;
pub mod chunk;

use bytes::Bytes;
use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::ChunkSerializer;
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::messages::{MessagePayload, PeerBandwidthLimitType, RtmpMessage, UserControlEventType};
use rml_rtmp::time::RtmpTimestamp;
use std::collections::HashMap;

use crate::MediaError;
use crate::flv::{Tag, TagKind};
use chunk::{ChunkReader, Limits};

/// The chunk size zhibo sends with.
const OUT_CHUNK_SIZE: u32 = 4096;
/// The acknowledgement window zhibo asks of publishers.
const WINDOW: u32 = 5_000_000;

/// What the server must do after some input.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Bytes for the peer.
    Send(Vec<u8>),
    /// The peer asks to publish with this key; answer with
    /// [`Session::accept`] or [`Session::refuse`].
    Publish { key: String },
    /// A media tag of the accepted publication.
    Media(Tag),
    /// Width and height announced in the metadata.
    Metadata { width: Option<f64>, height: Option<f64> },
    /// The publisher stopped cleanly.
    Unpublish,
    /// The peer must be disconnected (after sending what came before).
    Close,
}

/// One connection's protocol state.
pub struct Session {
    handshake: Option<Handshake>,
    reader: ChunkReader,
    writer: ChunkSerializer,
    app: String,
    connected: bool,
    publish: Option<(f64, u32)>,
    publishing: bool,
    peer_window: Option<u32>,
    unacked: u64,
    received: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("app", &self.app).field("publishing", &self.publishing).finish()
    }
}

fn err(e: impl std::fmt::Display) -> MediaError {
    MediaError::Protocol(e.to_string())
}

fn status(level: &str, code: &str, description: &str) -> Amf0Value {
    let mut o = HashMap::new();
    o.insert("level".to_owned(), Amf0Value::Utf8String(level.to_owned()));
    o.insert("code".to_owned(), Amf0Value::Utf8String(code.to_owned()));
    o.insert("description".to_owned(), Amf0Value::Utf8String(description.to_owned()));
    Amf0Value::Object(o)
}

/// A name without its query string ("live?token=1" → "live").
fn bare(name: &str) -> &str {
    name.split('?').next().unwrap_or("").trim_end_matches('/')
}

impl Session {
    /// A new connection for `app`; the returned bytes (S0 and S1) go to
    /// the peer at once.
    pub fn new(app: &str, limits: Limits) -> Result<(Session, Vec<u8>), MediaError> {
        let mut handshake = Handshake::new(PeerType::Server);
        let hello = handshake.generate_outbound_p0_and_p1().map_err(err)?;
        let session = Session {
            handshake: Some(handshake),
            reader: ChunkReader::new(limits),
            writer: ChunkSerializer::new(),
            app: app.to_owned(),
            connected: false,
            publish: None,
            publishing: false,
            peer_window: None,
            unacked: 0,
            received: 0,
        };
        Ok((session, hello))
    }

    /// Whether a publication was accepted on this connection.
    pub fn is_publishing(&self) -> bool {
        self.publishing
    }

    /// Feeds bytes from the socket.
    pub fn input(&mut self, bytes: &[u8]) -> Result<Vec<Action>, MediaError> {
        let mut actions = Vec::new();
        let mut rest = bytes;
        let leftover;
        if let Some(handshake) = self.handshake.as_mut() {
            match handshake.process_bytes(bytes).map_err(err)? {
                HandshakeProcessResult::InProgress { response_bytes } => {
                    if !response_bytes.is_empty() {
                        actions.push(Action::Send(response_bytes));
                    }
                    return Ok(actions);
                }
                HandshakeProcessResult::Completed { response_bytes, remaining_bytes } => {
                    if !response_bytes.is_empty() {
                        actions.push(Action::Send(response_bytes));
                    }
                    self.handshake = None;
                    leftover = remaining_bytes;
                    rest = &leftover;
                }
            }
        }
        self.received += rest.len() as u64;
        self.unacked += rest.len() as u64;
        self.reader.push(rest)?;
        while let Some(message) = self.reader.next_message()? {
            self.message(message, &mut actions)?;
            if actions.last() == Some(&Action::Close) {
                return Ok(actions);
            }
        }
        if let Some(window) = self.peer_window
            && self.unacked >= u64::from(window)
        {
            self.unacked = 0;
            let ack = RtmpMessage::Acknowledgement { sequence_number: self.received as u32 };
            actions.push(Action::Send(self.encode(ack, 0)?));
        }
        Ok(actions)
    }

    fn encode(&mut self, message: RtmpMessage, stream: u32) -> Result<Vec<u8>, MediaError> {
        let payload = message.into_message_payload(RtmpTimestamp::new(0), stream).map_err(err)?;
        Ok(self.writer.serialize(&payload, false, false).map_err(err)?.bytes)
    }

    fn command(
        &mut self,
        name: &str,
        transaction: f64,
        object: Amf0Value,
        args: Vec<Amf0Value>,
        stream: u32,
    ) -> Result<Vec<u8>, MediaError> {
        self.encode(
            RtmpMessage::Amf0Command {
                command_name: name.to_owned(),
                transaction_id: transaction,
                command_object: object,
                additional_arguments: args,
            },
            stream,
        )
    }

    fn message(&mut self, m: chunk::Message, actions: &mut Vec<Action>) -> Result<(), MediaError> {
        match m.type_id {
            8 | 9 => {
                if self.publishing && !m.payload.is_empty() {
                    let kind = if m.type_id == 8 { TagKind::Audio } else { TagKind::Video };
                    actions.push(Action::Media(Tag { kind, timestamp: m.timestamp, body: m.payload }));
                }
                return Ok(());
            }
            18 | 20 => {
                let least = if m.type_id == 20 { 3 } else { 0 };
                if amf_guard::top_level_values(&m.payload).is_none_or(|n| n < least) {
                    return Err(MediaError::Protocol("malformed or too deeply nested AMF0".into()));
                }
            }
            1..=6 => {}
            // AMF3 commands, aggregates and the rest: not from a publisher we support
            _ => return Ok(()),
        }
        let payload = MessagePayload {
            timestamp: RtmpTimestamp::new(m.timestamp),
            type_id: m.type_id,
            message_stream_id: m.stream_id,
            data: m.payload,
        };
        match payload.to_rtmp_message().map_err(err)? {
            RtmpMessage::WindowAcknowledgement { size } => self.peer_window = Some(size.max(1)),
            RtmpMessage::Amf0Command { command_name, transaction_id, command_object, additional_arguments } => {
                self.on_command(
                    &command_name,
                    transaction_id,
                    command_object,
                    additional_arguments,
                    m.stream_id,
                    actions,
                )?;
            }
            RtmpMessage::Amf0Data { values } => self.on_data(values, actions)?,
            _ => {}
        }
        Ok(())
    }

    fn on_command(
        &mut self,
        name: &str,
        transaction: f64,
        object: Amf0Value,
        mut args: Vec<Amf0Value>,
        stream: u32,
        actions: &mut Vec<Action>,
    ) -> Result<(), MediaError> {
        match name {
            "connect" => {
                let app = object
                    .get_object_properties()
                    .and_then(|mut p| p.remove("app"))
                    .and_then(|v| v.get_string())
                    .unwrap_or_default();
                if bare(&app) != self.app {
                    let description = format!("应用名应为 {} / the app must be {}", self.app, self.app);
                    let refused = status("error", "NetConnection.Connect.Rejected", &description);
                    actions.push(Action::Send(self.command(
                        "_error",
                        transaction,
                        Amf0Value::Null,
                        vec![refused],
                        0,
                    )?));
                    actions.push(Action::Close);
                    return Ok(());
                }
                self.connected = true;
                let mut out = self.encode(RtmpMessage::WindowAcknowledgement { size: WINDOW }, 0)?;
                out.extend(self.encode(
                    RtmpMessage::SetPeerBandwidth { size: WINDOW, limit_type: PeerBandwidthLimitType::Dynamic },
                    0,
                )?);
                out.extend(self.writer.set_max_chunk_size(OUT_CHUNK_SIZE, RtmpTimestamp::new(0)).map_err(err)?.bytes);
                let mut props = HashMap::new();
                props.insert("fmsVer".to_owned(), Amf0Value::Utf8String("FMS/3,0,1,123".into()));
                props.insert("capabilities".to_owned(), Amf0Value::Number(31.0));
                let mut info = match status("status", "NetConnection.Connect.Success", "Connection succeeded.") {
                    Amf0Value::Object(o) => o,
                    _ => HashMap::new(),
                };
                info.insert("objectEncoding".to_owned(), Amf0Value::Number(0.0));
                out.extend(self.command(
                    "_result",
                    transaction,
                    Amf0Value::Object(props),
                    vec![Amf0Value::Object(info)],
                    0,
                )?);
                actions.push(Action::Send(out));
            }
            "releaseStream" | "FCPublish" if transaction > 0.0 => {
                let out = self.command("_result", transaction, Amf0Value::Null, vec![Amf0Value::Undefined], 0)?;
                actions.push(Action::Send(out));
            }
            "createStream" => {
                let out = self.command("_result", transaction, Amf0Value::Null, vec![Amf0Value::Number(1.0)], 0)?;
                actions.push(Action::Send(out));
            }
            "publish" => {
                if !self.connected || self.publish.is_some() || self.publishing {
                    return Err(MediaError::Protocol("publish out of order".into()));
                }
                let key = match args.drain(..).next().and_then(|v| v.get_string()) {
                    Some(key) => bare(&key).to_owned(),
                    None => String::new(),
                };
                self.publish = Some((transaction, stream.max(1)));
                actions.push(Action::Publish { key });
            }
            "FCUnpublish" | "deleteStream" | "closeStream" if self.publishing => {
                self.publishing = false;
                actions.push(Action::Unpublish);
            }
            _ => {}
        }
        Ok(())
    }

    fn on_data(&mut self, mut values: Vec<Amf0Value>, actions: &mut Vec<Action>) -> Result<(), MediaError> {
        if !self.publishing {
            return Ok(());
        }
        if matches!(values.first(), Some(Amf0Value::Utf8String(s)) if s == "@setDataFrame") {
            values.remove(0);
        }
        let is_metadata = matches!(values.first(), Some(Amf0Value::Utf8String(s)) if s == "onMetaData");
        if !is_metadata || values.len() < 2 {
            return Ok(());
        }
        let properties = values[1].clone().get_object_properties().unwrap_or_default();
        let number = |key: &str| match properties.get(key) {
            Some(Amf0Value::Number(n)) => Some(*n),
            _ => None,
        };
        actions.push(Action::Metadata { width: number("width"), height: number("height") });
        let body = rml_amf0::serialize(&values[..2].to_vec()).map_err(err)?;
        actions.push(Action::Media(Tag { kind: TagKind::Script, timestamp: 0, body: Bytes::from(body) }));
        Ok(())
    }

    /// Accepts the pending publish request.
    pub fn accept(&mut self) -> Result<Vec<u8>, MediaError> {
        let Some((_, stream)) = self.publish.take() else {
            return Err(MediaError::Protocol("no publish to accept".into()));
        };
        self.publishing = true;
        let mut out = self.encode(
            RtmpMessage::UserControl {
                event_type: UserControlEventType::StreamBegin,
                stream_id: Some(stream),
                buffer_length: None,
                timestamp: None,
            },
            0,
        )?;
        let started = status("status", "NetStream.Publish.Start", "开始推流 / publishing");
        out.extend(self.command("onStatus", 0.0, Amf0Value::Null, vec![started], stream)?);
        Ok(out)
    }

    /// Refuses the pending publish request; the connection is then closed.
    pub fn refuse(&mut self, code: &str, description: &str) -> Result<Vec<u8>, MediaError> {
        let (_, stream) = self.publish.take().unwrap_or((0.0, 1));
        let refused = status("error", code, description);
        self.command("onStatus", 0.0, Amf0Value::Null, vec![refused], stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits() -> Limits {
        Limits { max_chunk_size: 4096, max_message: 64 * 1024, max_chunk_streams: 8 }
    }

    /// A client handshake's C0+C1 (and later C2) from rml_rtmp's client side.
    fn handshaken() -> Session {
        let (mut server, s0s1) = Session::new("live", limits()).unwrap();
        let mut client = Handshake::new(PeerType::Client);
        let c0c1 = client.generate_outbound_p0_and_p1().unwrap();
        let mut to_client = s0s1;
        for a in server.input(&c0c1).unwrap() {
            if let Action::Send(b) = a {
                to_client.extend(b);
            }
        }
        let c2 = match client.process_bytes(&to_client).unwrap() {
            HandshakeProcessResult::Completed { response_bytes, .. } => response_bytes,
            HandshakeProcessResult::InProgress { response_bytes } => response_bytes,
        };
        server.input(&c2).unwrap();
        assert!(server.handshake.is_none());
        server
    }

    fn command(
        writer: &mut ChunkSerializer,
        name: &str,
        tid: f64,
        object: Amf0Value,
        args: Vec<Amf0Value>,
        stream: u32,
    ) -> Vec<u8> {
        let message = RtmpMessage::Amf0Command {
            command_name: name.into(),
            transaction_id: tid,
            command_object: object,
            additional_arguments: args,
        };
        let payload = message.into_message_payload(RtmpTimestamp::new(0), stream).unwrap();
        writer.serialize(&payload, false, false).unwrap().bytes
    }

    #[test]
    fn connect_and_publish_ask_for_the_key_then_relay_media() {
        let mut server = handshaken();
        let mut client = ChunkSerializer::new();
        let mut app = HashMap::new();
        app.insert("app".to_string(), Amf0Value::Utf8String("live".into()));
        let actions = server.input(&command(&mut client, "connect", 1.0, Amf0Value::Object(app), vec![], 0)).unwrap();
        assert!(matches!(actions.as_slice(), [Action::Send(_)]));
        server.input(&command(&mut client, "createStream", 2.0, Amf0Value::Null, vec![], 0)).unwrap();
        let args = vec![Amf0Value::Utf8String("zb-key?x=1".into()), Amf0Value::Utf8String("live".into())];
        let actions = server.input(&command(&mut client, "publish", 3.0, Amf0Value::Null, args, 1)).unwrap();
        assert_eq!(actions, [Action::Publish { key: "zb-key".into() }]);
        // media before the answer is not relayed
        let video = RtmpMessage::VideoData { data: Bytes::from_static(&[0x17, 1, 0, 0, 0]) };
        let payload = video.into_message_payload(RtmpTimestamp::new(40), 1).unwrap();
        let bytes = client.serialize(&payload, false, false).unwrap().bytes;
        assert!(server.input(&bytes).unwrap().is_empty());
        assert!(!server.accept().unwrap().is_empty());
        let actions = server.input(&bytes).unwrap();
        assert!(matches!(&actions[..], [Action::Media(t)] if t.timestamp == 40 && t.kind == TagKind::Video));
        let actions = server.input(&command(&mut client, "deleteStream", 4.0, Amf0Value::Null, vec![], 0)).unwrap();
        assert_eq!(actions, [Action::Unpublish]);
    }

    #[test]
    fn another_app_is_refused() {
        let mut server = handshaken();
        let mut client = ChunkSerializer::new();
        let mut app = HashMap::new();
        app.insert("app".to_string(), Amf0Value::Utf8String("vod".into()));
        let actions = server.input(&command(&mut client, "connect", 1.0, Amf0Value::Object(app), vec![], 0)).unwrap();
        assert_eq!(actions.last(), Some(&Action::Close));
    }

    proptest! {
        #[test]
        fn random_bytes_before_or_after_the_handshake_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..6000),
            cut in 1usize..700,
            after_handshake: bool,
        ) {
            let mut server = if after_handshake { handshaken() } else { Session::new("live", limits()).unwrap().0 };
            for piece in data.chunks(cut) {
                match server.input(piece) {
                    Ok(actions) => if actions.contains(&Action::Close) { break },
                    Err(_) => break,
                }
            }
        }

        /// Well-formed chunks carrying random command bodies.
        #[test]
        fn random_commands_never_panic(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8)) {
            let mut server = handshaken();
            let mut client = ChunkSerializer::new();
            for body in bodies {
                for type_id in [20u8, 18, 4, 1, 5] {
                    let payload = MessagePayload { timestamp: RtmpTimestamp::new(0), type_id, message_stream_id: 1, data: Bytes::from(body.clone()) };
                    let bytes = client.serialize(&payload, false, false).unwrap().bytes;
                    if server.input(&bytes).is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}
