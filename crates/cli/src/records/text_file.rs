//! A text import file (CSV, JSON lines, JSON) read in two streaming passes over its bytes.
//!
//! The first pass reads the whole file and keeps only what a decision about the whole file
//! needs: the encoding (a guess of UTF-8 that a later byte overturns starts again as
//! GB18030), a CSV's header row and what its columns hold (`TableSurvey`), a JSON file's
//! validity and, with a mapping, which of its keys the members have, and the count of
//! records. Nothing is sent before it ends, so a file that is
//! refused is refused whole. The second pass reads the records again, one at a time, for
//! the command to check and send as they come.

use super::choices::ColumnChoices;
use super::column_map::ColumnMap;
use super::csv;
use super::decode::{self, Chosen, Problem, TextEncoding};
use super::decode_stream::{read_prefix, DecodeReader};
use super::json;
use super::layout::Layout;
use super::table::Table;
use super::{FileRecord, Format};
use jdy_member::Error;
use std::io::{Read, Seek, SeekFrom};

/// The bytes of a file, read again for each pass.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A text file after its first pass.
pub(super) struct TextFile {
    source: Box<dyn ReadSeek>,
    format: Format,
    chosen: Chosen,
    /// A CSV's header row with the plan of its columns; None for JSON.
    pub table: Option<Table>,
    /// The mapping of a JSON file's keys, and what makes it unusable for the file.
    keys: (ColumnMap, Vec<String>),
    /// How many records the first pass found.
    pub records: usize,
}

/// How a pass over the text ended, when it did not end well.
enum Stopped {
    /// At a byte that does not decode in the encoding chosen.
    Decode(Problem),
    Error(Error),
}

impl TextFile {
    /// Makes the first pass over `source`.
    pub fn open(
        mut source: Box<dyn ReadSeek>,
        format: Format,
        asked: TextEncoding,
        choices: &ColumnChoices,
    ) -> Result<TextFile, Error> {
        let prefix = read_prefix(&mut source, decode::PREFIX_BYTES).map_err(unreadable)?;
        let mut chosen = decode::choose(&prefix, asked);
        loop {
            let surveyed = pass(&mut source, chosen, |text| {
                match format {
                Format::Csv => {
                    let (header, survey) = csv::survey(text)?;
                    let rows = survey.rows;
                    let table = Table::new(header, survey, Layout::Text, choices);
                    Ok((Some(table), Vec::new(), rows))
                }
                Format::JsonLines | Format::Json => {
                    let (records, problems) = json::first_pass(text, format, &choices.map)?;
                    Ok((None, problems, records))
                }
                Format::Workbook => Err(Error::invalid_argument(
                    "a workbook is read from its file, not from text; name the file (.xlsx, .xls, .ods)",
                )),
            }
            });
            match surveyed {
                Ok((table, problems, records)) => {
                    return Ok(TextFile {
                        source,
                        format,
                        chosen,
                        table,
                        keys: (choices.map.clone(), problems),
                        records,
                    })
                }
                Err(Stopped::Error(error)) => return Err(error),
                Err(Stopped::Decode(problem)) => {
                    chosen = match decode::after_problem(chosen, problem, &prefix) {
                        Ok(next) => next,
                        // A NUL byte anywhere says more than a byte that does not decode.
                        Err(_) if chosen.refuses_nul() && has_nul(&mut source)? => {
                            return Err(decode::nul_refusal())
                        }
                        Err(error) => return Err(error),
                    };
                }
            }
        }
    }

    /// "utf-8", "gb18030", ...: how the text was decoded.
    pub fn encoding(&self) -> &'static str {
        self.chosen.name
    }

    /// Plans the columns again with `choices`: a CSV's from what the first pass saw; a JSON
    /// file's keys are read again (a JSON file keeps no survey of them).
    pub fn replan(&mut self, choices: &ColumnChoices) -> Result<(), Error> {
        if let Some(table) = &mut self.table {
            table.replan(choices);
            return Ok(());
        }
        let format = self.format;
        let read = pass(&mut self.source, self.chosen, |text| {
            json::first_pass(text, format, &choices.map)
        });
        match read {
            Ok((_, problems)) => {
                self.keys = (choices.map.clone(), problems);
                Ok(())
            }
            Err(Stopped::Error(error)) => Err(error),
            Err(Stopped::Decode(_)) => {
                Err(super::changed_while_read("it no longer decodes as it did"))
            }
        }
    }

    /// Whether the columns (or a JSON file's mapping) are settled; else the one error
    /// naming what is not.
    pub fn ready(&self) -> Result<(), Error> {
        if let Some(table) = &self.table {
            return table.ready();
        }
        let (_, problems) = &self.keys;
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::invalid_argument(format!(
            "the mapping is not usable for this file: {}",
            problems.join("; ")
        )))
    }

    /// The mapping in use: a CSV's plan, or the mapping given for a JSON file's keys.
    pub fn mapping(&self) -> ColumnMap {
        match &self.table {
            Some(table) => table.mapping(),
            None => self.keys.0.clone(),
        }
    }

    /// The second pass: hands `each` every record, in file order; returns how many there were.
    pub fn each_record(
        &mut self,
        each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        self.ready()?;
        let (format, table, map) = (self.format, self.table.as_ref(), &self.keys.0);
        let read = pass(&mut self.source, self.chosen, |text| {
            match (format, table) {
                (Format::Csv, Some(table)) => csv::each_record(text, table, each),
                (Format::JsonLines, _) => json::each_line_record(text, Some(each), map),
                (Format::Json, _) => json::each_item_record(text, Some(each), map),
                _ => Err(Error::internal("a text file without its header row")),
            }
        });
        match read {
            Ok(count) => Ok(count),
            Err(Stopped::Error(error)) => Err(error),
            Err(Stopped::Decode(_)) => {
                Err(super::changed_while_read("it no longer decodes as it did"))
            }
        }
    }
}

/// One pass over the text of `source` decoded as `chosen`.
fn pass<T>(
    source: &mut Box<dyn ReadSeek>,
    chosen: Chosen,
    read: impl FnOnce(&mut DecodeReader<'_>) -> Result<T, Error>,
) -> Result<T, Stopped> {
    source
        .seek(SeekFrom::Start(chosen.bom as u64))
        .map_err(|e| Stopped::Error(unreadable(e)))?;
    let mut text = DecodeReader::new(source, chosen);
    let result = read(&mut text);
    match text.problem() {
        Some(problem) => Err(Stopped::Decode(problem)),
        None => result.map_err(Stopped::Error),
    }
}

/// Whether the file has a NUL byte anywhere.
fn has_nul(source: &mut Box<dyn ReadSeek>) -> Result<bool, Error> {
    source.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match source.read(&mut chunk).map_err(unreadable)? {
            0 => return Ok(false),
            n if chunk[..n].contains(&0) => return Ok(true),
            _ => {}
        }
    }
}

fn unreadable(e: std::io::Error) -> Error {
    Error::invalid_argument(format!(
        "the file could not be read ({e}); check that it is readable and not being written"
    ))
}
