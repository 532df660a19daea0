//! The crate's one error type, [`SheetError`], and [`SheetIssue`], the
//! per-row report item that a caller's importer uses for its own findings
//! too, so a preview can list every problem in one shape.

use std::fmt;

/// Why a file could not be read or written, or a cell not converted. Every
/// message is zh-CN first with English beside it and names the row and
/// column where there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SheetError {
    #[error("文件是空的，或没有任何数据 / the file is empty or has no data")]
    Empty,

    #[error("不是有效的 XLSX 文件（{detail}） / not a valid XLSX file ({detail})")]
    NotXlsx { detail: String },

    #[error(
        "不支持旧版 .xls 或加密的 Excel 文件，请另存为 .xlsx 或 CSV / \
         legacy .xls and password-protected Excel files are not supported; save as .xlsx or CSV"
    )]
    LegacyExcel,

    #[error("不是 CSV 或 XLSX 文件 / neither a CSV nor an XLSX file")]
    NotSpreadsheet,

    #[error(
        "无法识别文本编码，请另存为 UTF-8 或 GBK 编码的 CSV / \
         unrecognised text encoding; save the CSV as UTF-8 or GBK"
    )]
    Encoding,

    #[error("第 {row} 行：CSV 格式错误（{detail}） / row {row}: malformed CSV ({detail})")]
    Csv { row: usize, detail: String },

    #[error(
        "第 {row} 行有 {found} 列，表头有 {expected} 列{zh} / row {row} has {found} fields but the header has {expected}{en}",
        zh = more_rows_zh(*other_rows),
        en = more_rows_en(*other_rows)
    )]
    Ragged { row: usize, found: usize, expected: usize, other_rows: usize },

    #[error("第 {row} 行 {column} 列有数据，但这一列没有表头 / row {row}, column {column} has a value but no header")]
    NoHeader { row: usize, column: String },

    #[error("找不到工作表「{name}」 / no worksheet named \"{name}\"")]
    NoSuchSheet { name: String },

    #[error("工作簿里没有可见的工作表 / the workbook has no visible worksheet")]
    NoWorksheet,

    #[error("文件太大：超过 {max} {} / file too large: more than {max} {}", limit.zh(), limit.en())]
    TooLarge { limit: Limit, max: u64 },

    #[error(
        "工作表名无效：{name:?}（1 到 31 个字符，不能含 [ ] : * ? / \\） / \
         invalid sheet name {name:?} (1 to 31 characters, none of [ ] : * ? / \\)"
    )]
    SheetName { name: String },

    #[error("无法生成 XLSX 文件（{detail}） / could not write the XLSX file ({detail})")]
    Write { detail: String },

    #[error("应为{}，实际为 {found:?} / expected {}, found {found:?}", expected.zh(), expected.en())]
    Value { expected: ValueKind, found: String },
}

fn more_rows_zh(other_rows: usize) -> String {
    if other_rows == 0 { String::new() } else { format!("（另有 {other_rows} 行同样的问题）") }
}

fn more_rows_en(other_rows: usize) -> String {
    match other_rows {
        0 => String::new(),
        1 => " (and 1 more row like it)".to_owned(),
        n => format!(" (and {n} more rows like it)"),
    }
}

/// Which size limit a file broke (see [`crate::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Rows,
    Cells,
    UnzippedBytes,
}

impl Limit {
    fn zh(self) -> &'static str {
        match self {
            Limit::Rows => "行数据",
            Limit::Cells => "个单元格",
            Limit::UnzippedBytes => "字节（解压后）",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Limit::Rows => "data rows",
            Limit::Cells => "cells",
            Limit::UnzippedBytes => "bytes unzipped",
        }
    }
}

/// What a cell was expected to hold, for [`SheetError::Value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Integer,
    Bool,
}

impl ValueKind {
    fn zh(self) -> &'static str {
        match self {
            ValueKind::Integer => "整数",
            ValueKind::Bool => "是/否",
        }
    }

    fn en(self) -> &'static str {
        match self {
            ValueKind::Integer => "a whole number",
            ValueKind::Bool => "yes/no",
        }
    }
}

/// One problem found in one row of a sheet: the row number as the person
/// sees it in Excel (the header row counts), the column as its header reads
/// (or its letter when it has none), and a bilingual message. The catalog
/// importer reports its own findings (a bad price, an unknown category) in
/// the same shape, so a preview is one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetIssue {
    pub row: usize,
    pub column: Option<String>,
    pub message: String,
}

impl SheetIssue {
    pub fn new(row: usize, column: Option<&str>, message: impl fmt::Display) -> Self {
        Self { row, column: column.map(str::to_owned), message: message.to_string() }
    }
}

impl fmt::Display for SheetIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 行 / row {}", self.row, self.row)?;
        if let Some(column) = &self.column {
            write!(f, " · {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bilingual_and_name_the_place() {
        let ragged = SheetError::Ragged { row: 7, found: 3, expected: 5, other_rows: 2 };
        assert_eq!(
            ragged.to_string(),
            "第 7 行有 3 列，表头有 5 列（另有 2 行同样的问题） / row 7 has 3 fields but the header has 5 (and 2 more rows like it)"
        );
        let single = SheetError::Ragged { row: 4, found: 6, expected: 5, other_rows: 0 };
        assert_eq!(single.to_string(), "第 4 行有 6 列，表头有 5 列 / row 4 has 6 fields but the header has 5");
        let large = SheetError::TooLarge { limit: Limit::Rows, max: 50_000 };
        assert_eq!(large.to_string(), "文件太大：超过 50000 行数据 / file too large: more than 50000 data rows");
        let value = SheetError::Value { expected: ValueKind::Integer, found: "abc".into() };
        assert_eq!(value.to_string(), "应为整数，实际为 \"abc\" / expected a whole number, found \"abc\"");
    }

    #[test]
    fn an_issue_shows_row_column_and_message() {
        let issue = SheetIssue::new(3, Some("价格 price"), "不能为空 / must not be empty");
        assert_eq!(issue.to_string(), "第 3 行 / row 3 · 价格 price: 不能为空 / must not be empty");
        let whole_row = SheetIssue::new(9, None, "重复的 SKU / duplicate SKU");
        assert_eq!(whole_row.to_string(), "第 9 行 / row 9: 重复的 SKU / duplicate SKU");
    }
}
