//! The WebSocket protocol's messages (docs/protocol.md): what clients send,
//! parsed and checked at the edge, and the frames the room sends back.
//!
//! Every message carries `"v": 1` and a `"type"`. Parsing never panics:
//! whatever arrives is either a [`ClientMessage`] or a [`ProtocolError`]
//! that becomes an `error` frame to its sender alone.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use zhibo_domain::ProductId;
use zhibo_domain::event::Actor;

/// The protocol version this server speaks.
pub const VERSION: u32 = 1;
/// Largest client message accepted, in bytes of its text.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;
/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 200;
/// Longest pinned topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 100;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 20;
/// Longest highlight note, in characters.
pub const MAX_HIGHLIGHT_NOTE_CHARS: usize = 100;
/// Most likes in one `like` message.
pub const MAX_LIKES_PER_MESSAGE: u32 = 100;
/// Longest mute, in minutes (a day).
pub const MAX_MUTE_MINUTES: u32 = 24 * 60;

/// A message from a viewer's or a console's socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    // ---- anyone
    Hello {
        #[serde(default)]
        name: Option<String>,
    },
    Comment {
        text: String,
    },
    Like {
        count: u32,
    },
    Follow {},
    Share {},
    ProductClick {
        product: ProductId,
    },
    /// An order a simulated viewer paid in the audience model (live mode
    /// of docs/sim.md): counted apart, as 模拟订单, never as a real order,
    /// GMV or stock. Only a simulated viewer (actor `sim:N`) may send it.
    SimulatedOrder {
        product: ProductId,
        amount_fen: i64,
    },
    // ---- console only
    PushCard {
        product: ProductId,
    },
    UnpushCard {},
    List {
        product: ProductId,
    },
    Delist {
        product: ProductId,
    },
    PinTopic {
        text: String,
    },
    UnpinTopic {},
    HideComment {
        comment: u64,
    },
    Mute {
        viewer: String,
        minutes: u32,
    },
    Ban {
        viewer: String,
    },
    // ---- interactions (crate::interactions): grab_red_packet is a viewer's
    GrabRedPacket {
        id: u64,
    },
    OpenLottery {
        prize: String,
        winners: u32,
        join: crate::interactions::LotteryJoin,
        #[serde(default)]
        keyword: Option<String>,
        duration_secs: u32,
    },
    DrawLottery {},
    SendRedPacket {
        total_fen: i64,
        count: u32,
    },
    OpenPoll {
        question: String,
        options: Vec<String>,
    },
    ClosePoll {},
    /// A viewer's vote (anyone may send it).
    Vote {
        poll: u64,
        option: u32,
    },
    // ---- run sheet (crate::run_sheet), console only
    StartSegment {
        index: u32,
    },
    EndSegment {},
    // ---- lineup tools (crate::lineup), console only
    SetLivePrice {
        product: ProductId,
        price_fen: i64,
    },
    AdjustStock {
        product: ProductId,
        #[serde(default)]
        sku: Option<zhibo_domain::SkuId>,
        delta: i64,
        note: String,
    },
    // ---- moderation (crate::moderation)
    ApproveComment {
        comment: u64,
    },
    RejectComment {
        comment: u64,
    },
    AnswerQuestion {
        comment: u64,
        #[serde(default)]
        reply: Option<String>,
    },
    // ---- presentation (crate::presentation), console only
    SetWelcome {
        template: String,
    },
    ReorderLineup {
        product: ProductId,
        position: u32,
    },
    PinComment {
        comment: u64,
    },
    UnpinComment {},
    // ---- flash sale (crate::flash_sale): flash_buy is a signed-in viewer's
    FlashBuy {
        sale: zhibo_domain::FlashSaleId,
        quantity: u32,
        /// The buyer's id for this request: a replay answers the same.
        request: String,
        address: crate::flash_sale::AddressInput,
    },
    OpenFlashSale {
        product: ProductId,
        sku: zhibo_domain::SkuId,
        price_fen: i64,
        quantity: u32,
        per_buyer: u32,
        /// Seconds before it starts; 0 starts it now.
        #[serde(default)]
        countdown_secs: u32,
        /// How long it runs once started; none runs until stopped.
        #[serde(default)]
        duration_secs: Option<u32>,
    },
    StopFlashSale {
        sale: zhibo_domain::FlashSaleId,
    },
    // ---- run-sheet automation (crate::automation), console only
    CancelAction {
        action: i64,
    },
    FireAction {
        action: i64,
    },
    // ---- reminders (crate::reminders), console only
    /// 领券提醒: prompt the viewers who hold no claim of `coupon` to claim it.
    RemindCoupon {
        coupon: i64,
    },
    /// Remind the signed-in viewers whose cart waits for an order.
    NudgeCarts {},
    // ---- recording (room/highlight.rs), console only
    /// 标记高光: marks this moment of the stream for clips after the show.
    MarkHighlight {
        #[serde(default)]
        note: Option<String>,
    },
}

