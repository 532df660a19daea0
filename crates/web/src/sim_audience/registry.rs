//! The simulated audiences running in this server: at most one per room,
//! each a task that owns its [`LiveAudience`] and steps it on its pace
//! (once a wall-clock second in a server; only when asked in tests, which
//! move a virtual clock themselves). Staff pages and the console reach
//! them here to start, pause, resume and stop them and to read their
//! figures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use zhibo_domain::{Clock, RoomId};
use zhibo_live::{LiveError, RoomHub};
use zhibo_sim::Scenario;

use super::{AudienceOptions, AudienceStatus, LiveAudience};

/// How often a running audience steps its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// One model second per this much wall time (a second in a server).
    Wall(Duration),
    /// Only on [`Audiences::step`] (tests on a virtual clock).
    Manual,
}

enum Control {
    Pause(bool),
    Step(oneshot::Sender<()>),
    Stop(oneshot::Sender<AudienceStatus>),
}

struct Running {
    control: mpsc::Sender<Control>,
    status: watch::Receiver<AudienceStatus>,
}

/// The server's running audiences. Cheap to clone.
#[derive(Clone, Default)]
pub struct Audiences {
    running: Arc<Mutex<HashMap<RoomId, Running>>>,
    last_base: Arc<Mutex<u64>>,
}

impl std::fmt::Debug for Audiences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Audiences")
    }
}

/// Actor numbers one attached audience may use (its laps included).
const ACTORS_PER_ATTACH: u64 = 1_000_000_000;

impl Audiences {
    /// Attaches an audience playing `scenario` to the room, replacing the
    /// one running there (whose viewers leave first).
    pub async fn start(
        &self,
        hub: &RoomHub,
        clock: Arc<dyn Clock>,
        room: RoomId,
        scenario: Scenario,
        seed: u64,
        pace: Pace,
    ) -> Result<AudienceStatus, LiveError> {
        self.stop(room).await;
        let actor_base = self.next_base(clock.as_ref());
        let handle = hub.room(room);
        let audience = LiveAudience::attach(handle, clock, scenario, AudienceOptions { seed, actor_base }).await?;
        let first = audience.status();
        let (control, inbox) = mpsc::channel(16);
        let (status_tx, status) = watch::channel(first.clone());
        tokio::spawn(run(audience, inbox, status_tx, pace));
        self.lock().insert(room, Running { control, status });
        Ok(first)
    }

    /// Simulated actors of different attachments never meet: each takes
    /// a block of numbers starting from the room clock's second, so a
    /// restarted server does not reuse an earlier run's actors.
    fn next_base(&self, clock: &dyn Clock) -> u64 {
        let mut last = self.last_base.lock().unwrap_or_else(|e| e.into_inner());
        let from_clock = u64::try_from(clock.now().millis() / 1000).unwrap_or(0).saturating_mul(ACTORS_PER_ATTACH);
        *last = from_clock.max(last.saturating_add(ACTORS_PER_ATTACH));
        *last
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn control(&self, room: RoomId) -> Option<mpsc::Sender<Control>> {
        self.lock().get(&room).map(|r| r.control.clone())
    }

    /// Stops the room's audience: its viewers leave. `None` when none ran.
    pub async fn stop(&self, room: RoomId) -> Option<AudienceStatus> {
        let running = self.lock().remove(&room)?;
        let (reply, answer) = oneshot::channel();
        if running.control.send(Control::Stop(reply)).await.is_ok()
            && let Ok(status) = answer.await
        {
            return Some(status);
        }
        let mut status = running.status.borrow().clone();
        status.running = false;
        Some(status)
    }

    /// Pauses or resumes the room's audience; `false` when none runs.
    pub async fn pause(&self, room: RoomId, paused: bool) -> bool {
        match self.control(room) {
            Some(control) => control.send(Control::Pause(paused)).await.is_ok(),
            None => false,
        }
    }

    /// Steps the room's audience one second now and waits for it (the
    /// `Manual` pace of tests); `false` when none runs.
    pub async fn step(&self, room: RoomId) -> bool {
        let Some(control) = self.control(room) else { return false };
        let (reply, answer) = oneshot::channel();
        control.send(Control::Step(reply)).await.is_ok() && answer.await.is_ok()
    }

    /// The room's audience's figures, as of its last step.
    pub fn status(&self, room: RoomId) -> Option<AudienceStatus> {
        let running = self.lock();
        let r = running.get(&room)?;
        let mut status = r.status.borrow().clone();
        status.running &= !r.control.is_closed();
        Some(status)
    }
}

async fn run(
    mut audience: LiveAudience,
    mut inbox: mpsc::Receiver<Control>,
    status: watch::Sender<AudienceStatus>,
    pace: Pace,
) {
    let mut interval = match pace {
        Pace::Wall(every) => {
            let mut i = tokio::time::interval(every.max(Duration::from_millis(10)));
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            Some(i)
        }
        Pace::Manual => None,
    };
    loop {
        let tick = async {
            match interval.as_mut() {
                Some(i) => {
                    i.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        // A manual step is answered once its figures are published.
        let mut stepped = None;
        tokio::select! {
            control = inbox.recv() => match control {
                Some(Control::Pause(paused)) => audience.set_paused(paused),
                Some(Control::Step(reply)) => {
                    audience.step().await;
                    stepped = Some(reply);
                }
                Some(Control::Stop(reply)) => {
                    let last = audience.stop();
                    status.send_replace(last.clone());
                    let _ = reply.send(last);
                    return;
                }
                None => {
                    audience.stop();
                    return;
                }
            },
            () = tick => audience.step().await,
        }
        let mut now = audience.status();
        if audience.is_closed() {
            now.running = false;
            status.send_replace(now);
            audience.stop();
            return;
        }
        status.send_replace(now);
        if let Some(reply) = stepped {
            let _ = reply.send(());
        }
    }
}
