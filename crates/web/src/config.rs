//! The server's settings, as one typed value. Loading them (defaults, a TOML
//! file, `ZHIBO_SECTION__KEY` environment variables) is the binary's job;
//! this module only says what they are and checks them.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub data: DataSettings,
    pub auth: AuthSettings,
    pub media: MediaSettings,
    pub sim: SimSettings,
}

/// The simulated audience in live mode (web/src/sim_audience, docs/sim.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimSettings {
    /// Attach a simulated audience to the demo show at start. `zhibo demo`
    /// turns it on; off for `zhibo serve` unless the config says so.
    pub demo_audience: bool,
    /// The demo audience's seed.
    pub demo_seed: u64,
    /// Where staff pick scenario files from (`*.toml`).
    pub scenarios_dir: PathBuf,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self { demo_audience: false, demo_seed: 1, scenarios_dir: PathBuf::from("scenarios") }
    }
}

/// RTMP ingest (crates/media).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    /// Address OBS and ffmpeg publish to. 127.0.0.1 by default; use 0.0.0.0
    /// to take streams from other machines.
    pub rtmp_host: IpAddr,
    /// RTMP port; 0 picks a free one (tests).
    pub rtmp_port: u16,
    /// A publisher who reconnects within this many seconds resumes the show.
    pub grace_seconds: i64,
    /// Folder for the shows' recordings and clips; `<data dir>/recordings`
    /// when not set.
    pub recordings: Option<PathBuf>,
    /// HTTP-FLV viewers get video frames in writes spanning this many
    /// milliseconds of the stream (0: each frame at once): fewer writes
    /// let one core serve more viewers, for at most this much latency.
    pub flv_merge_ms: u32,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            rtmp_host: IpAddr::from([127, 0, 0, 1]),
            rtmp_port: 1935,
            grace_seconds: 30,
            recordings: None,
            flv_merge_ms: zhibo_media::server::DEFAULT_FLV_MERGE_MS,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on. 127.0.0.1 by default: put a TLS proxy in front
    /// to serve the world.
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one (tests).
    pub port: u16,
    /// Largest request body accepted, in bytes (larger: 413).
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataSettings {
    /// Folder that holds the SQLite database (`zhibo.db`) and media.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// How long a sign-in lasts, in hours.
    pub session_hours: i64,
    /// Mark cookies `Secure` (only sent over HTTPS). Turn on behind TLS.
    pub cookie_secure: bool,
    /// Failed sign-ins allowed per username and address within the window.
    pub max_failed_sign_ins: u32,
    /// The window for counting failed sign-ins, in minutes.
    pub failed_sign_in_window_minutes: i64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self { host: IpAddr::from([127, 0, 0, 1]), port: 8080, max_body_bytes: 2 * 1024 * 1024 }
    }
}

impl Default for DataSettings {
    fn default() -> Self {
        Self { dir: PathBuf::from("zhibo-data") }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { session_hours: 12, cookie_secure: false, max_failed_sign_ins: 5, failed_sign_in_window_minutes: 15 }
    }
}

/// A setting that has the right type but a value zhibo cannot use.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("配置项 {key} 无效 / setting {key} is invalid: {reason}")]
pub struct SettingError {
    pub key: &'static str,
    pub reason: String,
}

impl Settings {
    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), SettingError> {
        let bad = |key, reason: &str| Err(SettingError { key, reason: reason.to_owned() });
        if self.server.max_body_bytes < 1024 {
            return bad("server.max_body_bytes", "must be at least 1024");
        }
        if !(1..=24 * 90).contains(&self.auth.session_hours) {
            return bad("auth.session_hours", "must be between 1 and 2160 (90 days)");
        }
        if self.auth.max_failed_sign_ins == 0 {
            return bad("auth.max_failed_sign_ins", "must be at least 1");
        }
        if !(1..=24 * 60).contains(&self.auth.failed_sign_in_window_minutes) {
            return bad("auth.failed_sign_in_window_minutes", "must be between 1 and 1440");
        }
        if !(0..=600).contains(&self.media.grace_seconds) {
            return bad("media.grace_seconds", "must be between 0 and 600");
        }
        if self.data.dir.as_os_str().is_empty() {
            return bad("data.dir", "must not be empty");
        }
        if self.media.flv_merge_ms > 1000 {
            return bad("media.flv_merge_ms", "must be between 0 and 1000");
        }
        if self.media.recordings.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return bad("media.recordings", "must not be empty");
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        self.data.dir.join("zhibo.db")
    }

    /// Where recordings and clips are written (crates/media/src/record).
    pub fn recordings_dir(&self) -> PathBuf {
        self.media.recordings.clone().unwrap_or_else(|| self.data.dir.join("recordings"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().unwrap();
    }

    #[test]
    fn an_unusable_value_names_its_key() {
        let mut s = Settings::default();
        s.auth.session_hours = 0;
        assert_eq!(s.validate().unwrap_err().key, "auth.session_hours");
    }
}