/// Every `type` a client may send, viewer's first.
pub const VIEWER_TYPES: &[&str] = &[
    "hello",
    "comment",
    "like",
    "follow",
    "share",
    "product_click",
    "grab_red_packet",
    "vote",
    "flash_buy",
    "simulated_order",
];
pub const CONSOLE_TYPES: &[&str] = &[
    "push_card",
    "unpush_card",
    "list",
    "delist",
    "pin_topic",
    "unpin_topic",
    "hide_comment",
    "mute",
    "ban",
    "open_lottery",
    "draw_lottery",
    "send_red_packet",
    "open_poll",
    "close_poll",
    "start_segment",
    "end_segment",
    "set_live_price",
    "adjust_stock",
    "approve_comment",
    "reject_comment",
    "answer_question",
    "set_welcome",
    "reorder_lineup",
    "pin_comment",
    "unpin_comment",
    "open_flash_sale",
    "stop_flash_sale",
    "cancel_action",
    "fire_action",
    "remind_coupon",
    "nudge_carts",
    "mark_highlight",
];

impl ClientMessage {
    /// Whether only a console (中控台) may send it.
    pub fn is_console(&self) -> bool {
        !matches!(
            self,
            ClientMessage::Hello { .. }
                | ClientMessage::Comment { .. }
                | ClientMessage::Like { .. }
                | ClientMessage::Follow {}
                | ClientMessage::Share {}
                | ClientMessage::ProductClick { .. }
                | ClientMessage::SimulatedOrder { .. }
                | ClientMessage::GrabRedPacket { .. }
                | ClientMessage::Vote { .. }
                | ClientMessage::FlashBuy { .. }
        )
    }

    /// Parses one text message: size, JSON, version, type, then fields.
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(ProtocolError::new(
                ErrorCode::TooLarge,
                format!(
                    "消息太大（上限 {MAX_MESSAGE_BYTES} 字节） / message too large (limit {MAX_MESSAGE_BYTES} bytes)"
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ProtocolError::new(ErrorCode::BadJson, format!("不是有效的 JSON / not valid JSON: {e}")))?;
        let serde_json::Value::Object(mut object) = value else {
            return Err(ProtocolError::new(ErrorCode::BadJson, "消息必须是 JSON 对象 / message must be a JSON object"));
        };
        match object.remove("v").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            _ => {
                return Err(ProtocolError::new(
                    ErrorCode::BadVersion,
                    format!("字段 v 必须是 {VERSION} / field v must be {VERSION}"),
                ));
            }
        }
        let kind = object.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        if !VIEWER_TYPES.contains(&kind.as_str()) && !CONSOLE_TYPES.contains(&kind.as_str()) {
            return Err(ProtocolError::new(
                ErrorCode::UnknownType,
                format!("未知的消息类型 / unknown message type {kind:?}"),
            ));
        }
        let message: ClientMessage = serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
            ProtocolError::new(ErrorCode::BadMessage, format!("{kind} 消息的字段不对 / bad fields in {kind}: {e}"))
        })?;
        message.check()?;
        Ok(message)
    }

    /// The field rules serde cannot say.
    fn check(&self) -> Result<(), ProtocolError> {
        match self {
            ClientMessage::Hello { name: Some(name) } => text_field("name", name, MAX_NAME_CHARS),
            ClientMessage::Comment { text } => text_field("text", text, MAX_COMMENT_CHARS),
            ClientMessage::PinTopic { text } => text_field("text", text, MAX_TOPIC_CHARS),
            ClientMessage::Like { count } if *count == 0 || *count > MAX_LIKES_PER_MESSAGE => {
                Err(ProtocolError::field(
                    "count",
                    format!(
                        "点赞数须在 1 到 {MAX_LIKES_PER_MESSAGE} 之间 / count must be 1 to {MAX_LIKES_PER_MESSAGE}"
                    ),
                ))
            }
            ClientMessage::Mute { minutes, .. } if *minutes == 0 || *minutes > MAX_MUTE_MINUTES => {
                Err(ProtocolError::field(
                    "minutes",
                    format!("禁言时长须在 1 到 {MAX_MUTE_MINUTES} 分钟 / minutes must be 1 to {MAX_MUTE_MINUTES}"),
                ))
            }
            ClientMessage::Mute { viewer, .. } | ClientMessage::Ban { viewer } => {
                Actor::parse(viewer).map(|_| ()).map_err(|_| {
                    ProtocolError::field(
                        "viewer",
                        format!("观众标识不对 / bad viewer {viewer:?}: use the viewer of a comment frame"),
                    )
                })
            }
            ClientMessage::AnswerQuestion { reply: Some(reply), .. } => text_field("reply", reply, MAX_COMMENT_CHARS),
            ClientMessage::SetLivePrice { .. } | ClientMessage::AdjustStock { .. } => crate::lineup::check(self),
            ClientMessage::SetWelcome { .. } => crate::presentation::check(self),
            ClientMessage::FlashBuy { .. } | ClientMessage::OpenFlashSale { .. } => crate::flash_sale::check(self),
            ClientMessage::RemindCoupon { .. } => crate::reminders::check(self),
            ClientMessage::MarkHighlight { note: Some(note) } => text_field("note", note, MAX_HIGHLIGHT_NOTE_CHARS),
            other => crate::interactions::check(other),
        }
    }
}

