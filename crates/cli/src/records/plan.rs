//! The plan of a table's columns: how each column is taken, decided once the first pass has
//! read the whole table, shown before anything is sent, and made again when the person
//! importing maps columns (the import page) without reading the file again.
//!
//! A column is taken, in this order, by a mapping (`--map`, `--map-file`, the page), left
//! out by a skip flag, or read by the library's header table (`jdy_member::headers`): an API
//! name, a Chinese label or an alias is taken; a guess (`电话`, `名称`) only when its values
//! confirm it, else it is a suggestion; a column of mobiles under a header the table does not
//! know is suggested too. A suggestion, a typo-like header and a column that is no member
//! field stop the import until a mapping or a skip flag settles them (`--skip-unknown-columns`
//! never settles a typo). What is wrong is gathered by `plan_problems` into one error.

use super::choices::{ColumnChoices, REJECT_REASON_HEADER};
use super::layout::{column_letters, Layout};
use super::plan_problems::Problems;
use super::planned::{Column, How, PlannedColumn};
use super::survey::{ColumnFacts, TableSurvey};
use jdy_member::headers::{self, Confirm, Guess, Meaning, CONFIRMING_SHARE_PERCENT};

/// The plan of a table: its listed columns, what each header cell feeds, and what stops it.
#[derive(Debug, Clone, Default)]
pub(super) struct ColumnPlan {
    /// Every column with a header or a value, in order.
    pub columns: Vec<PlannedColumn>,
    /// What each column of the header row feeds.
    pub feeds: Vec<Column>,
    /// What is wrong, for the one error (empty: the plan is settled).
    pub problems: Problems,
}

