//! Comment moderation's pure text rules: how a comment is normalised before
//! the sensitive-word filter looks at it, the shop's word list and mode,
//! which comments count as questions, and the quick answers a product's
//! facts give to a question about size, price, shipping, material or
//! after-sales (J2.4.3). The matcher itself (Aho-Corasick) lives in the
//! live engine; everything here is plain functions on strings.
//!
//! # Normalisation
//!
//! Both the word list and every comment go through [`normalize`], one
//! character at a time, so a word matches however it is dressed up:
//!
//! 1. full-width forms (U+FF01–U+FF5E) become their ASCII twins and the
//!    ideographic space (U+3000) a space: `ＶＸ` → `VX`;
//! 2. case is folded (`char::to_lowercase`): `VX` → `vx`;
//! 3. Latin look-alikes are mapped to one letter each (see
//!    [`LOOK_ALIKES`]): digits and signs that stand for letters (`0`→`o`,
//!    `1`→`i`, `l`→`i`, `3`→`e`, `4`/`@`→`a`, `5`/`$`→`s`, `7`→`t`) and the
//!    Cyrillic and Greek letters drawn like Latin ones (`а е о р с х у`,
//!    `α ο ν`). `1` and `l` both become `i` because each is typed for the
//!    other; the list and the comment are mapped alike, so a word written
//!    with an `l` still matches. Digits or letters standing for Chinese
//!    characters (`v` for 微) are out of scope: put such spellings in the
//!    word list itself;
//! 4. every character that is not a letter or a digit is dropped: spaces,
//!    ASCII and CJK punctuation, symbols and emoji, and zero-width and other
//!    format characters (U+200B–U+200D, U+2060, U+FEFF, soft hyphen), so
//!    `加 微 信`, `加.微.信`, `加\u{200b}微信` and `加★微★信` are all `加微信`.
//!
//! [`Normalized`] remembers for each byte of the normalised text the span of
//! the original character it came from, so a match is reported on the text
//! the viewer actually typed.

use std::fmt;

use crate::catalog::ProductFacts;
use crate::{DomainError, Fen};

/// Most words in one shop's list.
pub const MAX_WORDS: usize = 2_000;
/// Longest word, in characters.
pub const MAX_WORD_CHARS: usize = 30;

/// What a comment that hits the word list becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationMode {
    /// Refused: the sender gets an error, nobody else sees it.
    #[default]
    Block,
    /// Held for review: only the console sees it until approved.
    Hold,
}

impl ModerationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationMode::Block => "block",
            ModerationMode::Hold => "hold",
        }
    }

    pub fn parse(text: &str) -> Result<ModerationMode, DomainError> {
        match text.trim() {
            "block" => Ok(ModerationMode::Block),
            "hold" => Ok(ModerationMode::Hold),
            other => Err(DomainError::new(
                "mode",
                format!("处理方式须为 block 或 hold / mode must be block or hold, not {other:?}"),
            )),
        }
    }
}

impl fmt::Display for ModerationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Latin look-alikes and what each stands for (step 3 of [`normalize`]).
/// Applied after full-width folding and case folding.
pub const LOOK_ALIKES: &[(char, char)] = &[
    ('0', 'o'),
    ('1', 'i'),
    ('l', 'i'),
    ('3', 'e'),
    ('4', 'a'),
    ('@', 'a'),
    ('5', 's'),
    ('$', 's'),
    ('7', 't'),
    // Cyrillic
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('х', 'x'),
    ('у', 'y'),
    ('і', 'i'),
    // Greek
    ('α', 'a'),
    ('ο', 'o'),
    ('ν', 'v'),
];

/// A text after [`normalize`], with the way back to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// For each byte of `text`, the byte range in the original of the
    /// character it came from.
    spans: Vec<(usize, usize)>,
}

impl Normalized {
    /// The byte range in the original text that the normalised byte range
    /// `start..end` came from (spaces or punctuation inside are included).
    pub fn original_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if start >= end || end > self.spans.len() {
            return None;
        }
        Some((self.spans[start].0, self.spans[end - 1].1))
    }
}

/// Folds one character: full width → ASCII, lower case, look-alikes.
/// `None` for what is dropped (not a letter or digit).
fn fold(c: char) -> Option<char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    let c = c.to_lowercase().next().unwrap_or(c);
    let c = LOOK_ALIKES.iter().find(|(from, _)| *from == c).map_or(c, |(_, to)| *to);
    c.is_alphanumeric().then_some(c)
}

/// Normalises a comment or a word (see the module's documentation).
pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut spans = Vec::with_capacity(original.len());
    for (at, c) in original.char_indices() {
        if let Some(folded) = fold(c) {
            let span = (at, at + c.len_utf8());
            text.push(folded);
            spans.extend(std::iter::repeat_n(span, folded.len_utf8()));
        }
    }
    Normalized { text, spans }
}

