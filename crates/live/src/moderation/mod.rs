//! Comment moderation in a live room: the shop's sensitive-word filter
//! ([`filter`]) and what a hit does (blocked, or held for the console to
//! approve or reject), the question queue ([`questions`]) and the quick
//! answers offered for a question from the product's facts (J2.4.3).
//!
//! This module holds the state and decides; the room task (room.rs) logs
//! the events and sends the frames. Everything it sends goes to console
//! connections only, except an approved comment and a reply to a question,
//! which go to everyone. The text rules (normalisation, what a question
//! is, the topics and answers) are the domain's
//! ([`zhibo_domain::moderation`]).

pub mod filter;
pub mod questions;

use bytes::Bytes;
use serde::Serialize;
use std::collections::BTreeMap;
use zhibo_domain::moderation::{ModerationMode, ProductAnswerFacts, is_question, quick_answer, quick_topics};
use zhibo_domain::{ProductId, Timestamp};

use crate::data::{LineupEntry, ModerationSettings};
use crate::protocol::{self, CommentView};
pub use filter::{Hit, WordFilter};
pub use questions::{Question, QuestionQueue, Suggestion};

/// Held comments kept at most; beyond this the oldest is dropped unseen
/// (it was never shown, so dropping it only loses a review).
pub const MAX_HELD: usize = 200;

/// What the filter says about a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Pass,
    /// Refuse it: an error to the sender, `comment.blocked` in the log.
    Block(Vec<Hit>),
    /// Keep it for review: `comment.held`, shown to consoles only.
    Hold(Vec<Hit>),
}

/// A comment waiting for a console to approve or reject it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldComment {
    /// The sequence number of its `comment.held` event; an approved
    /// comment keeps it as its id.
    pub id: u64,
    pub viewer: String,
    pub name: String,
    pub text: String,
    /// The listed words it hit.
    pub words: Vec<String>,
    pub held_at: Timestamp,
}

/// Frames only consoles receive, plus `reply`, which everyone does.
/// Console frames are standalone (`{"v":1,...}`) on each console's own
/// channel; `reply` goes out in the room's batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModerationFrame {
    /// The whole moderation state, right after a console's snapshot.
    Moderation {
        mode: ModerationMode,
        /// How many words the filter holds.
        words: usize,
        held: Vec<HeldComment>,
        questions: Vec<Question>,
        /// The room's clock when sent, to time the waits against.
        now: Timestamp,
    },
    CommentHeld(HeldComment),
    HeldResolved {
        id: u64,
        approved: bool,
    },
    QuestionAsked(Question),
    QuestionAnswered {
        comment: u64,
        reply: Option<String>,
    },
    /// A console's answer to a question, for everyone, shown pinned-style
    /// with the question it answers.
    Reply {
        comment: u64,
        name: String,
        question: String,
        text: String,
    },
}

