//! Matching a file's header row to the columns an importer expects.
//!
//! People rename, translate and decorate headers: "标题", "Title",
//! "标题 title", "标题（title）", "标题*" (a required marker), full-width
//! letters from a Chinese input method. Headers are compared after
//! folding width and case and dropping spaces and separators, and a
//! bilingual header answers to either of its halves. Anything that matches
//! no expected column, two of them, or one already taken is reported by
//! name, as is a required column that is missing: a typo must never make a
//! column's data silently disappear.

use crate::cell::Cell;
use crate::error::SheetIssue;
use crate::table::{Row, Table, column_letter};

/// A column an importer expects. `key` is the importer's own name for it;
/// `zh` and `en` are what people may write in the header (either, or both
/// as "zh en", which is what [`HeaderSpec::label`] writes on export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSpec {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

impl HeaderSpec {
    pub const fn required(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        HeaderSpec { key, zh, en, required: true }
    }

    pub const fn optional(key: &'static str, zh: &'static str, en: &'static str) -> Self {
        HeaderSpec { key, zh, en, required: false }
    }

    /// The bilingual header an export writes, e.g. "标题 title"; an import
    /// of that export matches it back.
    pub fn label(&self) -> String {
        format!("{} {}", self.zh, self.en)
    }

    fn aliases(&self) -> [String; 5] {
        let (key, zh, en) = (header_keys(self.key).whole, header_keys(self.zh).whole, header_keys(self.en).whole);
        [format!("{zh}{en}"), format!("{en}{zh}"), key, zh, en]
    }
}

/// The header row for an export: every spec's [`HeaderSpec::label`].
pub fn header_labels(specs: &[HeaderSpec]) -> Vec<String> {
    specs.iter().map(HeaderSpec::label).collect()
}

/// Where each expected column is in a particular file, and what its header
/// says there (so messages quote the file, not the template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    columns: Vec<Mapped>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapped {
    key: &'static str,
    label: String,
    found: Option<(usize, String)>,
}

impl HeaderMap {
    /// The column index for a key; `None` for an optional column the file
    /// does not have (or a key no spec declared).
    pub fn get(&self, key: &str) -> Option<usize> {
        self.mapped(key).and_then(|m| m.found.as_ref()).map(|(column, _)| *column)
    }

    /// The row's cell for a key; [`Cell::Empty`] when the column is absent.
    pub fn cell<'r>(&self, row: &'r Row, key: &str) -> &'r Cell {
        static EMPTY: Cell = Cell::Empty;
        self.get(key).map_or(&EMPTY, |column| row.cell(column))
    }

    /// The column's name for messages: its header as the file has it, or
    /// the spec's label when the file lacks the column.
    pub fn column_name(&self, key: &str) -> String {
        match self.mapped(key) {
            Some(Mapped { found: Some((_, header)), .. }) => header.clone(),
            Some(Mapped { label, .. }) => label.clone(),
            None => key.to_owned(),
        }
    }

    /// An issue about a key's cell in a row, naming the column as the file
    /// does.
    pub fn issue(&self, row: &Row, key: &str, message: impl std::fmt::Display) -> SheetIssue {
        SheetIssue::new(row.number, Some(&self.column_name(key)), message)
    }

    fn mapped(&self, key: &str) -> Option<&Mapped> {
        self.columns.iter().find(|m| m.key == key)
    }
}

