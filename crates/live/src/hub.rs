//! The registry of live rooms: hands out a [`RoomHandle`] per room id and
//! starts the room's task the first time someone asks for it. A room's task
//! ends by itself once it has had no connection for a while
//! ([`RoomConfig::idle_after`]); the next request starts a fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zhibo_domain::{Clock, RoomId};
use zhibo_store::EventStore;

use crate::limits::RateLimits;
use crate::room::{self, Connection, Identity, RoomHandle};
use crate::{LiveError, RoomData};

/// Sizes and times of every room the hub starts.
#[derive(Debug, Clone)]
pub struct RoomConfig {
    /// How often batched frames go out.
    pub tick: Duration,
    /// Batches a connection may fall behind before it gets a snapshot
    /// instead of the missed batches.
    pub broadcast_capacity: usize,
    /// Frames waiting for one connection alone (errors, snapshots); more
    /// are dropped, which only a flooding client ever sees.
    pub private_capacity: usize,
    /// Commands waiting for the room task; senders wait when it is full.
    pub command_capacity: usize,
    /// A room with no connection for this long stops (not while a lottery,
    /// red packet or poll is open: those live only in the room task).
    pub idle_after: Duration,
    pub limits: RateLimits,
    /// Comments kept for snapshots and for hiding.
    pub recent_comments: usize,
}

impl Default for RoomConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(100),
            broadcast_capacity: 256,
            private_capacity: 64,
            command_capacity: 1024,
            idle_after: Duration::from_secs(60),
            limits: RateLimits::default(),
            recent_comments: 50,
        }
    }
}

/// What every room task is given.
#[derive(Clone)]
pub(crate) struct Deps {
    pub store: Arc<dyn EventStore>,
    pub data: Arc<dyn RoomData>,
    pub clock: Arc<dyn Clock>,
    pub config: RoomConfig,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").field("data", &self.data).field("config", &self.config).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct RoomHub {
    deps: Deps,
    rooms: Arc<Mutex<HashMap<RoomId, RoomHandle>>>,
}

impl RoomHub {
    pub fn new(
        store: Arc<dyn EventStore>,
        data: Arc<dyn RoomData>,
        clock: Arc<dyn Clock>,
        config: RoomConfig,
    ) -> RoomHub {
        RoomHub { deps: Deps { store, data, clock, config }, rooms: Arc::default() }
    }

    /// The room's handle, starting its task if it is not running. Must be
    /// called inside a tokio runtime.
    pub fn room(&self, id: RoomId) -> RoomHandle {
        // The lock is held only for the map update, never across an await.
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.retain(|_, handle| !handle.is_closed());
        rooms.entry(id).or_insert_with(|| room::start(id, self.deps.clone())).clone()
    }

    /// The room's handle if its task is running, without starting it: for
    /// news only a running room needs (one that starts later loads it).
    pub fn running(&self, id: RoomId) -> Option<RoomHandle> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.get(&id).filter(|handle| !handle.is_closed()).cloned()
    }

    /// Joins a room, starting it if needed. A room that stopped between
    /// handing out its handle and the join is started again once.
    pub async fn connect(&self, id: RoomId, identity: Identity) -> Result<Connection, LiveError> {
        let mut last = LiveError::RoomUnavailable(id);
        for _ in 0..2 {
            match self.room(id).connect(identity.clone()).await {
                Err(LiveError::RoomUnavailable(_)) => last = LiveError::RoomUnavailable(id),
                other => return other,
            }
        }
        Err(last)
    }
}
