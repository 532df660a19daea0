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
}