/// Parses the word list as the shop types it: one word per line, blank
/// lines and repeats (after normalising) dropped. A word must keep at
/// least one letter or digit once normalised.
pub fn parse_word_list(text: &str) -> Result<Vec<String>, DomainError> {
    let mut words: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let word = line.trim();
        if word.is_empty() {
            continue;
        }
        let row = i + 1;
        let chars = word.chars().count();
        if chars > MAX_WORD_CHARS {
            return Err(DomainError::new(
                "words",
                format!(
                    "第 {row} 行太长（{chars} 字，上限 {MAX_WORD_CHARS}） / line {row} too long ({chars} characters, limit {MAX_WORD_CHARS})"
                ),
            ));
        }
        let normalized = normalize(word).text;
        if normalized.is_empty() {
            return Err(DomainError::new(
                "words",
                format!(
                    "第 {row} 行只有标点或空白，过滤不到任何内容 / line {row} has only punctuation or spaces and would match nothing"
                ),
            ));
        }
        if seen.insert(normalized) {
            words.push(word.to_owned());
        }
    }
    if words.len() > MAX_WORDS {
        return Err(DomainError::new("words", format!("敏感词最多 {MAX_WORDS} 个 / at most {MAX_WORDS} words")));
    }
    Ok(words)
}

/// Words that make a comment a question when it contains them. A comment
/// ending in `?` or `？` is a question too. Deliberately broad: a missed
/// question is a viewer left waiting, an extra one costs the assistant a
/// click.
pub const QUESTION_MARKERS: &[&str] =
    &["吗", "嘛", "呢", "多少", "怎么", "几", "有没有", "能不能", "可不可以", "是不是", "哪", "什么", "为啥", "咋"];

/// Whether a comment asks something (see [`QUESTION_MARKERS`]).
pub fn is_question(text: &str) -> bool {
    let text = text.trim();
    if text.ends_with(['?', '？']) {
        return true;
    }
    QUESTION_MARKERS.iter().any(|m| text.contains(m))
}

/// What a question asks about, for a quick answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuickTopic {
    Size,
    Price,
    Shipping,
    Material,
    AfterSales,
}

impl QuickTopic {
    pub fn as_str(self) -> &'static str {
        match self {
            QuickTopic::Size => "size",
            QuickTopic::Price => "price",
            QuickTopic::Shipping => "shipping",
            QuickTopic::Material => "material",
            QuickTopic::AfterSales => "after_sales",
        }
    }
}

/// The words that point a question at a topic, matched on the lower-cased
/// text. A question may touch several topics.
pub const TOPIC_WORDS: &[(QuickTopic, &[&str])] = &[
    (QuickTopic::Size, &["尺码", "尺寸", "码数", "什么码", "多大", "大小", "身高", "体重", "size"]),
    (QuickTopic::Price, &["多少钱", "价格", "价钱", "几块", "怎么卖", "price"]),
    (QuickTopic::Shipping, &["发货", "快递", "物流", "包邮", "几天到", "运费", "shipping"]),
    (QuickTopic::Material, &["材质", "面料", "材料", "成分", "什么料", "material", "fabric"]),
    (QuickTopic::AfterSales, &["售后", "退货", "退换", "换货", "无理由", "保修"]),
];

/// The topics a comment asks about, in [`TOPIC_WORDS`] order.
pub fn quick_topics(text: &str) -> Vec<QuickTopic> {
    let text = text.to_lowercase();
    TOPIC_WORDS.iter().filter(|(_, words)| words.iter().any(|w| text.contains(w))).map(|(t, _)| *t).collect()
}

/// What a product's answer is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct ProductAnswerFacts<'a> {
    pub title: &'a str,
    pub live_price: Fen,
    /// 划线价; 0 when none.
    pub list_price: Fen,
    pub facts: Option<&'a ProductFacts>,
}

