//! The question queue: comments recognised as questions
//! ([`zhibo_domain::moderation::is_question`]) stay listed for the console,
//! oldest first, until someone answers them. Each carries when it was asked
//! (the room's clock) so the console can show how long it has waited, and
//! the quick answers drawn from the product it is about.

use serde::Serialize;
use std::collections::BTreeMap;
use zhibo_domain::{ProductId, Timestamp};

/// Questions kept waiting at most; beyond this the oldest drops off (a
/// console that never answers must not grow the room's memory forever).
pub const MAX_WAITING: usize = 200;

/// A suggested answer for the console (J2.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// `size`, `price`, `shipping`, `material` or `after_sales`.
    pub topic: &'static str,
    pub product: ProductId,
    pub text: String,
}

/// One waiting question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// The comment's id (its sequence number in the log).
    pub comment: u64,
    pub viewer: String,
    pub name: String,
    pub text: String,
    pub asked_at: Timestamp,
    pub suggestions: Vec<Suggestion>,
}

/// The waiting questions, by comment id (which is log order).
#[derive(Debug, Clone, Default)]
pub struct QuestionQueue {
    waiting: BTreeMap<u64, Question>,
}

impl QuestionQueue {
    /// Adds a question; the oldest is dropped past [`MAX_WAITING`].
    pub fn ask(&mut self, question: Question) {
        self.waiting.insert(question.comment, question);
        while self.waiting.len() > MAX_WAITING {
            self.waiting.pop_first();
        }
    }

    /// Takes a question off the queue once answered.
    pub fn answer(&mut self, comment: u64) -> Option<Question> {
        self.waiting.remove(&comment)
    }

    /// A question hidden from the room leaves the queue too.
    pub fn forget(&mut self, comment: u64) {
        self.waiting.remove(&comment);
    }

    pub fn get(&self, comment: u64) -> Option<&Question> {
        self.waiting.get(&comment)
    }

    /// Oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = &Question> {
        self.waiting.values()
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(comment: u64) -> Question {
        Question {
            comment,
            viewer: "viewer:a".into(),
            name: "a".into(),
            text: "多少钱？".into(),
            asked_at: Timestamp(comment as i64),
            suggestions: Vec::new(),
        }
    }

    #[test]
    fn questions_wait_oldest_first_until_answered() {
        let mut queue = QuestionQueue::default();
        queue.ask(q(9));
        queue.ask(q(4));
        assert_eq!(queue.waiting().map(|q| q.comment).collect::<Vec<_>>(), [4, 9]);
        assert_eq!(queue.answer(4).map(|q| q.comment), Some(4));
        assert_eq!(queue.answer(4), None);
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut queue = QuestionQueue::default();
        for i in 0..(MAX_WAITING as u64 + 5) {
            queue.ask(q(i));
        }
        assert_eq!(queue.len(), MAX_WAITING);
        assert!(queue.get(0).is_none());
        assert!(queue.get(MAX_WAITING as u64 + 4).is_some());
    }
}
