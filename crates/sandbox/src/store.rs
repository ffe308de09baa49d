//! The member store, and the three answers that show it: save, detail and list rows.
//!
//! Documented (notes §6): detail answers only `id, mobile, name, card_no, card_id,
//! level_name, usable, available`; list rows carry most fields under other names
//! (`shop` → `shop_id/shop_number/shop_name`, ...); personal fields are encrypted.
//!
//! Unknown upstream, the sandbox's choices: a save's body errors answer HTTP 200, errcode
//! 2000002000, with a Chinese description naming the first broken field
//! (`手机号(mobile)不能为空`); known string fields must be strings (null is refused), `label`
//! an array of strings or null; blank `mobile`/`name` count as empty; codes, dates and the
//! mobile format are not checked; unknown fields (including `id`) are ignored. A duplicate
//! mobile is refused or updates (switch); an update overwrites the fields it carries and
//! keeps the others and the id. The answer's `custom_no` and `enable` are `""` when never
//! given. Labels are names stored as given, or (switch `labels: ids`) must each be the id
//! of a seeded label, else the save is refused like the other field errors.

use crate::clock::china_datetime;
use crate::master_data::{self, CUSTOMERS, LABELS, LEVELS, STORES};
use crate::options::{Behaviour, DuplicateMobile, LabelReading};
use crate::SANDBOX_CLIENT_SECRET;
use jdy_member::codes::GatewayCode;
use jdy_member::fields::{Rule, MEMBER_FIELDS};
use jdy_member::privacy;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The first member id, taken from the seed's answer example (19 digits, like Kingdee's).
pub const FIRST_MEMBER_ID: u64 = 1_534_104_111_400_644_608;
/// Unknown upstream: the sandbox's code when a save repeats a stored mobile.
pub const ERR_DUPLICATE: i64 = 1_000_000_004;
/// Unknown upstream: the sandbox's code when detail finds nothing (switch `errcode`).
pub const ERR_NOT_FOUND: i64 = 1_000_000_003;
const ERR_SYSTEM: i64 = GatewayCode::SystemError.number();

/// A business refusal: errcode and Chinese description.
pub(crate) type Refusal = (i64, String);

struct Member {
    create_ms: u64,
    modify_ms: u64,
    /// Every stored field, plus `id` and `db_modify_time`.
    record: Map<String, Value>,
}

impl Member {
    fn text(&self, field: &str) -> &str {
        self.record.get(field).and_then(Value::as_str).unwrap_or("")
    }
}

/// The members of the account.
pub(crate) struct Store {
    members: BTreeMap<u64, Member>,
    by_mobile: HashMap<String, u64>,
    next_id: u64,
}

/// Checks a save body against the seed's field rules; returns the known fields to store.
fn validate(body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| "请求体不是合法的JSON".to_string())?;
    let Value::Object(object) = value else {
        return Err("请求体必须是JSON对象".to_string());
    };
    let mut fields = Map::new();
    for field in &MEMBER_FIELDS {
        let (name, label) = (field.name, field.label);
        let required = field.rule.required();
        match (field.rule, object.get(name)) {
            (_, None) | (_, Some(Value::Null)) if required => {
                return Err(format!("{label}({name})不能为空"))
            }
            (_, None) => {}
            (Rule::Label, Some(value @ Value::Null)) => {
                fields.insert(name.to_string(), value.clone());
            }
            (Rule::Label, Some(value @ Value::Array(items)))
                if items.iter().all(Value::is_string) =>
            {
                fields.insert(name.to_string(), value.clone());
            }
            (Rule::Label, Some(_)) => return Err(format!("{label}({name})必须是字符串数组或null")),
            (_, Some(Value::String(text))) => {
                if required && text.trim().is_empty() {
                    return Err(format!("{label}({name})不能为空"));
                }
                fields.insert(name.to_string(), Value::String(text.clone()));
            }
            (_, Some(_)) => return Err(format!("{label}({name})必须是字符串")),
        }
    }
    Ok(fields)
}

/// Under `labels: ids`, the first label that is not the id of a label. Unknown upstream:
/// the errcode and the text are the sandbox's guess, 2000002000 and a Chinese description
/// naming the label, as for its other field errors.
fn unknown_label(fields: &Map<String, Value>, reading: LabelReading) -> Option<String> {
    if reading != LabelReading::Ids {
        return None;
    }
    let items = fields.get("label")?.as_array()?;
    items
        .iter()
        .filter_map(Value::as_str)
        .find(|label| master_data::by_id(&LABELS, label).is_none())
        .map(|label| format!("标签不存在: {label}"))
}