/// The suggested answer for one topic, or `None` when the product has no
/// fact to answer it with (an empty material, no shipping hours…).
pub fn quick_answer(topic: QuickTopic, product: ProductAnswerFacts<'_>) -> Option<String> {
    let title = product.title;
    let facts = product.facts;
    match topic {
        QuickTopic::Price => Some(if product.list_price.0 > product.live_price.0 {
            format!("{title} 直播价 {}（划线价 {}）", product.live_price, product.list_price)
        } else {
            format!("{title} 直播价 {}", product.live_price)
        }),
        QuickTopic::Material => {
            let material = facts?.material.trim();
            (!material.is_empty()).then(|| format!("{title} 的材质：{material}"))
        }
        QuickTopic::Size => {
            let rows = facts?.size_chart_rows();
            (!rows.is_empty()).then(|| {
                let lines: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
                format!("{title} 尺码表：{}", lines.join("；"))
            })
        }
        QuickTopic::Shipping => facts?.shipping_hours.map(|h| format!("{title} 付款后 {h} 小时内发货")),
        QuickTopic::AfterSales => {
            let policy = facts?.after_sales.trim();
            (!policy.is_empty()).then(|| format!("{title} 售后：{policy}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn full_width_and_case_fold_to_plain_lower_ascii() {
        assert_eq!(norm("ＶＸ"), "vx");
        assert_eq!(norm("加ＷＸ"), "加wx");
        assert_eq!(norm("QQ"), "qq");
        assert_eq!(norm("加\u{3000}微信"), "加微信");
    }

    #[test]
    fn spacing_punctuation_and_zero_width_are_dropped() {
        for dressed in
            ["加 微 信", "加.微.信", "加\u{200b}微\u{200d}信", "加★微★信", "加、微，信！", "加\u{feff}微\t信"]
        {
            assert_eq!(norm(dressed), "加微信", "{dressed:?}");
        }
        assert_eq!(norm("  "), "");
    }

    #[test]
    fn latin_look_alikes_fold_to_one_letter() {
        assert_eq!(norm("G00GLE"), norm("google"));
        assert_eq!(norm("c0de"), "code");
        assert_eq!(norm("1ink"), norm("link"));
        // Cyrillic о and с in a Latin word
        assert_eq!(norm("vх"), "vx");
        assert_eq!(norm("$ale"), norm("sale"));
    }

    #[test]
    fn the_way_back_points_at_what_was_typed() {
        let original = "快 加 微\u{200b}信 吧";
        let n = normalize(original);
        let start = n.text.find("加微信").unwrap();
        let (a, b) = n.original_range(start, start + "加微信".len()).unwrap();
        assert_eq!(&original[a..b], "加 微\u{200b}信");
        assert_eq!(n.original_range(0, 0), None);
        assert_eq!(n.original_range(0, 999), None);
    }

    #[test]
    fn word_lists_drop_blanks_and_repeats_and_name_bad_rows() {
        let words = parse_word_list("加微信\n\n 私聊 \n加 微 信\n最便宜").unwrap();
        assert_eq!(words, ["加微信", "私聊", "最便宜"]);
        let err = parse_word_list("私聊\n！！\n").unwrap_err();
        assert_eq!(err.field, "words");
        assert!(err.message.contains("第 2 行"), "{}", err.message);
        assert!(parse_word_list(&"长".repeat(31)).unwrap_err().message.contains("第 1 行"));
        assert_eq!(ModerationMode::parse("hold").unwrap(), ModerationMode::Hold);
        assert_eq!(ModerationMode::parse("drop").unwrap_err().field, "mode");
    }

    #[test]
    fn questions_are_recognised() {
        for q in ["这个是什么材质？", "有灰色吗", "多少钱", "怎么买", "几号发货", "能不能便宜点", "ok?", "哪里发货"]
        {
            assert!(is_question(q), "{q:?}");
        }
        for not in ["好看", "已下单", "主播好美！", "666"] {
            assert!(!is_question(not), "{not:?}");
        }
    }

    #[test]
    fn topics_and_answers_come_from_the_facts() {
        assert_eq!(quick_topics("这个是什么材质？"), [QuickTopic::Material]);
        assert_eq!(quick_topics("多少钱，包邮吗"), [QuickTopic::Price, QuickTopic::Shipping]);
        assert_eq!(quick_topics("What SIZE?"), [QuickTopic::Size]);
        assert!(quick_topics("好看").is_empty());
        let facts = ProductFacts {
            material: "100%羊毛".into(),
            size_chart: "尺码|长度\n均码|180cm".into(),
            shipping_hours: Some(48),
            after_sales: String::new(),
        };
        let p = ProductAnswerFacts {
            title: "羊毛围巾",
            live_price: Fen(7_900),
            list_price: Fen(12_900),
            facts: Some(&facts),
        };
        assert_eq!(quick_answer(QuickTopic::Material, p).unwrap(), "羊毛围巾 的材质：100%羊毛");
        assert_eq!(quick_answer(QuickTopic::Size, p).unwrap(), "羊毛围巾 尺码表：尺码 长度；均码 180cm");
        assert_eq!(quick_answer(QuickTopic::Shipping, p).unwrap(), "羊毛围巾 付款后 48 小时内发货");
        assert_eq!(quick_answer(QuickTopic::Price, p).unwrap(), "羊毛围巾 直播价 ¥79.00（划线价 ¥129.00）");
        assert_eq!(quick_answer(QuickTopic::AfterSales, p), None);
        let bare = ProductAnswerFacts { facts: None, ..p };
        assert_eq!(quick_answer(QuickTopic::Material, bare), None);
    }
}
