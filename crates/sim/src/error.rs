//! The crate's one error type: a scenario that cannot be played, with the
//! key and the line of the file that is wrong.

use std::fmt;

/// A bad scenario. `key` is the dotted path of the offending key
/// (`incidents[2].at`), `line` the 1-based line in the file when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

impl SimError {
    pub fn new(key: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { key: key.into(), line, message: message.into() }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "场景文件第 {line} 行 `{}` / scenario line {line}, key `{}`: {}",
                self.key, self.key, self.message
            ),
            None => write!(f, "场景文件 `{}` / scenario key `{}`: {}", self.key, self.key, self.message),
        }
    }
}

impl std::error::Error for SimError {}
