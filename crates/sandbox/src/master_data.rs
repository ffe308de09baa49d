//! The records a member refers to (stores, member levels, customers, labels), seeded with a
//! small account's worth. Ids differ per account in Kingdee; these are the sandbox's.

use serde_json::{json, Value};

/// A store, level, customer or label: id, number (编码), name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The id a member refers to it by.
    pub id: &'static str,
    /// Its number (编码).
    pub number: &'static str,
    /// Its name.
    pub name: &'static str,
}

const fn record(id: &'static str, number: &'static str, name: &'static str) -> Record {
    Record { id, number, name }
}

/// The stores; the first is the seed's example shop.
pub const STORES: [Record; 4] = [
    record("850693217107061760", "MD001", "南京西路店"),
    record("850693217107061761", "MD002", "南京东路店"),
    record("850693217107061762", "MD003", "徐家汇店"),
    record("850693217107061763", "MD004", "虹桥机场店"),
];

/// The member levels; `1` is the ordinary member (notes §5).
pub const LEVELS: [Record; 3] = [
    record("1", "L01", "普通会员"),
    record("2", "L02", "银卡"),
    record("3", "L03", "金卡"),
];

/// The customers; `001` is the seed's example.
pub const CUSTOMERS: [Record; 2] = [
    record("001", "KH001", "零售散客"),
    record("002", "KH002", "上海申华贸易有限公司"),
];

/// The labels (those of `examples/members.csv` among them).
pub const LABELS: [Record; 5] = [
    record("1", "BQ001", "VIP"),
    record("2", "BQ002", "老客户"),
    record("3", "BQ003", "会员日"),
    record("4", "BQ004", "学生"),
    record("5", "BQ005", "团购"),
];

/// The record with `id` in `records`.
pub fn by_id(records: &[Record], id: &str) -> Option<Record> {
    records.iter().copied().find(|r| r.id == id)
}

/// A store as `GET /jdy/v2/ls/store` lists it.
pub fn store_row(store: &Record) -> Value {
    json!({"id": store.id, "number": store.number, "name": store.name, "enable": "1"})
}

/// A level as `GET /jdy/v2/ls/mb_level` lists it.
pub fn level_row(level: &Record, index: usize) -> Value {
    json!({"id": level.id, "number": level.number, "name": level.name, "index": index + 1,
           "in_system": index == 0, "enable": "1", "enjoy": "1"})
}

/// A customer or label row.
pub fn plain_row(record: &Record) -> Value {
    json!({"id": record.id, "number": record.number, "name": record.name})
}
