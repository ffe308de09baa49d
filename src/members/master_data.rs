//! The account's master data, online: the lists of stores, member levels, customers (and
//! labels, under `"labels": "resolve_to_ids"`), fetched page by page when first needed and
//! cached per client, through which references given by name or number become ids before a
//! save.
//!
//! A value must be the number (编码) or the name of exactly one record; an unknown or
//! ambiguous one is a `validation` error naming the field, the value and the closest
//! matches. A list that cannot be read fails only the saves that need it, before the member
//! is sent, with an error naming the field, the list and what to grant.

use crate::error::{Delivery, Error, ErrorKind, FieldError, Result};
use crate::gateway::engine::Engine;
use crate::kingdee::api;
use crate::kingdee::codes::GatewayCode;
use crate::kingdee::labels::Labels;
use crate::members::references::{unresolved, Kind, Unresolved};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pages fetched at most per list (100 rows each): a shop's stores or levels are far fewer.
const MAX_PAGES: u64 = 200;
/// A value not found reads its list again at once (a store opened this morning), but a list
/// is read again for misses at most this often, so a run of typos cannot spend the budget.
const MISS_REFRESH_EVERY: Duration = Duration::from_secs(10);

/// One record of a master-data list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MasterRecord {
    pub id: String,
    pub number: String,
    pub name: String,
}

/// A list as fetched, and when.
type Fetched = (Instant, Arc<Vec<MasterRecord>>);

/// The master data of one client: each list fetched whole when first needed, again after
/// `ttl`, and once more at once when a value is not found in it (at most every
/// [`MISS_REFRESH_EVERY`]).
pub(crate) struct MasterData {
    ttl: Duration,
    lists: Mutex<HashMap<Kind, Fetched>>,
    /// When each list was last read again because of a miss.
    miss_refreshed: Mutex<HashMap<Kind, Instant>>,
}

/// A field of a row as text; empty when the row has none.
fn field(row: &Map<String, Value>, key: &str) -> String {
    row.get(key).and_then(api::answer_text).unwrap_or_default()
}

impl MasterData {
    pub fn new(ttl: Duration) -> MasterData {
        MasterData {
            ttl,
            lists: Mutex::new(HashMap::new()),
            miss_refreshed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a miss may read `kind`'s list again now; if so, the time is taken.
    fn may_refresh_for_a_miss(&self, kind: Kind) -> bool {
        let mut refreshed = self
            .miss_refreshed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let due = refreshed
            .get(&kind)
            .is_none_or(|at| at.elapsed() >= MISS_REFRESH_EVERY);
        if due {
            refreshed.insert(kind, Instant::now());
        }
        due
    }

    /// The records of a list: cached, unless `fresh` or older than the ttl.
    fn records(&self, engine: &Engine, kind: Kind, fresh: bool) -> Result<Arc<Vec<MasterRecord>>> {
        if !fresh {
            let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, records)) = lists.get(&kind) {
                if at.elapsed() < self.ttl {
                    return Ok(records.clone());
                }
            }
        }
        let mut records = Vec::new();
        for page in 1..=MAX_PAGES {
            let params = [
                ("page".to_string(), page.to_string()),
                ("page_size".to_string(), api::MAX_PAGE_SIZE.to_string()),
            ];
            let what = format!("the {} list (GET {})", kind.noun(), kind.path());
            let data = engine.read(
                kind.path(),
                &params,
                &what,
                None,
                Instant::now() + engine.deadline(),
            )?;
            let (rows, last) = api::page_rows(&data, page);
            records.extend(
                rows.iter()
                    .filter_map(Value::as_object)
                    .map(|row| MasterRecord {
                        id: field(row, "id"),
                        number: field(row, "number"),
                        name: field(row, "name"),
                    }),
            );
            if last {
                break;
            }
        }
        let records = Arc::new(records);
        self.lists
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kind, (Instant::now(), records.clone()));
        Ok(records)
    }

    /// The id `value` refers to, or what is wrong with it (a message for `fields`).
    fn resolve_one(
        &self,
        engine: &Engine,
        kind: Kind,
        value: &str,
    ) -> Result<std::result::Result<String, String>> {
        let mut records = self.records(engine, kind, false)?;
        for attempt in 0..2 {
            let by_number: Vec<&MasterRecord> =
                records.iter().filter(|r| r.number == value).collect();
            let by_name: Vec<&MasterRecord> = records.iter().filter(|r| r.name == value).collect();
            let found = if by_number.len() == 1 {
                by_number
            } else {
                by_name
            };
            match found.as_slice() {
                [one] => return Ok(Ok(one.id.clone())),
                [] if attempt == 0 && self.may_refresh_for_a_miss(kind) => {
                    records = self.records(engine, kind, true)?
                }
                [] => return Ok(Err(not_found(kind, value, &records))),
                several => return Ok(Err(ambiguous(kind, value, several))),
            }
        }
        Ok(Err(not_found(kind, value, &records)))
    }

    /// Replaces every reference of `member` given by name or number by its id (labels only
    /// under `"labels": "resolve_to_ids"`); every one that cannot be resolved is listed in
    /// one `validation` error. A list that cannot be read is the error of the first
    /// reference that needs it (see [`unreadable`]).
    pub fn resolve(
        &self,
        engine: &Engine,
        labels: Labels,
        member: &mut Map<String, Value>,
    ) -> Result<()> {
        let mut problems = Vec::new();
        for reference in unresolved(member, labels) {
            let found = self
                .resolve_one(engine, reference.kind, &reference.value)
                .map_err(|error| unreadable(&reference, error))?;
            match found {
                Ok(id) => set(member, &reference.field, id),
                Err(message) => problems.push(FieldError::new(reference.field, message)),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::validation("member", problems))
        }
    }
}

