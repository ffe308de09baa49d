//! Tables: rows of cells under a header row, the shape of a CSV file and of a workbook's
//! sheet. The rows are read twice, as a stream: the first pass (`survey`) learns what the
//! header needs of the whole table, the columns are then planned (`plan`: header text and
//! mappings to fields, settled or not), and in the second pass (`each_record`) each row
//! becomes a record on its own: its member (`cells`) and its source for the rejects file.
//! Blank rows are skipped; a row with too few or too many cells is a bad record.

use super::cell::{Cell, TableRow};
use super::cells;
use super::choices::{ColumnChoices, REJECT_REASON_HEADER};
use super::column_map::ColumnMap;
use super::layout::{column_letters, Layout};
use super::plan::{self, ColumnPlan};
use super::planned::{Column, How, PlannedColumn};
use super::survey::TableSurvey;
use super::FileRecord;
use jdy_member::Error;
use serde_json::{Map, Value};

/// Hands `each` the record of every row with a value under the header, in order; returns how
/// many there were. Stops at the first error, of the file or of `each`, and before the first
/// row when the plan of the columns is not settled.
pub(super) fn each_record(
    table: &Table,
    rows: impl Iterator<Item = Result<TableRow, Error>>,
    each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
) -> Result<usize, Error> {
    table.ready()?;
    let mut count = 0;
    for row in rows {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        count += 1;
        each(table.record(row))?;
    }
    Ok(count)
}

/// A header row with the plan of its columns, ready to turn rows into records once the plan
/// is settled.
pub(super) struct Table {
    /// The header row as it is in the file, for a rejects file with the same columns.
    pub header: Vec<String>,
    /// What the first pass saw under each column, kept to plan again.
    survey: TableSurvey,
    layout: Layout,
    plan: ColumnPlan,
    /// Rows may stop before the empty trailing columns Excel leaves, but not before a used
    /// one: the fewest cells a row may have.
    width: usize,
}

impl Table {
    /// The header row's columns planned with what the first pass saw under them.
    pub fn new(
        header: Vec<String>,
        survey: TableSurvey,
        layout: Layout,
        choices: &ColumnChoices,
    ) -> Table {
        let mut table = Table {
            header,
            survey,
            layout,
            plan: ColumnPlan::default(),
            width: 0,
        };
        table.replan(choices);
        table
    }

    /// Plans the columns again with `choices` (a mapping from the import page), from what
    /// the first pass saw: the file is not read again.
    pub fn replan(&mut self, choices: &ColumnChoices) {
        self.plan = plan::plan(&self.header, &self.survey, &self.layout, choices);
        self.width = self
            .plan
            .feeds
            .iter()
            .rposition(|c| *c != Column::Ignored)
            .map_or(0, |i| i + 1);
    }

    /// Every column with a header or a value, as planned.
    pub fn columns(&self) -> &[PlannedColumn] {
        &self.plan.columns
    }

    /// Whether the plan is settled; else the one error naming what is not.
    pub fn ready(&self) -> Result<(), Error> {
        match self.plan.problems.error(&self.layout) {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    /// The headers of the columns left out (`--skip-columns`, `--map X=-` and the like);
    /// the reason column of a rejects workbook is not named.
    pub fn skipped(&self) -> Vec<String> {
        self.plan
            .columns
            .iter()
            .filter(|c| c.how == How::Skipped && c.header != REJECT_REASON_HEADER)
            .map(|c| c.header.clone())
            .collect()
    }

    /// The mapping the plan uses, every column with a header: header to field, or None for
    /// one left out (`--save-map`). The reason column of a rejects workbook is not named.
    pub fn mapping(&self) -> ColumnMap {
        let mut mapping = ColumnMap::default();
        for column in &self.plan.columns {
            if !column.header.is_empty() && column.header != REJECT_REASON_HEADER {
                mapping.set(column.header.clone(), column.field);
            }
        }
        mapping
    }

    fn record(&self, mut row: TableRow) -> FileRecord {
        if matches!(self.layout, Layout::Sheet { .. }) && row.cells.len() < self.plan.feeds.len() {
            // A sheet stores no empty cells: a row ends at its last value.
            row.cells.resize(self.plan.feeds.len(), Cell::Empty);
        }
        let count = row.cells.len();
        let member = if count < self.width || count > self.plan.feeds.len() {
            match self.layout {
                Layout::Text => {
                    let noun = if count == 1 { "cell" } else { "cells" };
                    Err(format!(
                        "has {count} {noun}, the header has {}",
                        self.plan.feeds.len()
                    ))
                }
                // A sheet's rows are as wide as the header (filled above), so only a cell
                // beyond the last header can be wrong.
                Layout::Sheet { .. } => Err(format!(
                    "has text in column {}, which has no header; give it a header or delete it",
                    column_letters(count.saturating_sub(1))
                )),
            }
        } else {
            cells::member(&self.plan.feeds, &row.cells)
        };
        FileRecord {
            number: row.number,
            member,
            source: self.source(&row.cells),
        }
    }

    /// The row as it appeared, keyed by the original header text; cells beyond the header
    /// are keyed "column N" so a ragged row is kept whole for the rejects file.
    fn source(&self, cells: &[Cell]) -> Value {
        let mut source = Map::new();
        for (index, cell) in cells.iter().enumerate() {
            let key = match self.header.get(index) {
                Some(name) if !name.trim().is_empty() => name.to_string(),
                Some(_) if cell.is_blank() => continue,
                _ => format!("column {}", column_letters(index)),
            };
            source.insert(key, Value::from(cell.text()));
        }
        Value::Object(source)
    }
}
