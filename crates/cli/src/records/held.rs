//! Every record of a file read and held, with how it was read: what the readers' tests
//! look at. The commands stream the records instead (`ImportFile::each_record`).

use super::{ColumnChoices, FileRecord, Format, ImportFile, ReadOptions, TextEncoding};
use jdy_member::Error;
use std::path::Path;

/// Every record of a file, held, with how it was read.
#[derive(Debug)]
pub(super) struct Records {
    pub format: Format,
    pub encoding: &'static str,
    pub skipped: Vec<String>,
    pub records: Vec<FileRecord>,
}

fn held(mut file: ImportFile) -> Result<Records, Error> {
    let records = file.collect()?;
    Ok(Records {
        format: file.format,
        encoding: file.encoding,
        skipped: file.skipped,
        records,
    })
}

/// Reads `path` as `options` say, as the commands do, every record held.
pub(super) fn read_file(path: &Path, options: &ReadOptions) -> Result<Records, Error> {
    held(ImportFile::open(path, options)?)
}

/// Reads the contents of a text import file (CSV, JSON lines, JSON), every column taken.
pub(super) fn read_bytes(
    bytes: &[u8],
    format: Format,
    encoding: TextEncoding,
) -> Result<Records, Error> {
    read_text_file(bytes, format, encoding, &ColumnChoices::default())
}

/// Reads the contents of a text import file, leaving out the columns `columns` says.
pub(super) fn read_text_file(
    bytes: &[u8],
    format: Format,
    encoding: TextEncoding,
    columns: &ColumnChoices,
) -> Result<Records, Error> {
    let source = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let file = ImportFile::from_source(source, format, encoding, columns)?;
    file.ready()?;
    held(file)
}
