//! A member's `label`, under the two readings Kingdee's documentation leaves open.
//!
//! The seed types `label` as a list of strings and calls it 标签, without the word id that
//! the other references carry; nothing public says whether the gateway wants label names or
//! the ids of the basic-data label list (`GET /jdy/v2/bd/label`), nor ties that list to
//! retail members (notes §6). Sending labels as given loses nothing under either reading:
//! an account that takes ids refuses a name, and the refusal says so. Rewriting names to
//! ids on a guess would store meaningless labels on an account that takes names, and nobody
//! would be told. So labels go as given unless the configuration says the account takes ids.

use crate::error::Error;
use serde_json::{Map, Value};

/// What a save does with the labels it is given (`"labels"` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Labels {
    /// Sent exactly as given (the default: right whichever reading the account has, or
    /// refused with Kingdee's description).
    #[default]
    AsGiven,
    /// A label that is not digits only is looked up by number (编码) or name in the label
    /// list and sent as its id: for accounts known to take label ids.
    ResolveToIds,
}

impl Labels {
    /// The value in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Labels::AsGiven => "as_given",
            Labels::ResolveToIds => "resolve_to_ids",
        }
    }

    /// The reading a configuration value names.
    pub fn parse(text: &str) -> Option<Labels> {
        match text {
            "as_given" => Some(Labels::AsGiven),
            "resolve_to_ids" => Some(Labels::ResolveToIds),
            _ => None,
        }
    }

    /// Whether saves read the label list.
    pub fn resolved(self) -> bool {
        self == Labels::ResolveToIds
    }
}

/// The problem with a `labels` value that is neither reading.
pub(crate) const EXPECTED: &str = "`labels` must be \"as_given\" (the default: labels are sent exactly as given) or \"resolve_to_ids\" (label names are looked up in the account's label list, GET /jdy/v2/bd/label, and sent as ids)";

/// Whether Kingdee's text is about labels.
fn mentions_labels(text: &str) -> bool {
    text.contains("标签") || text.to_lowercase().contains("label")
}

/// `error`, a refusal of a save of `member`, with the other reading to try when the member
/// carried labels and Kingdee's description is about them. Kingdee's text stays untouched in
/// `description`; only the English message grows.
pub(crate) fn with_reading_hint(
    mut error: Error,
    member: &Map<String, Value>,
    labels: Labels,
) -> Error {
    let carried = member
        .get("label")
        .and_then(Value::as_array)
        .is_some_and(|items| !items.is_empty());
    let about_labels = [
        error.description.as_deref(),
        error.description_cn.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(mentions_labels);
    if !(carried && about_labels) {
        return error;
    }
    let hint = match labels {
        Labels::AsGiven => "labels were sent as given; if this account takes label ids, set \"labels\": \"resolve_to_ids\" in the configuration (or give the ids)",
        Labels::ResolveToIds => "labels given by name or number were sent as the ids of the label list (\"labels\": \"resolve_to_ids\"); if this account takes label names, set \"labels\": \"as_given\" (the default)",
    };
    error.message = format!("{}; {hint}", error.message);
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn refusal(description: &str) -> Error {
        Error::new(
            ErrorKind::Api,
            "member save failed with errcode 1 (HTTP 200)",
        )
        .with_errcode(1, Some(description.into()))
    }

    #[test]
    fn the_two_readings_parse_and_nothing_else() {
        assert_eq!(Labels::default(), Labels::AsGiven);
        for labels in [Labels::AsGiven, Labels::ResolveToIds] {
            assert_eq!(Labels::parse(labels.as_str()), Some(labels));
        }
        assert_eq!(Labels::parse("ids"), None);
        assert_eq!(Labels::parse("AS_GIVEN"), None);
    }

    #[test]
    fn a_refusal_about_labels_names_the_other_reading() {
        let member = json!({"label": ["VIP"]}).as_object().unwrap().clone();
        let error = with_reading_hint(refusal("标签不存在: VIP"), &member, Labels::AsGiven);
        assert!(
            error.message.ends_with(
                "set \"labels\": \"resolve_to_ids\" in the configuration (or give the ids)"
            ),
            "{}",
            error.message
        );
        assert_eq!(
            error.description.as_deref(),
            Some("标签不存在: VIP"),
            "untouched"
        );
        let error = with_reading_hint(refusal("unknown Label 7"), &member, Labels::ResolveToIds);
        assert!(
            error.message.contains("\"labels\": \"as_given\""),
            "{}",
            error.message
        );
    }

    #[test]
    fn other_refusals_and_members_without_labels_get_no_hint() {
        let labelled = json!({"label": ["VIP"]}).as_object().unwrap().clone();
        let plain = refusal("组合值与其他表单重复");
        assert_eq!(
            with_reading_hint(plain.clone(), &labelled, Labels::AsGiven),
            plain
        );
        for member in [json!({}), json!({"label": []}), json!({"label": null})] {
            let error = refusal("标签不存在: VIP");
            let member = member.as_object().unwrap().clone();
            assert_eq!(
                with_reading_hint(error.clone(), &member, Labels::AsGiven),
                error
            );
        }
    }
}
