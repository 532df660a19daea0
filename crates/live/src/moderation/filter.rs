//! The sensitive-word filter: an Aho-Corasick automaton (leftmost-longest)
//! over the shop's word list, run on comments after the domain's
//! [`normalize`], with each hit reported on the text the viewer typed.
//!
//! Leftmost-longest so that of two overlapping words (`微信` and `加微信`)
//! the longer is the one reported; the words are normalised exactly as the
//! comments are, so `加 微 信` in the list is the same word as `加微信`.

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;
use zhibo_domain::moderation::normalize;

/// One word found in a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The word as the shop wrote it in the list.
    pub word: String,
    /// What in the comment matched it, as typed (spaces and tricks included).
    pub found: String,
}

/// The compiled word list. Built once when the room starts.
#[derive(Debug, Clone, Default)]
pub struct WordFilter {
    automaton: Option<AhoCorasick>,
    /// The listed words, by automaton pattern index.
    words: Vec<String>,
}

impl WordFilter {
    /// Compiles the list; words that normalise to nothing are skipped (the
    /// edit page refuses them, this keeps an old row from matching
    /// everything).
    pub fn new(words: &[String]) -> WordFilter {
        let (words, patterns): (Vec<String>, Vec<String>) = words
            .iter()
            .map(|w| (w.clone(), normalize(w).text))
            .filter(|(_, normalized)| !normalized.is_empty())
            .unzip();
        if patterns.is_empty() {
            return WordFilter::default();
        }
        match AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&patterns) {
            Ok(automaton) => WordFilter { automaton: Some(automaton), words },
            Err(error) => {
                // Only an automaton too big for memory fails to build; a
                // room without a filter is logged loudly rather than down.
                tracing::error!(%error, "sensitive-word automaton not built");
                WordFilter::default()
            }
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words in `text`, leftmost first, none overlapping.
    pub fn hits(&self, text: &str) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else { return Vec::new() };
        let normalized = normalize(text);
        automaton
            .find_iter(&normalized.text)
            .filter_map(|m| {
                let (start, end) = normalized.original_range(m.start(), m.end())?;
                Some(Hit { word: self.words[m.pattern().as_usize()].clone(), found: text[start..end].to_owned() })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(words: &[&str]) -> WordFilter {
        WordFilter::new(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn finds_dressed_up_words_and_reports_them_as_typed() {
        let f = filter(&["加微信", "私聊", "VX"]);
        assert_eq!(f.len(), 3);
        let hits = f.hits("想要的 加 微\u{200b}信 或者私.聊我，ｖｘ也行");
        let found: Vec<(&str, &str)> = hits.iter().map(|h| (h.word.as_str(), h.found.as_str())).collect();
        assert_eq!(found, [("加微信", "加 微\u{200b}信"), ("私聊", "私.聊"), ("VX", "ｖｘ")]);
        assert!(f.hits("这条围巾好看").is_empty());
    }

    #[test]
    fn the_longest_overlapping_word_wins() {
        let f = filter(&["微信", "加微信"]);
        let hits = f.hits("加微信");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].word, "加微信");
    }

    #[test]
    fn an_empty_list_or_blank_words_match_nothing() {
        assert!(filter(&[]).hits("加微信").is_empty());
        let f = filter(&["！！", " "]);
        assert!(f.is_empty());
        assert!(f.hits("anything").is_empty());
    }
}
