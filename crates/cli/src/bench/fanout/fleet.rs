//! The bench's side of its load processes: starts `zhibo bench
//! fanout-load` once per [`Plan`] (this same binary), talks to each over
//! its stdin and stdout one JSON line at a time, and kills them all when
//! dropped, so a failed run leaves nothing behind.

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::load::{Go, Outcome, Plan, Ready};

struct Member {
    child: Child,
    input: ChildStdin,
    output: Lines<BufReader<ChildStdout>>,
}

pub struct Fleet {
    members: Vec<Member>,
}

impl Fleet {
    /// Starts one load process per plan and hands each its plan.
    pub async fn start(plans: &[Plan]) -> anyhow::Result<Fleet> {
        let exe = std::env::current_exe().context("finding this program to start the load processes")?;
        let mut members = Vec::with_capacity(plans.len());
        for plan in plans {
            let mut child = Command::new(&exe)
                .args(["bench", "fanout-load"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .context("starting a load process")?;
            let input = child.stdin.take().context("a load process's stdin")?;
            let output = BufReader::new(child.stdout.take().context("a load process's stdout")?).lines();
            let mut member = Member { child, input, output };
            member.tell(plan).await?;
            members.push(member);
        }
        Ok(Fleet { members })
    }

    /// Waits until every process has connected its viewers (the first
    /// half, or all after [`Fleet::more`]).
    pub async fn ready(&mut self, within: Duration) -> anyhow::Result<Vec<Ready>> {
        self.hear_all(within, "connecting the viewers").await
    }

    /// Lets every process connect its second half of the viewers.
    pub async fn more(&mut self) -> anyhow::Result<()> {
        for member in &mut self.members {
            member.tell(&"more").await?;
        }
        Ok(())
    }

    pub async fn go(&mut self, go: &Go) -> anyhow::Result<()> {
        for member in &mut self.members {
            member.tell(go).await?;
        }
        Ok(())
    }

    /// Waits for every process's figures.
    pub async fn outcomes(&mut self, within: Duration) -> anyhow::Result<Vec<Outcome>> {
        self.hear_all(within, "the load's figures").await
    }

    /// Lets the processes exit by themselves (closing their sockets as a
    /// viewer leaving would), killing any that does not within `within`.
    pub async fn finish(self, within: Duration) {
        for mut member in self.members {
            drop(member.input);
            if tokio::time::timeout(within, member.child.wait()).await.is_err() {
                let _ = member.child.kill().await;
            }
        }
    }

    async fn hear_all<T: DeserializeOwned>(&mut self, within: Duration, what: &str) -> anyhow::Result<Vec<T>> {
        let heard = futures_util::future::try_join_all(self.members.iter_mut().map(Member::hear));
        tokio::time::timeout(within, heard)
            .await
            .with_context(|| format!("负载进程超时 / the load processes took over {within:?} for {what}"))?
    }
}

impl Member {
    async fn tell(&mut self, what: &impl Serialize) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(what)?;
        line.push(b'\n');
        self.input.write_all(&line).await.context("writing to a load process")?;
        self.input.flush().await.context("writing to a load process")?;
        Ok(())
    }

    async fn hear<T: DeserializeOwned>(&mut self) -> anyhow::Result<T> {
        let line = self.output.next_line().await?.context("a load process stopped early (its error is above)")?;
        serde_json::from_str(&line).with_context(|| format!("a load process said {line:?}"))
    }
}
