//! What a file named as a workbook really is, told from its first bytes, and whether it is
//! safe to open: a zip (.xlsx, .xlsm, .ods) within size limits checked before anything is
//! inflated, an OLE compound file (.xls, or an Excel file encrypted with a password), or
//! something else that shops name .xls or .xlsx (CSV text, an HTML page), each refused
//! with what to do.

use jdy_member::Error;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The kinds of workbook read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Office Open XML (.xlsx, .xlsm): read as a stream of rows.
    Xlsx,
    /// Excel 97-2003 (.xls): at most 65,536 rows, loaded whole.
    Xls,
    /// OpenDocument (.ods): loaded whole, within `MAX_PART_BYTES` of XML.
    Ods,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_MAGIC: &[u8] = b"PK\x05\x06";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// A worksheet's XML is read as a stream, so only time grows with it: 1 GiB is several
/// times a full sheet of 1,048,576 rows of members.
const MAX_SHEET_BYTES: u64 = 1 << 30;
/// The shared strings are held in memory for the whole read (the cells point into them):
/// 128 MiB is about two million names and addresses.
const MAX_SHARED_STRINGS_BYTES: u64 = 128 << 20;
/// Every other part (styles, the workbook's list of sheets, an .ods's content) is read
/// whole.
const MAX_PART_BYTES: u64 = 64 << 20;
/// All parts together, and how many there may be: a workbook has a few dozen.
const MAX_TOTAL_BYTES: u64 = 4 << 30;
const MAX_ENTRIES: usize = 10_000;

/// Tells what the file at `path` is; refuses, before anything is inflated, a zip whose
/// parts would take more memory or time than a member list can need (a zip bomb).
pub(super) fn inspect(path: &Path, file: &mut BufReader<File>) -> Result<Kind, Error> {
    let mut head = [0u8; 8];
    let read = read_head(file, &mut head).map_err(|e| unreadable(path, &e))?;
    let head = &head[..read];
    if head.starts_with(ZIP_MAGIC) || head.starts_with(ZIP_EMPTY_MAGIC) {
        return zip_kind(path, file);
    }
    if head.starts_with(CFB_MAGIC) {
        // An .xls, or an encrypted .xlsx (Office wraps those in the same container):
        // opening tells them apart.
        return Ok(Kind::Xls);
    }
    Err(not_a_workbook(path, file))
}

fn read_head(file: &mut BufReader<File>, head: &mut [u8]) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(0))?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(read)
}

/// A zip: an .ods when its `mimetype` says so, else an .xlsx; its declared sizes checked.
fn zip_kind(path: &Path, file: &mut BufReader<File>) -> Result<Kind, Error> {
    let mut archive = zip::ZipArchive::new(&mut *file).map_err(|e| damaged(path, &e))?;
    if archive.len() > MAX_ENTRIES {
        return Err(too_large(path, &format!("{} parts", archive.len())));
    }
    let mut total: u64 = 0;
    let mut kind = None;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| damaged(path, &e))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let size = entry.size();
        total = total.saturating_add(size);
        let limit = if name.starts_with("xl/worksheets/") {
            MAX_SHEET_BYTES
        } else if name.ends_with("sharedStrings.xml") {
            MAX_SHARED_STRINGS_BYTES
        } else {
            MAX_PART_BYTES
        };
        if size > limit || total > MAX_TOTAL_BYTES {
            return Err(too_large(
                path,
                &format!("its part {name} unpacks to {} MB", size >> 20),
            ));
        }
        if name == "mimetype" {
            drop(entry);
            if read_mimetype(&mut archive, index).as_deref() == Some(ODS_MIMETYPE) {
                kind = Some(Kind::Ods);
            }
            continue;
        }
        if name.ends_with("workbook.bin") {
            return Err(Error::invalid_argument(format!(
                "`{}` is an Excel binary workbook (.xlsb), which is not read; open it in Excel and save it as .xlsx (Excel Workbook), then import that",
                path.display()
            )));
        }
        if name.ends_with("workbook.xml") && kind.is_none() {
            kind = Some(Kind::Xlsx);
        }
    }
    kind.ok_or_else(|| {
        Error::invalid_argument(format!(
            "`{}` is a zip archive but not a workbook (no sheets inside: a Word file or a zipped folder?); export the member list from the spreadsheet as .xlsx",
            path.display()
        ))
    })
}

/// The first bytes of an entry the size checks have passed (`mimetype` is a few dozen).
fn read_mimetype<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
) -> Option<Vec<u8>> {
    let entry = archive.by_index(index).ok()?;
    let mut bytes = Vec::new();
    entry
        .take(ODS_MIMETYPE.len() as u64 + 2)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// The error for a file that is no workbook, saying what it looks like.
fn not_a_workbook(path: &Path, file: &mut BufReader<File>) -> Error {
    let mut head = vec![0u8; 4096];
    let read = read_head(file, &mut head).unwrap_or(0);
    head.truncate(read);
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let name = path.display();
    if head.is_empty() {
        return Error::invalid_argument(format!(
            "`{name}` is empty; export the member list from the spreadsheet again"
        ));
    }
    if text.contains("<html") || text.contains("<table") || text.contains("<?xml") {
        return Error::invalid_argument(format!(
            "`{name}` is not an Excel workbook but a web page or XML named like one (some programs export so); open it in Excel or WPS, save it as .xlsx (Excel Workbook), and import that"
        ));
    }
    let looks_like_text = !head.contains(&0)
        && (std::str::from_utf8(&head).is_ok()
            || encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(&head)
                .is_some());
    if looks_like_text {
        return Error::invalid_argument(format!(
            "`{name}` is not an Excel workbook: it holds plain text (CSV?) under a workbook's name; rename it to .csv, or pass --format csv"
        ));
    }
    Error::invalid_argument(format!(
        "`{name}` is not a workbook that can be read (.xlsx, .xlsm, .xls or .ods); open it in Excel or WPS, save it as .xlsx, and import that"
    ))
}

/// The error for a file that cannot be read at all.
pub(super) fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    Error::invalid_argument(format!(
        "cannot read `{}` ({e}); check the path and that the file is readable (and not open in Excel)",
        path.display()
    ))
}

/// The error for a workbook whose container is broken (cut short by a copy, a download).
pub(super) fn damaged(path: &Path, cause: &dyn std::fmt::Display) -> Error {
    Error::invalid_argument(format!(
        "`{}` is damaged or incomplete and cannot be read ({cause}); copy it again, or open it in Excel and save it again",
        path.display()
    ))
}

/// The error for a workbook larger than any member list (a zip bomb, or not a member list).
fn too_large(path: &Path, what: &str) -> Error {
    Error::invalid_argument(format!(
        "`{}` is refused without being unpacked: {what}, more than a member list can need (a damaged or hostile file?); export the member list from the spreadsheet again",
        path.display()
    ))
}

/// The error for a workbook protected by a password.
pub(super) fn password_protected(path: &Path) -> Error {
    Error::invalid_argument(format!(
        "`{}` is protected by a password, so its cells cannot be read; open it in Excel or WPS, remove the password (File > Info > Protect Workbook > Encrypt with Password: clear it), save, and import again",
        path.display()
    ))
}