/// A column's first look, before guesses are weighed against the columns taken for certain.
enum Draft {
    /// No header and no value: not listed.
    Ignored,
    Taken(&'static str, How, String),
    Skipped(String),
    Guess(&'static Guess),
    /// A header the table does not know, over a column of mobiles.
    MobilesUnknown,
    NotAField,
    Typo(&'static str, &'static str),
    /// No header, but text from this row on (named as the layout names it).
    NoHeader(String),
}

/// How a column ends up: (field, how, suggestion, why).
type Settled = (Option<&'static str>, How, Option<&'static str>, String);

/// Plans the columns of `header`, with what the first pass saw under them.
pub(super) fn plan(
    header: &[String],
    survey: &TableSurvey,
    layout: &Layout,
    choices: &ColumnChoices,
) -> ColumnPlan {
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    let drafts: Vec<Draft> = header
        .iter()
        .enumerate()
        .map(|(index, name)| first_look(name, &survey.column(index), layout, choices))
        .collect();
    // The fields taken for certain, each with the first column giving it: a guess never
    // competes with them.
    let mut sure: Vec<(&'static str, String)> = Vec::new();
    for (index, draft) in drafts.iter().enumerate() {
        if let Draft::Taken(field, _, _) = draft {
            if !sure.iter().any(|(f, _)| f == field) {
                sure.push((
                    field,
                    format!("{} {}", column_letters(index), header[index]),
                ));
            }
        }
    }
    let mut plan = ColumnPlan::default();
    for (index, draft) in drafts.into_iter().enumerate() {
        let facts = survey.column(index);
        let settled = settle(draft, header[index], &facts, choices, &sure);
        let Some((field, how, suggest, why)) = settled else {
            plan.feeds.push(Column::Ignored);
            continue;
        };
        plan.feeds
            .push(field.map_or(Column::Skipped, Column::Field));
        plan.columns.push(PlannedColumn {
            index,
            column: column_letters(index),
            header: header[index].to_string(),
            values: facts.first_values,
            field,
            how,
            suggest,
            why,
        });
    }
    plan.problems = Problems::of(&mut plan.columns, &header, choices);
    plan
}

/// What a column is by its header alone: the mapping first, then the skip flag, then the
/// header table.
fn first_look(
    header: &str,
    facts: &ColumnFacts,
    layout: &Layout,
    choices: &ColumnChoices,
) -> Draft {
    if header.is_empty() {
        return match facts.first_row {
            None => Draft::Ignored,
            Some(row) => Draft::NoHeader(layout.row(row)),
        };
    }
    if header == REJECT_REASON_HEADER {
        return Draft::Skipped("the reasons of a rejects file".into());
    }
    if let Some(entry) = choices.map.entry_for(header) {
        return match entry.field {
            Some(field) => Draft::Taken(field, How::Map, "--map".into()),
            None => Draft::Skipped(format!("--map {}=-", entry.header)),
        };
    }
    if choices.names(header) {
        return Draft::Skipped("--skip-columns".into());
    }
    match headers::meaning(header) {
        Meaning::Name(field) => Draft::Taken(field.name, How::Name, "API name".into()),
        Meaning::Label(field) => Draft::Taken(field.name, How::Label, "label".into()),
        Meaning::Alias(field) => Draft::Taken(field.name, How::Alias, "alias".into()),
        Meaning::Guess(guess) => Draft::Guess(guess),
        Meaning::Typo { field, meant } => Draft::Typo(field.name, meant),
        Meaning::NotAField if facts.mostly_mobiles(CONFIRMING_SHARE_PERCENT) => {
            Draft::MobilesUnknown
        }
        Meaning::NotAField => Draft::NotAField,
    }
}

/// How a column ends up, its guess weighed against the fields taken for certain (`sure`:
/// each with the column giving it) and its own values; None: not listed.
fn settle(
    draft: Draft,
    header: &str,
    facts: &ColumnFacts,
    choices: &ColumnChoices,
    sure: &[(&'static str, String)],
) -> Option<Settled> {
    let given_by = |field: &str| {
        sure.iter()
            .find(|(f, _)| *f == field)
            .map(|(_, column)| column.as_str())
    };
    // Not taken, and settled only by a skip flag or a mapping.
    let open = if choices.skip_unknown {
        How::Skipped
    } else {
        How::Unknown
    };
    let not_a_field = |why: String| (None, open, None, why);
    let suggestion = |field: &'static str, evidence: String| {
        let why = format!("suggested: {evidence}; add --map {header}={field}");
        (None, open, Some(field), why)
    };
    let mobiles = format!("{} of {} values are mobiles", facts.mobiles, facts.values);
    Some(match draft {
        Draft::Ignored => return None,
        Draft::Taken(field, how, why) => (Some(field), how, None, why),
        Draft::Skipped(why) => (None, How::Skipped, None, why),
        Draft::NoHeader(first) => (
            None,
            How::Unknown,
            None,
            format!("no header but has text (first on {first}); give it a header or delete it"),
        ),
        Draft::Typo(field, meant) => (
            None,
            How::Typo,
            Some(field),
            format!("did you mean {meant}?"),
        ),
        Draft::NotAField => not_a_field("not a member field".into()),
        Draft::MobilesUnknown => match given_by("mobile") {
            Some(giver) => not_a_field(format!("not a member field: mobile comes from {giver}")),
            None => suggestion("mobile", mobiles),
        },
        Draft::Guess(guess) => match (given_by(guess.field), guess.confirm) {
            (Some(giver), _) => not_a_field(format!(
                "not a member field: {} comes from {giver}",
                guess.field
            )),
            (None, _) if facts.values == 0 => not_a_field("not a member field: no values".into()),
            (None, Confirm::Mobiles) if facts.mostly_mobiles(CONFIRMING_SHARE_PERCENT) => (
                Some(guess.field),
                How::Content,
                None,
                format!("content: {mobiles}"),
            ),
            (None, Confirm::Mobiles) if facts.mobiles == 0 => not_a_field(format!(
                "not a member field: none of its {} values is a mobile",
                facts.values
            )),
            (None, Confirm::Mobiles) => suggestion(guess.field, mobiles),
            (None, Confirm::Never) => suggestion(
                guess.field,
                format!("{header} may name the member or something else (a shop, a company)"),
            ),
        },
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
