//! The peer of the fanout bench: `node bench/peer-ws/server.js`, a broadcast
//! server written with the npm `ws` package. Installed on first use
//! (`npm install` in its folder), started on a free loopback port, and
//! killed when the bench is done or fails (`kill_on_drop`).

use anyhow::Context;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

#[derive(Debug)]
pub struct Peer {
    child: Child,
    pub port: u16,
    pub pid: u32,
}

/// The peer's folder: beside the sources this binary was built from, or
/// under the working directory.
fn folder() -> anyhow::Result<PathBuf> {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/peer-ws");
    let here = PathBuf::from("bench/peer-ws");
    [built, here].into_iter().find(|p| p.join("server.js").is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "找不到对照服务 / cannot find bench/peer-ws/server.js (run from the repository, or pass --no-peer)"
        )
    })
}

impl Peer {
    pub async fn start() -> anyhow::Result<Peer> {
        let dir = folder()?;
        if !dir.join("node_modules/ws").is_dir() {
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .status()
                .await
                .context("running npm install for the peer (is Node.js installed? or pass --no-peer)")?;
            anyhow::ensure!(status.success(), "npm install in {} failed: {status}", dir.display());
        }
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(&dir)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting node for the peer (is Node.js installed? or pass --no-peer)")?;
        let pid = child.id().context("the peer exited at once")?;
        let stdout = child.stdout.take().context("the peer's output")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .context("the peer did not say it was listening within 10 s")??
            .context("the peer exited before listening")?;
        let port = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .with_context(|| format!("unexpected first line from the peer: {line:?}"))?;
        Ok(Peer { child, port, pid })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
