//! What the room puts in front of viewers besides the card and the topic:
//! the welcome line when viewers enter (欢迎语, from a template the console
//! sets), the console's own lineup order (手动排序) and the pinned comment
//! (置顶评论).
//!
//! The rules live here and need no room: what a template may be, how one
//! tick's arrivals become one line (a busy room must not flood its comment
//! stream with a line per viewer), the frames. The room's glue
//! (`room/presentation.rs`) keeps the state, logs and sends.

use serde::Serialize;
use zhibo_domain::ProductId;

use crate::protocol::{ClientMessage, CommentView, ProtocolError, text_field};

/// The welcome template a room starts with.
pub const DEFAULT_WELCOME: &str = "欢迎 {name} 来到直播间";
/// Where the arrivals' names go in a template.
pub const NAME_PLACEHOLDER: &str = "{name}";
/// Longest welcome template, in characters (the line must fit a phone).
pub const MAX_WELCOME_CHARS: usize = 40;
/// Names one welcome line spells out; further arrivals of the same tick are
/// counted ("欢迎 A、B、C 等 12 人").
pub const WELCOME_NAMES: usize = 3;

/// The field rules of the presentation messages that need no room state.
pub(crate) fn check(message: &ClientMessage) -> Result<(), ProtocolError> {
    match message {
        ClientMessage::SetWelcome { template } => check_template(template),
        _ => Ok(()),
    }
}

/// A welcome template: 1–40 characters on one line, holding `{name}`
/// exactly once (the line must say who came, and say it once).
pub fn check_template(template: &str) -> Result<(), ProtocolError> {
    text_field("template", template, MAX_WELCOME_CHARS)?;
    if template.chars().any(char::is_control) {
        return Err(ProtocolError::field(
            "template",
            "欢迎语不能含换行或控制字符 / template must not hold line breaks or control characters",
        ));
    }
    if template.matches(NAME_PLACEHOLDER).count() != 1 {
        return Err(ProtocolError::field(
            "template",
            "欢迎语须含且只含一个 {name}（观众昵称的位置） / template must hold {name} (where the viewer's name goes) exactly once",
        ));
    }
    Ok(())
}

/// The line for one tick's arrivals: `names` are the first few of the
/// `count` viewers who entered; the rest are counted, not named.
pub fn welcome_line(template: &str, names: &[String], count: u64) -> String {
    let named = names.join("、");
    let who = if count > names.len() as u64 { format!("{named} 等 {count} 人") } else { named };
    template.replacen(NAME_PLACEHOLDER, &who, 1)
}

/// Viewers who entered since the last welcome line: the first few by
/// connection (their name is read when the line is made, so a `hello`
/// right after entering counts) and how many in all.
#[derive(Debug, Default)]
pub(crate) struct Arrivals {
    first: Vec<(u64, String)>,
    count: u64,
}

impl Arrivals {
    pub(crate) fn entered(&mut self, conn: u64, name: &str) {
        self.count += 1;
        if self.first.len() < WELCOME_NAMES {
            self.first.push((conn, name.to_owned()));
        }
    }

    /// Who to name (connection, name at entry) and how many entered; empties
    /// the list. `None` when nobody entered.
    pub(crate) fn take(&mut self) -> Option<(Vec<(u64, String)>, u64)> {
        if self.count == 0 {
            return None;
        }
        let count = std::mem::take(&mut self.count);
        Some((std::mem::take(&mut self.first), count))
    }
}

/// The lineup's order after moving the product at `from` to `to` (both
/// indexes into `order`, already checked).
pub fn moved(order: &[ProductId], from: usize, to: usize) -> Vec<ProductId> {
    let mut next = order.to_vec();
    let product = next.remove(from);
    next.insert(to, product);
    next
}

/// The frames of this module (docs/protocol.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PresentationFrame {
    /// Everyone, in the tick's batch: who just entered, as one line.
    Welcome { text: String, names: Vec<String>, count: u64 },
    /// Everyone: the whole lineup, first to last, after a console moved a
    /// product (the bag shows the listed ones in this order).
    LineupReordered { products: Vec<ProductId> },
    /// Everyone: the pinned comment, or `null` once unpinned.
    PinnedComment { comment: Option<CommentView> },
    /// Consoles, standalone: the welcome template now in use.
    WelcomeTemplate { template: String },
}

impl PresentationFrame {
    /// The frame's JSON, for a batch.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// What the snapshot carries of this module.
#[derive(Debug, Serialize)]
pub(crate) struct Snapshot<'a> {
    pub pinned_comment: &'a Option<CommentView>,
    pub welcome_template: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_line_names_the_first_arrivals_and_counts_the_rest() {
        assert_eq!(welcome_line(DEFAULT_WELCOME, &names(&["小王"]), 1), "欢迎 小王 来到直播间");
        assert_eq!(welcome_line(DEFAULT_WELCOME, &names(&["A", "B"]), 2), "欢迎 A、B 来到直播间");
        assert_eq!(welcome_line("{name}，欢迎！", &names(&["A", "B", "C"]), 12), "A、B、C 等 12 人，欢迎！");
        // A name that looks like a placeholder is not expanded again.
        assert_eq!(welcome_line("hi {name}", &names(&["{name}"]), 1), "hi {name}");
    }

    #[test]
    fn arrivals_keep_the_first_few_and_count_all() {
        let mut a = Arrivals::default();
        assert!(a.take().is_none());
        for i in 0..5 {
            a.entered(i, &format!("v{i}"));
        }
        let (first, count) = a.take().unwrap();
        assert_eq!(count, 5);
        assert_eq!(first.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(a.take().is_none(), "taken once");
    }

    #[test]
    fn templates_must_name_the_viewer_once_on_one_short_line() {
        assert!(check_template(DEFAULT_WELCOME).is_ok());
        assert!(check_template("{name} 来啦").is_ok());
        for bad in ["", "   ", "欢迎光临", "{name} 和 {name}", "欢迎\n{name}", &format!("{{name}}{}", "长".repeat(40))]
        {
            let e = check_template(bad).unwrap_err();
            assert_eq!(e.field, Some("template"), "{bad:?}");
            assert!(e.message.contains(" / "), "bilingual: {}", e.message);
        }
    }

    #[test]
    fn a_move_puts_the_product_at_the_position() {
        let order = [ProductId(1), ProductId(2), ProductId(3), ProductId(4)];
        assert_eq!(moved(&order, 3, 0), [ProductId(4), ProductId(1), ProductId(2), ProductId(3)]);
        assert_eq!(moved(&order, 0, 3), [ProductId(2), ProductId(3), ProductId(4), ProductId(1)]);
        assert_eq!(moved(&order, 1, 2), [ProductId(1), ProductId(3), ProductId(2), ProductId(4)]);
        assert_eq!(moved(&order, 2, 2), order);
    }
}