/// The error of a save that needs `reference`'s list when the list could not be read: it
/// names the field, the value and the list, and says what to do; the kind, Kingdee's
/// errcode and description are the read's (as `codes` maps them). The member was not sent,
/// so an outbox or an import may send it again once the list can be read.
fn unreadable(reference: &Unresolved, mut error: Error) -> Error {
    let (noun, path) = (reference.kind.noun(), reference.kind.path());
    let remedy = match error.errcode.and_then(GatewayCode::from_number) {
        Some(
            GatewayCode::NoPermission | GatewayCode::ApiNotFound | GatewayCode::MethodNotAllowed,
        ) => {
            format!("grant GET {path} to the app in Kingdee's developer console (开发者平台), or give the {noun}'s id instead")
        }
        // The credentials or the token: every call fails alike, an id would not help.
        _ if matches!(error.kind, ErrorKind::Auth | ErrorKind::Config) => {
            return error.delivered(Delivery::NotSent)
        }
        _ if error.retryable => format!("try again later, or give the {noun}'s id instead"),
        _ => format!("give the {noun}'s id instead"),
    };
    error.message = format!(
        "{} {:?} names a {noun} that must be looked up, and {}. To save this member, {remedy}; the member was not sent",
        reference.field, reference.value, error.message
    );
    error.outcome_unknown = false;
    error.delivered(Delivery::NotSent)
}

