//! Telling an XLSX from a CSV by what the bytes are, not by the file's
//! name: an upload called `products.xlsx` may be a renamed CSV, an old
//! `.xls`, or anything else.

use crate::error::SheetError;

/// A file format this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The HTTP content type for a download.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Every XLSX is a zip archive, which starts with a local file header.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The compound-file header of a legacy `.xls`, and of an encrypted
/// (password-protected) `.xlsx`.
pub(crate) const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The format of an uploaded file, from its content. A zip is XLSX
/// (whatever the name says; reading then checks it really is a workbook),
/// an OLE compound file is a legacy or encrypted Excel file (refused), a
/// file named `.xlsx`/`.xls` that is neither is refused by name, binary
/// content is refused, and any other text is CSV.
pub fn sniff(filename: &str, bytes: &[u8]) -> Result<Format, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(SheetError::LegacyExcel);
    }
    let extension = filename.rsplit_once('.').map(|(_, e)| e.trim().to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "xlsx" | "xlsm" | "xltx" | "xltm" => {
            return Err(SheetError::NotXlsx { detail: format!("{filename}: not a zip archive") });
        }
        "xls" | "et" => return Err(SheetError::LegacyExcel),
        _ => {}
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(8192)];
    if !utf16 && head.contains(&0) {
        return Err(SheetError::NotSpreadsheet);
    }
    Ok(Format::Csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff("products.csv", b"PK\x03\x04rest").unwrap(), Format::Xlsx);
        assert_eq!(sniff("products", b"PK\x03\x04rest").unwrap(), Format::Xlsx);
        assert_eq!(sniff("products.txt", "标题,价格\n".as_bytes()).unwrap(), Format::Csv);
        assert_eq!(sniff("products.CSV", b"\xEF\xBB\xBFa,b\n").unwrap(), Format::Csv);
        assert_eq!(sniff("u.txt", &[0xFF, 0xFE, b'a', 0, b'\t', 0]).unwrap(), Format::Csv);
    }

    #[test]
    fn a_fake_xlsx_is_refused_clearly() {
        let err = sniff("商品.XLSX", b"title,price\n").unwrap_err();
        assert!(matches!(err, SheetError::NotXlsx { .. }));
        assert!(err.to_string().starts_with("不是有效的 XLSX 文件"), "{err}");
        assert!(err.to_string().contains("not a valid XLSX file"), "{err}");
    }

    #[test]
    fn legacy_binary_and_empty_files_are_refused() {
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0u8; 64]);
        assert_eq!(sniff("a.xlsx", &ole).unwrap_err(), SheetError::LegacyExcel);
        assert_eq!(sniff("a.xls", b"a\tb\n").unwrap_err(), SheetError::LegacyExcel);
        assert_eq!(sniff("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err(), SheetError::NotSpreadsheet);
        assert_eq!(sniff("a.csv", b"").unwrap_err(), SheetError::Empty);
    }
}
