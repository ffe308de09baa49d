//! References by name or number, found offline: a member's `shop`, `sale_shop`, `level` and
//! `customer` are ids of other records of the account, which differ per account; a shop's
//! spreadsheet says 开卡门店 "南京西路店" and 会员级别 "金卡". A value of digits only is
//! taken as an id and sent as it is, unchecked (Kingdee's ids are numbers; an id the lists
//! do not show is Kingdee's to judge); any other value is a reference that a save resolves
//! first (`master_data`). Labels are references only when the configuration says the
//! account takes label ids (`"labels": "resolve_to_ids"`, see [`crate::kingdee::labels`]).

use crate::kingdee::api;
use crate::kingdee::fields::{self, Reference, Rule};
use crate::kingdee::labels::Labels;
use serde::Serialize;
use serde_json::{Map, Value};

/// What kind of record a value refers to, for the lists and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Store,
    Level,
    Customer,
    Label,
}

impl Kind {
    /// The list's path.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Store => api::STORE,
            Kind::Level => api::MEMBER_LEVEL,
            Kind::Customer => api::CUSTOMER,
            Kind::Label => api::LABEL,
        }
    }

    /// What messages call a record of the list.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Store => "store",
            Kind::Level => "member level",
            Kind::Customer => "customer",
            Kind::Label => "label",
        }
    }

    fn of(reference: Reference) -> Kind {
        match reference {
            Reference::Store => Kind::Store,
            Reference::Level => Kind::Level,
            Reference::Customer => Kind::Customer,
        }
    }
}

/// A reference a member gives by name or number, to be resolved before it is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unresolved {
    /// `shop`, `level`, ... or `label[1]`.
    pub field: String,
    pub kind: Kind,
    pub value: String,
}

fn is_id(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

/// The reference values of a validated member that are not ids and that a save under
/// `labels` resolves (offline).
pub(crate) fn unresolved(member: &Map<String, Value>, labels: Labels) -> Vec<Unresolved> {
    let mut found = Vec::new();
    for field in &fields::MEMBER_FIELDS {
        match (field.rule, member.get(field.name)) {
            (Rule::Reference(reference), Some(Value::String(value))) if !is_id(value) => found
                .push(Unresolved {
                    field: field.name.to_string(),
                    kind: Kind::of(reference),
                    value: value.clone(),
                }),
            (Rule::Label, Some(Value::Array(items))) if labels.resolved() => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(value) = item.as_str().filter(|v| !is_id(v)) {
                        found.push(Unresolved {
                            field: format!("label[{i}]"),
                            kind: Kind::Label,
                            value: value.to_string(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_values_that_are_not_ids_need_resolving() {
        let member = json!({"mobile": "13333333333", "name": "a", "shop": "南京西路店", "sale_shop": "1",
            "level": "金卡", "customer": "001", "label": ["1", "VIP"]});
        let member = member.as_object().unwrap();
        let found = unresolved(member, Labels::ResolveToIds);
        let fields: Vec<&str> = found.iter().map(|u| u.field.as_str()).collect();
        assert_eq!(fields, ["label[1]", "level", "shop"]);
        assert_eq!(found[1].kind, Kind::Level);
        // Labels as given: the label list is never needed.
        let found = unresolved(member, Labels::AsGiven);
        let fields: Vec<&str> = found.iter().map(|u| u.field.as_str()).collect();
        assert_eq!(fields, ["level", "shop"]);
    }
}