impl ModerationFrame {
    pub fn to_bytes(&self) -> Bytes {
        protocol::single(self)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// A room's moderation state.
#[derive(Debug, Clone, Default)]
pub struct Moderation {
    pub mode: ModerationMode,
    pub filter: WordFilter,
    held: BTreeMap<u64, HeldComment>,
    pub questions: QuestionQueue,
}

impl Moderation {
    pub fn new(settings: &ModerationSettings) -> Moderation {
        Moderation { mode: settings.mode, filter: WordFilter::new(&settings.words), ..Moderation::default() }
    }

    /// Runs the word filter over a comment.
    pub fn screen(&self, text: &str) -> Screen {
        let hits = self.filter.hits(text);
        match (hits.is_empty(), self.mode) {
            (true, _) => Screen::Pass,
            (false, ModerationMode::Block) => Screen::Block(hits),
            (false, ModerationMode::Hold) => Screen::Hold(hits),
        }
    }

    pub fn hold(&mut self, held: HeldComment) {
        self.held.insert(held.id, held);
        while self.held.len() > MAX_HELD {
            self.held.pop_first();
        }
    }

    /// Takes a held comment for approval or rejection.
    pub fn release(&mut self, id: u64) -> Option<HeldComment> {
        self.held.remove(&id)
    }

    /// The state frame a console gets after its snapshot.
    pub fn state_frame(&self, now: Timestamp) -> ModerationFrame {
        ModerationFrame::Moderation {
            mode: self.mode,
            words: self.filter.len(),
            held: self.held.values().cloned().collect(),
            questions: self.questions.waiting().cloned().collect(),
            now,
        }
    }

    /// If a shown comment is a question, queues it (with its quick
    /// answers) and returns it for the consoles.
    pub fn observe(
        &mut self,
        comment: &CommentView,
        asked_at: Timestamp,
        card: Option<ProductId>,
        lineup: &[LineupEntry],
    ) -> Option<Question> {
        if !is_question(&comment.text) {
            return None;
        }
        let question = Question {
            comment: comment.id,
            viewer: comment.viewer.clone(),
            name: comment.name.clone(),
            text: comment.text.clone(),
            asked_at,
            suggestions: suggestions(&comment.text, card, lineup),
        };
        self.questions.ask(question.clone());
        Some(question)
    }
}

/// Quick answers for a question: from the lineup product it names (the
/// longest title found in it), else from the card being presented; one per
/// topic the question asks about that the product has a fact for.
pub fn suggestions(text: &str, card: Option<ProductId>, lineup: &[LineupEntry]) -> Vec<Suggestion> {
    let topics = quick_topics(text);
    if topics.is_empty() {
        return Vec::new();
    }
    let named = lineup
        .iter()
        .filter(|e| !e.title.trim().is_empty() && text.contains(e.title.trim()))
        .max_by_key(|e| e.title.trim().chars().count());
    let Some(entry) = named.or_else(|| card.and_then(|p| lineup.iter().find(|e| e.product == p))) else {
        return Vec::new();
    };
    let facts = ProductAnswerFacts {
        title: &entry.title,
        live_price: entry.live_price,
        list_price: entry.list_price,
        facts: entry.facts.as_ref(),
    };
    topics
        .into_iter()
        .filter_map(|topic| {
            quick_answer(topic, facts).map(|text| Suggestion { topic: topic.as_str(), product: entry.product, text })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::Fen;
    use zhibo_domain::catalog::ProductFacts;

    fn entry(id: i64, title: &str, material: &str) -> LineupEntry {
        LineupEntry {
            product: ProductId(id),
            title: title.into(),
            price: Fen(100),
            list_price: Fen(0),
            live_price: Fen(80),
            stock: 1,
            listed: true,
            facts: Some(ProductFacts { material: material.into(), ..ProductFacts::default() }),
        }
    }

    #[test]
    fn answers_come_from_the_named_product_else_the_card() {
        let lineup = [entry(1, "羊毛围巾", "羊毛"), entry(2, "保温杯", "304不锈钢")];
        let from_card = suggestions("这个是什么材质？", Some(ProductId(1)), &lineup);
        assert_eq!(from_card.len(), 1);
        assert_eq!((from_card[0].topic, from_card[0].product), ("material", ProductId(1)));
        assert!(from_card[0].text.contains("羊毛"));
        let named = suggestions("保温杯什么材质", Some(ProductId(1)), &lineup);
        assert_eq!(named[0].product, ProductId(2));
        assert!(suggestions("这个是什么材质？", None, &lineup).is_empty());
        assert!(suggestions("好看吗", Some(ProductId(1)), &lineup).is_empty());
    }

    #[test]
    fn the_mode_decides_what_a_hit_becomes() {
        let words = vec!["加微信".to_owned()];
        let block = Moderation::new(&ModerationSettings { mode: ModerationMode::Block, words: words.clone() });
        assert!(matches!(block.screen("加 微 信"), Screen::Block(h) if h[0].word == "加微信"));
        assert_eq!(block.screen("好看"), Screen::Pass);
        let hold = Moderation::new(&ModerationSettings { mode: ModerationMode::Hold, words });
        assert!(matches!(hold.screen("加微信"), Screen::Hold(_)));
    }
}