pub(crate) fn text_field(field: &'static str, text: &str, max: usize) -> Result<(), ProtocolError> {
    if text.trim().is_empty() {
        return Err(ProtocolError::field(field, format!("{field} 不能为空 / {field} must not be empty")));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(ProtocolError::field(
            field,
            format!("{field} 太长（{chars} 字，上限 {max}） / {field} too long ({chars} characters, limit {max})"),
        ));
    }
    Ok(())
}

/// Why a message was refused; the `code` of an error frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    TooLarge,
    BadJson,
    BadVersion,
    UnknownType,
    BadMessage,
    Forbidden,
    RateLimited,
    NotInLineup,
    NotFound,
    Banned,
    Unavailable,
    /// Another of the same is still running (a lottery).
    Conflict,
    /// Done once already (a red packet grabbed).
    AlreadyDone,
    /// Nothing left (a red packet all taken).
    Gone,
    /// A comment hit the shop's sensitive-word list (crate::moderation).
    Blocked,
    /// A stock change would take sellable stock below zero (crate::lineup).
    InsufficientStock,
}

/// An error frame's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::BadMessage, message: message.into(), field: Some(field) }
    }

    /// The standalone `error` frame.
    pub fn to_frame(&self) -> Bytes {
        single(&Frame::Error(self.clone()))
    }
}

/// A card as viewers see it: the product being presented (讲解中).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardView {
    pub product: ProductId,
    pub title: String,
    pub price: i64,
    pub list_price: i64,
    pub live_price: i64,
    pub stock: i64,
}

/// One comment as it goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentView {
    /// The comment's sequence number in the room's log: its id.
    pub id: u64,
    /// Who wrote it (`viewer:…` or `user:…`): what a console mutes or bans.
    pub viewer: String,
    pub name: String,
    pub text: String,
}

/// A frame the server sends. Inside a `batch` each frame is a plain object
/// with its `type`; standalone frames (snapshot, error) also carry `v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    Comment(CommentView),
    CommentHidden {
        id: u64,
    },
    CardPushed(CardView),
    CardUnpushed {
        product: ProductId,
    },
    Listed {
        product: ProductId,
    },
    Delisted {
        product: ProductId,
    },
    Topic {
        text: Option<String>,
    },
    Likes {
        count: u64,
        total: u64,
    },
    ViewerCount {
        online: u64,
    },
    /// The show went live or ended while the room ran (room/lifecycle.rs).
    Status {
        status: crate::RoomStatus,
    },
    // ---- interactions (crate::interactions)
    LotteryOpened {
        id: u64,
        prize: String,
        join: crate::interactions::LotteryJoin,
        keyword: Option<String>,
        winners: u32,
        ends_at_ms: i64,
        entrants: u64,
    },
    LotteryJoined {
        id: u64,
        entrants: u64,
    },
    LotteryDrawn {
        id: u64,
        prize: String,
        winners: Vec<String>,
        viewers: Vec<String>,
    },
    RedPacketSent {
        id: u64,
        total_fen: i64,
        count: u32,
    },
    RedPacketGrabbed {
        id: u64,
        viewer: String,
        name: String,
        amount_fen: i64,
        left: u32,
    },
    PollOpened {
        id: u64,
        question: String,
        options: Vec<String>,
        votes: Vec<u64>,
        total: u64,
    },
    /// On the tick, when votes came in.
    PollTally {
        id: u64,
        votes: Vec<u64>,
        total: u64,
    },
    PollClosed {
        id: u64,
        votes: Vec<u64>,
        total: u64,
    },
    /// Console only, standalone: the live figures (crate::figures).
    Figures(crate::figures::FiguresView),
    Error(ProtocolError),
    /// Console only, standalone: a viewer was muted, so every console (and
    /// the simulated audience's observer, web/src/sim_audience) knows.
    ViewerMuted {
        viewer: String,
        minutes: u32,
    },
    /// Console only, standalone: a viewer was banned.
    ViewerBanned {
        viewer: String,
    },
}