/// Sets `field` (or `label[i]`) to `id`.
fn set(member: &mut Map<String, Value>, field: &str, id: String) {
    if let Some(index) = field
        .strip_prefix("label[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
    {
        if let Some(item) = member
            .get_mut("label")
            .and_then(Value::as_array_mut)
            .and_then(|l| l.get_mut(index))
        {
            *item = Value::String(id);
        }
        return;
    }
    member.insert(field.to_string(), Value::String(id));
}

fn describe(record: &MasterRecord) -> String {
    if record.number.is_empty() {
        format!("{} (id {})", record.name, record.id)
    } else {
        format!("{} (编码 {})", record.name, record.number)
    }
}

/// "no store named 南京西路 — did you mean 南京西路店 (编码 MD001)?"
fn not_found(kind: Kind, value: &str, records: &[MasterRecord]) -> String {
    let mut scored: Vec<(f64, &MasterRecord)> = records
        .iter()
        .map(|r| {
            let similar =
                strsim::jaro_winkler(value, &r.name).max(strsim::jaro_winkler(value, &r.number));
            let contains = r.name.contains(value) || value.contains(r.name.as_str());
            (if contains { similar.max(0.9) } else { similar }, r)
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let suggestions: Vec<String> = scored.iter().take(3).map(|(_, r)| describe(r)).collect();
    let noun = kind.noun();
    match suggestions.as_slice() {
        [] => format!(
            "no {noun} has the number or name {value:?}; give the {noun}'s id, number (编码) or exact name as it is in Kingdee ({} {noun}s are listed)",
            records.len()
        ),
        _ => format!(
            "no {noun} named {value:?} — did you mean {}? Give the exact name, the number (编码) or the id",
            suggestions.join(" or ")
        ),
    }
}

fn ambiguous(kind: Kind, value: &str, several: &[&MasterRecord]) -> String {
    let which: Vec<String> = several.iter().map(|r| describe(r)).collect();
    format!(
        "{} {}s are named {value:?}: {}; give the number (编码) or the id of the one meant",
        several.len(),
        kind.noun(),
        which.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, number: &str, name: &str) -> MasterRecord {
        MasterRecord {
            id: id.into(),
            number: number.into(),
            name: name.into(),
        }
    }

    #[test]
    fn an_unreadable_list_names_the_field_the_list_and_the_remedy() {
        let reference = Unresolved {
            field: "shop".into(),
            kind: Kind::Store,
            value: "南京西路店".into(),
        };
        let read = Error::new(
            crate::error::ErrorKind::Auth,
            "the store list (GET /jdy/v2/ls/store) failed with errcode 4012 (HTTP 519): no permission",
        )
        .with_errcode(4012, Some("无权限".into()))
        .with_status(519)
        .delivered(Delivery::Answered);
        let error = unreadable(&reference, read);
        assert_eq!(error.kind, crate::error::ErrorKind::Auth);
        assert_eq!(
            (error.errcode, error.description.as_deref()),
            (Some(4012), Some("无权限"))
        );
        assert_eq!(error.delivery, Delivery::NotSent);
        assert!(
            error.message.starts_with("shop \"南京西路店\" names a store that must be looked up, and the store list (GET /jdy/v2/ls/store) failed with errcode 4012"),
            "{}",
            error.message
        );
        assert!(error.message.ends_with("grant GET /jdy/v2/ls/store to the app in Kingdee's developer console (开发者平台), or give the store's id instead; the member was not sent"), "{}", error.message);
        let busy = unreadable(
            &reference,
            Error::new(
                crate::error::ErrorKind::Server,
                "the store list failed: HTTP 503",
            ),
        );
        assert!(
            busy.message
                .contains("try again later, or give the store's id"),
            "{}",
            busy.message
        );
    }

    #[test]
    fn messages_suggest_the_closest_records() {
        let stores = [
            record("1", "MD001", "南京西路店"),
            record("2", "MD002", "南京东路店"),
            record("3", "MD003", "徐家汇店"),
        ];
        let message = not_found(Kind::Store, "南京西路", &stores);
        assert!(
            message
                .starts_with("no store named \"南京西路\" — did you mean 南京西路店 (编码 MD001)"),
            "{message}"
        );
        assert!(!message.contains("徐家汇"), "{message}");
        let none = not_found(Kind::Store, "zzz", &stores);
        assert!(none.contains("3 stores are listed"), "{none}");
        let both = ambiguous(Kind::Store, "南京店", &[&stores[0], &stores[1]]);
        assert!(both.contains("MD001") && both.contains("MD002"), "{both}");
    }

    #[test]
    fn labels_are_set_by_position() {
        let mut member = json!({"label": ["1", "VIP"]}).as_object().unwrap().clone();
        set(&mut member, "label[1]", "7".into());
        set(&mut member, "shop", "9".into());
        assert_eq!(
            Value::Object(member),
            json!({"label": ["1", "7"], "shop": "9"})
        );
    }
}
