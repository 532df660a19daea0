//! Per-viewer rate limits on the room's clock: at most one comment per
//! interval, and at most so many likes per clock second. Kept by the room
//! task (plain values, no locks).

use std::collections::HashMap;
use zhibo_domain::Timestamp;
use zhibo_domain::event::Actor;

/// How often one viewer may comment and like.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Milliseconds between two comments of one viewer.
    pub comment_interval_ms: i64,
    /// Likes one viewer may send within one second of the clock.
    pub likes_per_second: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { comment_interval_ms: 2_000, likes_per_second: 20 }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct ViewerWindow {
    last_comment: Option<Timestamp>,
    like_second: i64,
    likes_in_second: u32,
}

/// The room's record of what each viewer did lately.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: RateLimits,
    viewers: HashMap<Actor, ViewerWindow>,
    /// Open connections per actor, so a leave knows whether it was the
    /// actor's last without scanning every connection of the room (with
    /// 20,000 viewers leaving, a scan each made the room's task quadratic).
    connections: HashMap<Actor, u32>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self { limits, viewers: HashMap::new(), connections: HashMap::new() }
    }

    /// Counts a connection of `who` (any kind: viewer or console).
    pub fn connected(&mut self, who: &Actor) {
        *self.connections.entry(who.clone()).or_default() += 1;
    }

    /// Counts a connection of `who` gone; `true` when it was their last.
    pub fn disconnected(&mut self, who: &Actor) -> bool {
        match self.connections.get_mut(who) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                self.connections.remove(who);
                true
            }
        }
    }

    /// `Ok` and counts the comment, or `Err(ms to wait)`.
    pub fn comment(&mut self, who: &Actor, now: Timestamp) -> Result<(), i64> {
        let w = self.viewers.entry(who.clone()).or_default();
        if let Some(last) = w.last_comment {
            let wait = last.millis() + self.limits.comment_interval_ms - now.millis();
            if wait > 0 {
                return Err(wait);
            }
        }
        w.last_comment = Some(now);
        Ok(())
    }

    /// `Ok` and counts `count` likes, or `Err(likes still allowed this second)`.
    pub fn likes(&mut self, who: &Actor, count: u32, now: Timestamp) -> Result<(), u32> {
        let w = self.viewers.entry(who.clone()).or_default();
        let second = now.millis().div_euclid(1000);
        if w.like_second != second {
            w.like_second = second;
            w.likes_in_second = 0;
        }
        let left = self.limits.likes_per_second.saturating_sub(w.likes_in_second);
        if count > left {
            return Err(left);
        }
        w.likes_in_second += count;
        Ok(())
    }

    /// Forgets a viewer who left, so the table does not grow with every
    /// passer-by. A viewer who reconnects at once gets a fresh window,
    /// which costs one reconnect per extra comment: not worth guarding.
    pub fn forget(&mut self, who: &Actor) {
        self.viewers.remove(who);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_comment_per_interval_and_likes_per_second() {
        let mut r = RateLimiter::new(RateLimits::default());
        let v = Actor::Viewer("a".into());
        let t = Timestamp(10_000);
        assert!(r.comment(&v, t).is_ok());
        assert_eq!(r.comment(&v, t.plus_millis(500)), Err(1_500));
        assert!(r.comment(&v, t.plus_millis(2_000)).is_ok());
        assert!(r.likes(&v, 15, t).is_ok());
        assert_eq!(r.likes(&v, 6, t.plus_millis(999)), Err(5));
        assert!(r.likes(&v, 20, t.plus_millis(1_000)).is_ok());
    }

    #[test]
    fn the_last_connection_of_an_actor_is_known() {
        let mut r = RateLimiter::new(RateLimits::default());
        let (a, b) = (Actor::Viewer("a".into()), Actor::Viewer("b".into()));
        r.connected(&a);
        r.connected(&a);
        r.connected(&b);
        assert!(!r.disconnected(&a));
        assert!(r.disconnected(&b));
        assert!(r.disconnected(&a));
        assert!(r.connections.is_empty());
    }
}
