//! zhibo's media layer: RTMP ingest from OBS or ffmpeg ([`server`],
//! [`rtmp`]), one [`hub::StreamHub`] channel per show with its GOP cache,
//! the FLV framing HTTP-FLV viewers get ([`flv`]) and the shared tasks
//! that write it to their sockets ([`fanout`]), HLS remuxed in memory
//! ([`hls`]), and stream health
//! ([`health`]), and each show's recording ([`record`]). It knows shows only by id and keys through the store's
//! [`zhibo_store::StreamKeyStore`]; what happens to a stream reaches the
//! rest of zhibo as [`server::MediaEvent`]s the web layer forwards to the
//! live room.

pub mod avc;
pub mod error;
pub mod fanout;
pub mod flv;
pub mod flv_out;
pub mod gop;
pub mod health;
pub mod hls;
pub mod hub;
pub mod keys;
pub mod record;
pub mod rtmp;
pub mod server;

pub use error::MediaError;
pub use hub::{StreamHub, Viewer};
pub use server::{MediaConfig, MediaEvent, MediaEventKind, MediaServer};