impl Frame {
    /// The frame's JSON, serialized once, for a batch.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// A standalone frame: `{"v":1, ...frame}`.
pub fn single(frame: &impl Serialize) -> Bytes {
    let mut value = serde_json::to_value(frame).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(object) = &mut value {
        object.insert("v".into(), VERSION.into());
    }
    Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
}

/// Joins already-serialized frames into one `batch` message without
/// re-serializing them: `{"v":1,"type":"batch","frames":[f1,f2,...]}`.
pub fn batch(frames: &[Vec<u8>]) -> Bytes {
    let len: usize = frames.iter().map(|f| f.len() + 1).sum();
    let mut out = Vec::with_capacity(len + 40);
    out.extend_from_slice(br#"{"v":1,"type":"batch","frames":["#);
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(frame);
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages_and_names_what_is_wrong() {
        assert_eq!(
            ClientMessage::parse(r#"{"v":1,"type":"comment","text":"hi"}"#).unwrap(),
            ClientMessage::Comment { text: "hi".into() }
        );
        assert_eq!(ClientMessage::parse(r#"{"v":1,"type":"follow"}"#).unwrap(), ClientMessage::Follow {});
        assert!(ClientMessage::parse(r#"{"v":1,"type":"push_card","product":3}"#).unwrap().is_console());
        let code = |t: &str| ClientMessage::parse(t).unwrap_err().code;
        assert_eq!(code("not json"), ErrorCode::BadJson);
        assert_eq!(code("[1]"), ErrorCode::BadJson);
        assert_eq!(code(r#"{"type":"follow"}"#), ErrorCode::BadVersion);
        assert_eq!(code(r#"{"v":2,"type":"follow"}"#), ErrorCode::BadVersion);
        assert_eq!(code(r#"{"v":1,"type":"dance"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"v":1,"type":"like","count":"many"}"#), ErrorCode::BadMessage);
        assert_eq!(code(r#"{"v":1,"type":"follow","extra":1}"#), ErrorCode::BadMessage);
        assert_eq!(code(&format!(r#"{{"v":1,"type":"comment","text":"{}"}}"#, "x".repeat(5000))), ErrorCode::TooLarge);
        let long = ClientMessage::parse(&format!(r#"{{"v":1,"type":"comment","text":"{}"}}"#, "好".repeat(201)));
        assert_eq!(long.unwrap_err().field, Some("text"));
        assert!(ClientMessage::parse(&format!(r#"{{"v":1,"type":"comment","text":"{}"}}"#, "好".repeat(200))).is_ok());
        assert_eq!(ClientMessage::parse(r#"{"v":1,"type":"comment","text":"  "}"#).unwrap_err().field, Some("text"));
        assert_eq!(ClientMessage::parse(r#"{"v":1,"type":"like","count":0}"#).unwrap_err().field, Some("count"));
        let mute = ClientMessage::parse(r#"{"v":1,"type":"mute","viewer":"nobody","minutes":5}"#);
        assert_eq!(mute.unwrap_err().field, Some("viewer"));
    }

    #[test]
    fn a_batch_is_valid_json_holding_the_frames_in_order() {
        let frames = [Frame::Topic { text: Some("<b>".into()) }.to_json(), Frame::ViewerCount { online: 2 }.to_json()];
        let value: serde_json::Value = serde_json::from_slice(&batch(&frames)).unwrap();
        assert_eq!(value["v"], 1);
        assert_eq!(value["frames"][0]["text"], "<b>");
        assert_eq!(value["frames"][1]["type"], "viewer_count");
        let err: serde_json::Value =
            serde_json::from_slice(&ProtocolError::new(ErrorCode::Forbidden, "no").to_frame()).unwrap();
        assert_eq!(
            (err["v"].as_u64(), err["type"].as_str(), err["code"].as_str()),
            (Some(1), Some("error"), Some("forbidden"))
        );
    }
}