/// Matches the table's headers to `specs`. Every problem is reported, each
/// on the header row and naming the column: a required column missing, a
/// header that matches no spec (unknown) or two, two headers for one spec
/// (duplicate), and a column with values but a blank header. A blank
/// header over an empty column is ignored.
pub fn map_headers(table: &Table, specs: &[HeaderSpec]) -> Result<HeaderMap, Vec<SheetIssue>> {
    let aliases: Vec<[String; 5]> = specs.iter().map(HeaderSpec::aliases).collect();
    let mut found: Vec<Option<(usize, String)>> = vec![None; specs.len()];
    let mut issues = Vec::new();
    let issue = |column: &str, message: String| SheetIssue::new(table.header_row, Some(column), message);

    for (column, header) in table.headers.iter().enumerate() {
        let letter = column_letter(column);
        if header.trim().is_empty() {
            if table.rows.iter().any(|r| !r.cell(column).is_blank()) {
                issues.push(issue(
                    &letter,
                    format!("{letter} 列有数据但没有表头 / column {letter} has values but no header"),
                ));
            }
            continue;
        }
        let keys = header_keys(header);
        let whole: Vec<usize> = (0..specs.len()).filter(|&i| aliases[i].contains(&keys.whole)).collect();
        let matches = if whole.is_empty() {
            (0..specs.len()).filter(|&i| keys.halves.iter().any(|h| aliases[i].contains(h))).collect()
        } else {
            whole
        };
        match matches.as_slice() {
            [] => issues.push(issue(
                header,
                format!("{letter} 列：未知的列，请对照模板的表头 / column {letter}: unknown column; compare with the template"),
            )),
            [spec] => match &found[*spec] {
                Some((first, first_header)) => {
                    let first = column_letter(*first);
                    issues.push(issue(
                        header,
                        format!(
                            "{letter} 列与 {first} 列「{first_header}」重复 / column {letter} repeats column {first} \"{first_header}\""
                        ),
                    ));
                }
                None => found[*spec] = Some((column, header.clone())),
            },
            several => {
                let names: Vec<String> = several.iter().map(|&i| specs[i].label()).collect();
                let names = names.join("」「");
                issues.push(issue(
                    header,
                    format!("{letter} 列的表头含义不明，可能是「{names}」 / column {letter}: the header could mean 「{names}」"),
                ));
            }
        }
    }
    for (spec, found) in specs.iter().zip(&found) {
        if spec.required && found.is_none() {
            issues.push(issue(&spec.label(), "缺少必填列 / required column is missing".to_owned()));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let columns =
        specs.iter().zip(found).map(|(spec, found)| Mapped { key: spec.key, label: spec.label(), found }).collect();
    Ok(HeaderMap { columns })
}

/// A header's comparable forms: the whole of it, and when it reads as two
/// halves in different scripts ("标题 title", "SKU编码 SKU code",
/// "Stock/库存"), each half.
#[derive(Debug)]
pub(crate) struct HeaderKeys {
    pub(crate) whole: String,
    halves: Vec<String>,
}

impl HeaderKeys {
    pub(crate) fn answers_to(&self, wanted: &str) -> bool {
        self.whole == wanted || self.halves.iter().any(|h| h == wanted)
    }
}

/// Splits a header into words on spaces and separators after folding
/// full-width forms and case; the halves are cut only where the script
/// changes between Han and not-Han and one side has no Han at all, so
/// "SKU编码 SKU code" gives "sku编码" and "skucode", never "code" alone.
pub(crate) fn header_keys(header: &str) -> HeaderKeys {
    let folded: String = header.chars().map(fold_width).collect::<String>().to_lowercase();
    let words: Vec<&str> =
        folded.split(|c: char| c.is_whitespace() || SEPARATORS.contains(&c)).filter(|w| !w.is_empty()).collect();
    let has_han: Vec<bool> = words.iter().map(|w| w.chars().any(is_han)).collect();
    let mut halves = Vec::new();
    for cut in 1..words.len() {
        let left_han = has_han[..cut].iter().any(|&h| h);
        let right_han = has_han[cut..].iter().any(|&h| h);
        let script_changes = has_han[cut - 1] != has_han[cut];
        if script_changes && left_han != right_han {
            halves.push(words[..cut].concat());
            halves.push(words[cut..].concat());
        }
    }
    HeaderKeys { whole: words.concat(), halves }
}

/// Characters people put between or around header words; none of them is
/// part of a column's name.
const SEPARATORS: &[char] = &[
    '/', '\\', '|', '(', ')', '[', ']', '{', '}', '<', '>', '【', '】', '《', '》', '、', '·', ':', '*', '_', '-', '.',
    ',', '，', '。', '"', '\'', '“', '”',
];

/// Full-width ASCII (what a Chinese input method types) to ASCII, and the
/// ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[HeaderSpec] = &[
        HeaderSpec::required("title", "标题", "title"),
        HeaderSpec::required("price", "价格", "price"),
        HeaderSpec::optional("sku_code", "SKU编码", "SKU code"),
        HeaderSpec::optional("stock", "库存", "stock"),
    ];

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        let mut table = Table::new(headers.iter().copied());
        for row in rows {
            table.push_row(row.iter().map(|c| Cell::from(*c)).collect());
        }
        table
    }

    #[test]
    fn maps_headers_in_any_order_and_language() {
        let t = table(&["  库存 ", "PRICE", "标题（title）*", "sku_code"], &[&["5", "19.9", "连衣裙", "A-1"]]);
        let map = map_headers(&t, SPECS).unwrap();
        assert_eq!(map.get("title"), Some(2));
        assert_eq!(map.get("price"), Some(1));
        assert_eq!(map.get("stock"), Some(0));
        assert_eq!(map.get("sku_code"), Some(3));
        let row = &t.rows[0];
        assert_eq!(map.cell(row, "title"), &Cell::from("连衣裙"));
        assert_eq!(map.column_name("title"), "标题（title）*");
        let issue = map.issue(row, "price", "不能为负 / must not be negative");
        assert_eq!(issue, SheetIssue::new(2, Some("PRICE"), "不能为负 / must not be negative"));
    }

    #[test]
    fn exported_labels_map_back() {
        let t = Table::new(header_labels(SPECS));
        let map = map_headers(&t, SPECS).unwrap();
        for (i, spec) in SPECS.iter().enumerate() {
            assert_eq!(map.get(spec.key), Some(i), "{}", spec.label());
        }
    }

    #[test]
    fn an_absent_optional_column_reads_as_empty() {
        let t = table(&["标题", "价格"], &[&["a", "1"]]);
        let map = map_headers(&t, SPECS).unwrap();
        assert_eq!(map.get("stock"), None);
        assert_eq!(map.cell(&t.rows[0], "stock"), &Cell::Empty);
        assert_eq!(map.column_name("stock"), "库存 stock");
    }

    #[test]
    fn every_header_problem_is_named() {
        let t = table(&["标题", "价 钱", "title", "", "标题 price", ""], &[&["a", "1", "b", "x", "", ""]]);
        let issues = map_headers(&t, SPECS).unwrap_err();
        let shown: Vec<(usize, Option<&str>, &str)> =
            issues.iter().map(|i| (i.row, i.column.as_deref(), i.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                (
                    1,
                    Some("价 钱"),
                    "B 列：未知的列，请对照模板的表头 / column B: unknown column; compare with the template"
                ),
                (1, Some("title"), "C 列与 A 列「标题」重复 / column C repeats column A \"标题\""),
                (1, Some("D"), "D 列有数据但没有表头 / column D has values but no header"),
                (
                    1,
                    Some("标题 price"),
                    "E 列的表头含义不明，可能是「标题 title」「价格 price」 / column E: the header could mean 「标题 title」「价格 price」"
                ),
                (1, Some("价格 price"), "缺少必填列 / required column is missing"),
            ]
        );
    }

    #[test]
    fn an_empty_header_row_misses_every_required_column() {
        let issues = map_headers(&Table::default(), SPECS).unwrap_err();
        let missing: Vec<_> = issues.iter().map(|i| i.column.clone().unwrap()).collect();
        assert_eq!(missing, ["标题 title", "价格 price"]);
    }

    #[test]
    fn halves_split_only_where_the_script_changes() {
        let keys = header_keys("SKU编码 SKU code");
        assert_eq!(keys.whole, "sku编码skucode");
        assert_eq!(keys.halves, ["sku编码", "skucode"]);
        let keys = header_keys("ＳＫＵ　条码");
        assert_eq!(keys.halves, ["sku", "条码"]);
        assert!(header_keys("list price").halves.is_empty());
    }
}
