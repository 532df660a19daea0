//! What every handler can reach: the store, the clock, the settings, and the
//! few pieces of shared in-memory state.

use std::ops::Deref;
use std::sync::Arc;
use zhibo_domain::Clock;
use zhibo_store::Store;

use crate::auth::limiter::SignInLimiter;
use crate::config::Settings;

/// One address may fail this many times more than one address-and-name.
const ADDRESS_LIMIT_FACTOR: u32 = 4;

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// Failed sign-ins per address and username.
    pub sign_in_limiter: SignInLimiter,
    /// Failed sign-ins per address, whatever the username (a looser limit).
    pub address_limiter: SignInLimiter,
    /// The live rooms (room tasks) and the key signing viewer ids.
    pub live: crate::live_ws::Live,
    /// RTMP ingest and the shows' streams (crate::media), once started.
    pub media: crate::media::Media,
    /// Simulated audiences attached to rooms (crate::sim_audience).
    pub audiences: crate::sim_audience::Audiences,
}

impl AppState {
    pub fn new(settings: Settings, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let (max, window) = (settings.auth.max_failed_sign_ins, settings.auth.failed_sign_in_window_minutes);
        let sign_in_limiter = SignInLimiter::new(max, window);
        let address_limiter = SignInLimiter::new(max.saturating_mul(ADDRESS_LIMIT_FACTOR), window);
        let live = crate::live_ws::Live::new(store.clone(), clock.clone());
        Self(Arc::new(Inner {
            store,
            clock,
            settings,
            sign_in_limiter,
            address_limiter,
            live,
            media: Default::default(),
            audiences: Default::default(),
        }))
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
