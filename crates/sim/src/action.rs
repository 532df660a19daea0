//! The model's inputs and outputs as values.
//!
//! Inputs: what the operator does ([`OperatorAction`]) and what goes wrong
//! ([`Incident`]), each applied at a second of the show. Outputs: what
//! simulated viewers do ([`Happening`]). Headless, the runner feeds the
//! scenario's script; attached to a room later, the same inputs come from
//! the room's events and the outputs become the room's client messages.

use zhibo_domain::Fen;

use crate::persona::Persona;

/// A room action of the operator (products are indexes into the scenario's
/// product list).
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorAction {
    PushCard {
        product: usize,
    },
    UnpushCard,
    SetPrice {
        product: usize,
        price: Fen,
    },
    /// A coupon every viewer can claim: `off` fen off an order of at least
    /// `min_price`, on one product or (None) all, for `secs` seconds.
    Coupon {
        product: Option<usize>,
        off: Fen,
        min_price: Fen,
        secs: u32,
    },
    /// A lottery (福袋) open for `secs` seconds, drawn when it closes.
    Lottery {
        secs: u32,
        require_follow: bool,
    },
    /// `units` at `price` for `secs` seconds with a countdown.
    FlashSale {
        product: usize,
        price: Fen,
        units: u32,
        secs: u32,
    },
    /// A question (by its comment number) answered on air.
    Answer {
        comment: u64,
    },
    /// A viewer muted: their comments reach no one else.
    Mute {
        viewer: u64,
    },
}

/// Something going wrong during the show (a crisis drill).
#[derive(Debug, Clone, PartialEq)]
pub enum Incident {
    /// The stream is down for `secs` seconds: nobody new arrives, viewers leave.
    StreamDrop { secs: u32 },
    /// The product's link fails for `secs` seconds: clicks do not open it.
    DeadLink { product: usize, secs: u32 },
    /// The product's price is set wrong by mistake (the operator must fix it).
    WrongPrice { product: usize, price: Fen },
    /// This many trolls arrive within half a minute.
    TrollWave { trolls: u32 },
    /// The product sells out.
    StockOut { product: usize },
    /// The feed sends `factor` times its traffic for `secs` seconds.
    TrafficSurge { factor: f64, secs: u32 },
}

impl Incident {
    pub fn kind(&self) -> &'static str {
        match self {
            Incident::StreamDrop { .. } => "stream_drop",
            Incident::DeadLink { .. } => "dead_link",
            Incident::WrongPrice { .. } => "wrong_price",
            Incident::TrollWave { .. } => "troll_wave",
            Incident::StockOut { .. } => "stock_out",
            Incident::TrafficSurge { .. } => "traffic_surge",
        }
    }
}

/// How a viewer came to the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The platform's recommendation feed.
    Feed,
    /// A follower notified that the show started.
    Follower,
    /// Paid traffic (千川/DOU+-style), bought with the budget.
    Paid,
    /// A link a viewer shared.
    Shared,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Feed, Source::Follower, Source::Paid, Source::Shared];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Feed => "feed",
            Source::Follower => "follower",
            Source::Paid => "paid",
            Source::Shared => "shared",
        }
    }
}

/// Why a viewer comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Intent {
    AskPrice,
    AskSize,
    AskShipping,
    AskMaterial,
    Praise,
    /// The talk is about a product whose link is not up.
    NoLink,
    TooExpensive,
    /// Their question went unanswered.
    Ignored,
    /// The stream stutters or dropped.
    Lag,
    LinkBroken,
    SoldOut,
    Troll,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::AskPrice => "question.price",
            Intent::AskSize => "question.size",
            Intent::AskShipping => "question.shipping",
            Intent::AskMaterial => "question.material",
            Intent::Praise => "praise",
            Intent::NoLink => "complaint.no_link",
            Intent::TooExpensive => "complaint.price",
            Intent::Ignored => "complaint.ignored",
            Intent::Lag => "complaint.lag",
            Intent::LinkBroken => "complaint.link",
            Intent::SoldOut => "complaint.sold_out",
            Intent::Troll => "troll",
        }
    }

    pub fn is_question(self) -> bool {
        matches!(self, Intent::AskPrice | Intent::AskSize | Intent::AskShipping | Intent::AskMaterial)
    }
}

/// One thing a simulated viewer (or the platform) did in a second.
#[derive(Debug, Clone, PartialEq)]
pub struct Happening {
    /// The simulated viewer, numbered from 1; 0 for the platform itself.
    pub viewer: u64,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    Entered {
        source: Source,
        persona: Persona,
    },
    Left {
        stayed_s: u32,
    },
    Comment {
        id: u64,
        intent: Intent,
        text: &'static str,
        product: Option<usize>,
        muted: bool,
    },
    Like {
        count: u32,
    },
    Follow,
    Share,
    LotteryJoined {
        lottery: u32,
    },
    Clicked {
        product: usize,
        opened: bool,
    },
    OrderPlaced {
        order: u64,
        product: usize,
        units: u32,
        unit_price: Fen,
        coupon: Fen,
        amount: Fen,
    },
    OrderPaid {
        order: u64,
        product: usize,
        amount: Fen,
    },
    /// The platform drew a lottery's winners (viewer numbers).
    LotteryDrawn {
        lottery: u32,
        winners: Vec<u64>,
        entrants: usize,
    },
    /// Paid traffic bought in the last minute.
    TrafficSpent {
        amount: Fen,
        entries: u32,
    },
    /// The platform moved the room to another feed tier.
    TierChanged {
        from: usize,
        to: usize,
        score: f64,
    },
}
