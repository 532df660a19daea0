//! The live crate's one error type.

use zhibo_domain::RoomId;

#[derive(Debug, Clone, thiserror::Error)]
pub enum LiveError {
    #[error("直播间不存在 / room {0} not found")]
    RoomNotFound(RoomId),
    #[error("直播间暂不可用 / room {0} is not available right now")]
    RoomUnavailable(RoomId),
    #[error("读取直播间数据失败 / could not load the room's data: {0}")]
    Data(String),
    #[error("抽奖核验失败 / lottery audit failed: {0}")]
    Audit(String),
    /// The room's data source cannot do this (a test double, say).
    #[error("此数据源不支持 {0} / {0} is not supported by this room's data")]
    Unsupported(&'static str),
    /// The request was judged and refused; the text says why, naming `field`.
    #[error("{message}")]
    Refused { field: Option<&'static str>, message: String },
    /// A stock change would take sellable stock below zero.
    #[error("库存不足：现有 {available}，变动 {delta} / not enough stock: {available} available, change {delta}")]
    InsufficientStock { available: i64, delta: i64 },
}
