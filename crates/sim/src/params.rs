//! Every number of the viewer model, with its default. docs/sim.md has a
//! row per field saying where the default comes from; a scenario's
//! `[model]` table overrides any of them by name.
//!
//! Rates are per viewer per second unless the name says otherwise.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    // ---- attention: the chance to leave each second -------------------
    /// Base chance per second that a viewer leaves (1/120).
    pub leave_base: f64,
    /// Multiplier on the leave chance in the first `early_secs` seconds.
    pub early_leave_factor: f64,
    pub early_secs: u32,
    /// Multiplier once a viewer has stayed `settled_secs` seconds.
    pub settled_leave_factor: f64,
    pub settled_secs: u32,
    /// By traffic source: recommendation feed, follower, paid, shared link.
    pub leave_feed: f64,
    pub leave_follower: f64,
    pub leave_paid: f64,
    pub leave_shared: f64,
    /// By device: desktop viewers often keep a room open in the background.
    pub leave_pc: f64,
    /// By run-sheet segment kind.
    pub leave_opening: f64,
    pub leave_product: f64,
    pub leave_interaction: f64,
    pub leave_lottery: f64,
    pub leave_closing: f64,
    /// Card or talk on a product the viewer cares about / does not.
    pub leave_matched: f64,
    pub leave_unmatched: f64,
    /// While a lottery (福袋) the viewer joined is open.
    pub leave_lottery_joined: f64,
    /// While a flash sale runs on a product the viewer is interested in.
    pub leave_flash_sale: f64,
    /// Extra leave chance when the streamer has not interacted for
    /// `quiet_full_secs` seconds (grows linearly up to it).
    pub quiet_extra: f64,
    pub quiet_full_secs: u32,
    /// Per unit of troll toxicity (visible troll comments, decaying).
    pub troll_leave_per_toxicity: f64,
    /// Toxicity kept per second (the rest fades).
    pub toxicity_keep: f64,
    /// Once a viewer's question has waited past their patience.
    pub leave_ignored: f64,
    /// While the stream is down.
    pub leave_stream_down: f64,
    /// A product segment talks about a product whose card is not up.
    pub leave_no_link: f64,
    /// No leave chance is ever above this.
    pub leave_cap: f64,

    // ---- interactions ---------------------------------------------------
    pub like_rate: f64,
    pub like_burst_max: u32,
    pub comment_rate: f64,
    /// Of comments by a viewer interested in the product on the card or in
    /// the talk, the share that are questions.
    pub question_share: f64,
    /// Seconds a question waits for an answer before the viewer gives up
    /// (drawn between these).
    pub patience_min_secs: u32,
    pub patience_max_secs: u32,
    pub follow_rate: f64,
    pub share_rate: f64,
    /// Share of viewers online who join a lottery when it opens.
    pub lottery_join_share: f64,
    /// Seconds between a troll's comments (mean).
    pub troll_comment_every_secs: u32,

    // ---- purchases ------------------------------------------------------
    /// Chance per second to click the product on the card: interested /
    /// not interested viewers, at full talk heat.
    pub click_rate_interested: f64,
    pub click_rate_other: f64,
    /// Clicks on listed products without a card (the 小黄车 bag), per second.
    pub bag_click_rate: f64,
    /// How much heat a product keeps per minute after its talk ends.
    pub heat_keep_per_min: f64,
    /// Heat floor for a card pushed with no talk about it.
    pub heat_floor: f64,
    /// Chance that a click becomes an order when value equals price.
    pub order_base: f64,
    /// Steepness of the value-for-money curve.
    pub value_steepness: f64,
    /// Weight of the list-price anchor (reference price) in perceived value.
    pub anchor_weight: f64,
    /// How much coupons count beyond their money, for price-sensitive viewers.
    pub coupon_bonus: f64,
    /// Multiplier during a flash sale's countdown on its product.
    pub scarcity_flash: f64,
    /// Multiplier when little stock is left (≤ `low_stock_share` of the start).
    pub scarcity_low_stock: f64,
    pub low_stock_share: f64,
    /// Social proof: orders in the last `social_window_secs` seconds add up
    /// to `social_max` extra, half of it at `social_half` orders.
    pub social_max: f64,
    pub social_half: f64,
    pub social_window_secs: u32,
    /// Own question about the product still unanswered / answered.
    pub unanswered_factor: f64,
    pub answered_factor: f64,
    /// Any viewer's order chance for a product whose question was answered
    /// on air within `answer_spillover_secs`.
    pub answer_spillover: f64,
    pub answer_spillover_secs: u32,
    /// Chance a placed order is paid, and the delay (drawn between).
    pub pay_share: f64,
    pub pay_min_secs: u32,
    pub pay_max_secs: u32,
    /// Chance an order is for two units instead of one.
    pub two_units_share: f64,

    // ---- traffic --------------------------------------------------------
    /// Seconds between the platform's reviews of the room's feed tier.
    pub tier_review_secs: u32,
    /// Score targets for one review window, over the viewers it saw (there
    /// at its start or arriving): seconds watched in the window per viewer,
    /// share who interacted, share who ordered. A score above `tier_up` moves a tier up, below
    /// `tier_down` one down.
    pub target_stay_secs: f64,
    pub target_interaction_rate: f64,
    pub target_buyer_rate: f64,
    pub tier_up: f64,
    pub tier_down: f64,
    /// How much a lively room raises the feed's 曝光-进入率 (up to this many
    /// times at 100 comments a minute).
    pub liveliness_boost: f64,
    /// Followers notified at the start: share who come, over this many seconds.
    pub follower_open_share: f64,
    pub follower_arrival_secs: u32,
    /// Entries one share brings, arriving within `share_delay_max_secs`.
    pub entries_per_share: f64,
    pub share_delay_max_secs: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            leave_base: 1.0 / 120.0,
            early_leave_factor: 2.5,
            early_secs: 10,
            settled_leave_factor: 0.6,
            settled_secs: 300,
            leave_feed: 1.2,
            leave_follower: 0.5,
            leave_paid: 1.0,
            leave_shared: 0.7,
            leave_pc: 0.7,
            leave_opening: 1.1,
            leave_product: 1.0,
            leave_interaction: 0.85,
            leave_lottery: 0.9,
            leave_closing: 1.3,
            leave_matched: 0.6,
            leave_unmatched: 1.25,
            leave_lottery_joined: 0.35,
            leave_flash_sale: 0.6,
            quiet_extra: 0.5,
            quiet_full_secs: 600,
            troll_leave_per_toxicity: 0.25,
            toxicity_keep: 0.97,
            leave_ignored: 2.5,
            leave_stream_down: 8.0,
            leave_no_link: 1.5,
            leave_cap: 0.5,

            like_rate: 0.0015,
            like_burst_max: 8,
            comment_rate: 0.0012,
            question_share: 0.45,
            patience_min_secs: 30,
            patience_max_secs: 120,
            follow_rate: 0.0003,
            share_rate: 0.00015,
            lottery_join_share: 0.3,
            troll_comment_every_secs: 12,

            click_rate_interested: 0.01,
            click_rate_other: 0.0012,
            bag_click_rate: 0.00015,
            heat_keep_per_min: 0.6,
            heat_floor: 0.25,
            order_base: 0.18,
            value_steepness: 3.0,
            anchor_weight: 0.35,
            coupon_bonus: 0.5,
            scarcity_flash: 1.4,
            scarcity_low_stock: 1.2,
            low_stock_share: 0.1,
            social_max: 0.3,
            social_half: 5.0,
            social_window_secs: 60,
            unanswered_factor: 0.4,
            answered_factor: 1.3,
            answer_spillover: 1.15,
            answer_spillover_secs: 120,
            pay_share: 0.88,
            pay_min_secs: 5,
            pay_max_secs: 90,
            two_units_share: 0.12,

            tier_review_secs: 300,
            target_stay_secs: 90.0,
            target_interaction_rate: 0.20,
            target_buyer_rate: 0.02,
            tier_up: 1.3,
            tier_down: 0.75,
            liveliness_boost: 1.0,
            follower_open_share: 0.06,
            follower_arrival_secs: 600,
            entries_per_share: 0.4,
            share_delay_max_secs: 300,
        }
    }
}