/// `text` encrypted as Kingdee does when the switch is on.
fn personal(behaviour: &Behaviour, text: &str) -> Value {
    match behaviour.encryption && !text.is_empty() {
        true => Value::from(privacy::encrypt(SANDBOX_CLIENT_SECRET, text).unwrap_or_default()),
        false => Value::from(text),
    }
}

impl Store {
    pub fn new() -> Store {
        Store {
            members: BTreeMap::new(),
            by_mobile: HashMap::new(),
            next_id: FIRST_MEMBER_ID,
        }
    }

    /// Saves a member; Ok(answer data, the mobile) or the refusal.
    pub fn save(
        &mut self,
        body: &[u8],
        now: u64,
        behaviour: &Behaviour,
    ) -> Result<(Value, String), Refusal> {
        let fields = validate(body).map_err(|d| (ERR_SYSTEM, d))?;
        if let Some(description) = unknown_label(&fields, behaviour.labels) {
            return Err((ERR_SYSTEM, description));
        }
        let mobile = fields
            .get("mobile")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let existing = self.by_mobile.get(&mobile).copied();
        if existing.is_some() && behaviour.duplicate_mobile == DuplicateMobile::Refuse {
            return Err((
                ERR_DUPLICATE,
                format!("组合值与其他表单重复：手机号 {mobile} 已存在"),
            ));
        }
        let id = match existing {
            Some(id) => id,
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.by_mobile.insert(mobile.clone(), id);
                let mut record = Map::new();
                record.insert("id".into(), Value::String(id.to_string()));
                self.members.insert(
                    id,
                    Member {
                        create_ms: now,
                        modify_ms: now,
                        record,
                    },
                );
                id
            }
        };
        let Some(member) = self.members.get_mut(&id) else {
            return Err((ERR_SYSTEM, "系统错误".into()));
        };
        member.record.extend(fields);
        member
            .record
            .insert("db_modify_time".into(), Value::String(china_datetime(now)));
        member.modify_ms = now;
        let text = |field: &str| Value::from(member.text(field));
        let answer = json!({
            "id": text("id"),
            "custom_no": text("custom_no"),
            "db_modify_time": text("db_modify_time"),
            "enable": text("enable"),
            "mobile": personal(behaviour, member.text("mobile")),
            "name": text("name"),
        });
        Ok((answer, mobile))
    }

    /// The member an `id` or `mobile` names, as detail answers it (None: not found), or the
    /// refusal of a query without either. Unknown upstream: `id` wins over `mobile`; an
    /// empty value counts as absent.
    pub fn detail(
        &self,
        params: &HashMap<String, String>,
        behaviour: &Behaviour,
    ) -> Result<Option<Value>, Refusal> {
        let given = |key: &str| params.get(key).filter(|v| !v.is_empty());
        let id = if let Some(id) = given("id") {
            id.parse::<u64>().ok()
        } else if let Some(mobile) = given("mobile") {
            self.by_mobile.get(mobile).copied()
        } else {
            return Err((ERR_SYSTEM, "id和mobile不能同时为空".into()));
        };
        Ok(id.and_then(|id| self.members.get(&id)).map(|m| {
            let level = master_data::by_id(&LEVELS, m.text("level"));
            json!({
                "id": m.text("id"),
                "mobile": personal(behaviour, m.text("mobile")),
                "name": m.text("name"),
                "card_no": m.text("custom_no"),
                "card_id": m.text("mbcard_id"),
                "level_name": level.map_or("", |l| l.name),
                "usable": "0.00",
                "available": "0.00",
            })
        }))
    }

    fn list_row(m: &Member, behaviour: &Behaviour) -> Value {
        let reference = |records: &[master_data::Record], id: &str| {
            let found = master_data::by_id(records, id);
            (found.map_or("", |r| r.number), found.map_or("", |r| r.name))
        };
        let (shop_number, shop_name) = reference(&STORES, m.text("shop"));
        let (level_number, level_name) = reference(&LEVELS, m.text("level"));
        let (customer_number, customer_name) = reference(&CUSTOMERS, m.text("customer"));
        json!({
            "id": m.text("id"),
            "create_time": china_datetime(m.create_ms),
            "modify_time": china_datetime(m.modify_ms),
            "enable": m.text("enable"),
            "name": m.text("name"),
            "mobile": personal(behaviour, m.text("mobile")),
            "source": m.text("source"),
            "join_way": m.text("join_way"),
            "birthday": m.text("birthday"),
            "remark": m.text("remark"),
            "address": personal(behaviour, m.text("address")),
            "detail_address": personal(behaviour, m.text("detail_address")),
            "is_delete": m.text("is_delete"),
            "sex_group": m.text("sex_group"),
            "customer_id": m.text("customer"),
            "customer_number": customer_number,
            "customer_name": customer_name,
            "mb_card_id": m.text("mbcard_id"),
            "mb_card_id_card_no": "",
            "shop_id": m.text("shop"),
            "shop_number": shop_number,
            "shop_name": shop_name,
            "level_id": m.text("level"),
            "level_number": level_number,
            "level_name": level_name,
            "referreremp_id": m.text("referrere_mp"),
            "referreremp_number": "",
            "referreremp_name": "",
        })
    }

    /// A page of the list; `filter` decides which members match.
    pub fn list(&self, filter: &Filter, page: u64, page_size: u64, behaviour: &Behaviour) -> Value {
        let matches: Vec<&Member> = self.members.values().filter(|m| filter.allows(m)).collect();
        let count = matches.len() as u64;
        let skip = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let rows: Vec<Value> = matches
            .iter()
            .skip(skip)
            .take(usize::try_from(page_size).unwrap_or(usize::MAX))
            .map(|m| Store::list_row(m, behaviour))
            .collect();
        json!({
            "count": count,
            "page": page,
            "page_size": page_size,
            "total_page": count.div_ceil(page_size),
            "rows": rows,
        })
    }

    /// Every member as stored (save field names, plaintext), id order: the test's view.
    pub fn records(&self) -> Vec<Value> {
        self.members
            .values()
            .map(|m| Value::Object(m.record.clone()))
            .collect()
    }

    pub fn record_by_mobile(&self, mobile: &str) -> Option<Value> {
        let id = self.by_mobile.get(mobile)?;
        self.members
            .get(id)
            .map(|m| Value::Object(m.record.clone()))
    }
}

/// A `start_modified`/`end_modified` bound: epoch ms, or `YYYY-MM-DD[ HH:MM:SS]` in UTC+8
/// compared as text (unknown upstream; other forms are ignored).
enum TimeBound {
    EpochMs(u64),
    Text(String),
}

impl TimeBound {
    fn parse(text: &str, end: bool) -> Option<TimeBound> {
        if let Some(ms) = crate::gateway::parse_digits(text, 19) {
            return Some(TimeBound::EpochMs(ms));
        }
        let bytes = text.as_bytes();
        let date_like = bytes.len() >= 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[..4]
                .iter()
                .chain(&bytes[5..7])
                .chain(&bytes[8..10])
                .all(u8::is_ascii_digit);
        match bytes.len() {
            10 if date_like => Some(TimeBound::Text(format!(
                "{text} {}",
                if end { "23:59:59" } else { "00:00:00" }
            ))),
            19 if date_like => Some(TimeBound::Text(text.to_string())),
            _ => None,
        }
    }

    fn allows(&self, member: &Member, end: bool) -> bool {
        match self {
            TimeBound::EpochMs(ms) if end => member.modify_ms <= *ms,
            TimeBound::EpochMs(ms) => member.modify_ms >= *ms,
            TimeBound::Text(bound) => {
                let time = member.text("db_modify_time");
                if end {
                    time <= bound.as_str()
                } else {
                    time >= bound.as_str()
                }
            }
        }
    }
}

/// The list's filters (inclusive time bounds; `name` matches a part of the name).
pub(crate) struct Filter {
    id: Option<String>,
    number: Option<String>,
    name: Option<String>,
    enable: Option<String>,
    start: Option<TimeBound>,
    end: Option<TimeBound>,
}

impl Filter {
    pub fn from_params(params: &HashMap<String, String>) -> Filter {
        let given = |key: &str| params.get(key).filter(|v| !v.is_empty()).cloned();
        Filter {
            id: given("id"),
            number: given("number"),
            name: given("name"),
            enable: given("enable"),
            start: given("start_modified").and_then(|t| TimeBound::parse(&t, false)),
            end: given("end_modified").and_then(|t| TimeBound::parse(&t, true)),
        }
    }

    fn allows(&self, m: &Member) -> bool {
        self.id.as_ref().is_none_or(|id| m.text("id") == id)
            && self
                .number
                .as_ref()
                .is_none_or(|n| m.text("custom_no") == n)
            && self
                .name
                .as_ref()
                .is_none_or(|n| m.text("name").contains(n.as_str()))
            && self.enable.as_ref().is_none_or(|e| m.text("enable") == e)
            && self.start.as_ref().is_none_or(|b| b.allows(m, false))
            && self.end.as_ref().is_none_or(|b| b.allows(m, true))
    }
}

#[cfg(test)]
mod tests;
