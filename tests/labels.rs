//! A member's labels under both readings of Kingdee's `label` (names, or ids of the label
//! list), which public sources do not settle: the sandbox plays each (`labels: names | ids`),
//! and the library sends labels as given unless configured with
//! `"labels": "resolve_to_ids"`. Also: a save never fails because of a list it did not need,
//! and a list it does need that cannot be read fails it before anything is sent.

mod common;

use common::*;
use jdy_member::labels::Labels;
use jdy_member_sandbox::*;
use serde_json::{json, Value};

const LABELS: [&str; 2] = ["VIP", "老客户"];

fn labelled(mobile: &str) -> Value {
    json!({"mobile": mobile, "name": "标签会员", "label": LABELS})
}

fn reading(labels: LabelReading) -> Behaviour {
    Behaviour {
        labels,
        ..Behaviour::unlimited()
    }
}

fn resolving(sandbox: &Sandbox) -> Value {
    let mut config = config(sandbox);
    config["labels"] = "resolve_to_ids".into();
    config
}

fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap()
}

#[test]
fn labels_are_stored_exactly_as_given_by_default() {
    let sandbox = sandbox_with(reading(LabelReading::Names));
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&labelled("13100000101")));
    assert_eq!(
        sandbox.member_by_mobile("13100000101").unwrap()["label"],
        json!(LABELS)
    );
    assert_eq!(sandbox.stats().master_data_calls, 0, "no list was read");
}

#[test]
fn resolving_sends_label_ids_to_an_account_that_takes_ids() {
    let sandbox = sandbox_with(reading(LabelReading::Ids));
    let client = CClient::new(&resolving(&sandbox));
    expect_ok(&client.save(&labelled("13100000102")));
    assert_eq!(
        sandbox.member_by_mobile("13100000102").unwrap()["label"],
        json!(["1", "2"])
    );
    assert_eq!(sandbox.stats().master_data_calls, 1, "the label list, once");
}

#[test]
fn labels_as_given_refused_by_an_account_of_ids_say_to_resolve_them() {
    let sandbox = sandbox_with(reading(LabelReading::Ids));
    let client = CClient::new(&config(&sandbox));
    // The sandbox refuses field errors with 2000002000, Kingdee's "system error" (a guess),
    // which the library looks up and tries once more before it reports `server`.
    let error = expect_error(&client.save(&labelled("13100000103")), "server");
    assert_eq!(
        error["description"], "标签不存在: VIP",
        "Kingdee's text untouched"
    );
    assert!(
        message(&error).ends_with(
            "labels were sent as given; if this account takes label ids, set \"labels\": \"resolve_to_ids\" in the configuration (or give the ids)"
        ),
        "{error}"
    );
    assert_ne!(error["outcome_unknown"], true, "{error}");
    assert!(sandbox.members().is_empty(), "nothing stored");
    assert_eq!(sandbox.stats().master_data_calls, 0);
}

#[test]
fn resolving_against_an_account_of_names_stores_ids_which_is_why_it_is_not_the_default() {
    // Nothing tells the client: the account stores "1" and "2" as the member's labels.
    let sandbox = sandbox_with(reading(LabelReading::Names));
    let client = CClient::new(&resolving(&sandbox));
    expect_ok(&client.save(&labelled("13100000104")));
    assert_eq!(
        sandbox.member_by_mobile("13100000104").unwrap()["label"],
        json!(["1", "2"])
    );
}

#[test]
fn a_refusal_under_resolve_to_ids_names_the_other_reading() {
    // A label the list does not know is refused before sending; one given as an id the
    // account does not have is Kingdee's to refuse, and the message points the other way.
    let sandbox = sandbox_with(reading(LabelReading::Ids));
    let client = CClient::new(&resolving(&sandbox));
    let member = json!({"mobile": "13100000105", "name": "标签会员", "label": ["VIP", "99"]});
    let error = expect_error(&client.save(&member), "server");
    assert_eq!(error["description"], "标签不存在: 99");
    assert!(
        message(&error).contains("if this account takes label names, set \"labels\": \"as_given\""),
        "{error}"
    );
    let unknown = json!({"mobile": "13100000106", "name": "标签会员", "label": ["钻石"]});
    let error = expect_error(&client.save(&unknown), "validation");
    assert_eq!(error["fields"][0]["field"], "label[0]", "{error}");
    assert!(sandbox.members().is_empty());
}

#[test]
fn a_labelled_save_succeeds_and_reads_no_list_when_the_label_list_is_unreadable() {
    for (missing, denied) in [(true, false), (false, true)] {
        let path = vec!["/jdy/v2/bd/label".to_string()];
        let sandbox = sandbox_with(Behaviour {
            missing_paths: if missing { path.clone() } else { Vec::new() },
            denied_paths: if denied { path } else { Vec::new() },
            ..Behaviour::unlimited()
        });
        let client = CClient::new(&config(&sandbox));
        let member = json!({"mobile": "13100000107", "name": "标签会员", "label": LABELS,
                            "level": "金卡"});
        expect_ok(&client.save(&member));
        let stored = sandbox.member_by_mobile("13100000107").unwrap();
        assert_eq!(stored["label"], json!(LABELS));
        assert_eq!(
            stored["level"], "3",
            "the level list is read; the label list is not"
        );
        let stats = sandbox.stats();
        assert_eq!(stats.master_data_calls, 1, "{stats:?}");
        assert!(stats.rejections.is_empty(), "{stats:?}");
    }
}

#[test]
fn a_store_by_name_with_an_unreadable_store_list_is_not_sent_and_the_error_says_what_to_grant() {
    for (errcode, kind) in [(4012, "auth"), (5001, "api")] {
        let path = vec!["/jdy/v2/ls/store".to_string()];
        let sandbox = sandbox_with(Behaviour {
            denied_paths: if errcode == 4012 {
                path.clone()
            } else {
                Vec::new()
            },
            missing_paths: if errcode == 5001 { path } else { Vec::new() },
            ..Behaviour::unlimited()
        });
        let client = CClient::new(&config(&sandbox));
        let member = json!({"mobile": "13100000108", "name": "门店会员", "shop": "南京西路店",
                            "label": LABELS});
        let error = expect_error(&client.save(&member), kind);
        assert_eq!(error["errcode"], errcode, "{error}");
        assert_eq!(error["http_status"], 519, "{error}");
        assert!(
            error["description"].as_str().is_some_and(|d| !d.is_empty()),
            "Kingdee's description passed on: {error}"
        );
        assert_ne!(error["outcome_unknown"], true, "{error}");
        let text = message(&error);
        for needle in [
            "shop \"南京西路店\" names a store that must be looked up",
            "the store list (GET /jdy/v2/ls/store) failed with errcode",
            "grant GET /jdy/v2/ls/store to the app in Kingdee's developer console",
            "or give the store's id instead; the member was not sent",
        ] {
            assert!(text.contains(needle), "{errcode}: {needle:?} not in {text}");
        }
        // A batch (an import) refuses the row up front; the other member is saved.
        let summary = batch(
            &client,
            &json!([member, {"mobile": "13100000109", "name": "无门店"}]),
            "{}",
        );
        assert_eq!(summary["saved"], 1, "{summary}");
        assert_eq!(
            summary["results"][0]["error"]["errcode"], errcode,
            "{summary}"
        );
        let stats = sandbox.stats();
        assert_eq!(
            stats.save_calls, 1,
            "only the member without a store: {stats:?}"
        );
        assert!(sandbox.member_by_mobile("13100000108").is_none());
    }
}

#[test]
fn labels_to_resolve_with_an_unreadable_label_list_fail_naming_the_label_list() {
    let sandbox = sandbox_with(Behaviour {
        missing_paths: vec!["/jdy/v2/bd/label".into()],
        ..Behaviour::unlimited()
    });
    let client = CClient::new(&resolving(&sandbox));
    let error = expect_error(&client.save(&labelled("13100000110")), "api");
    assert_eq!(error["errcode"], 5001);
    assert!(
        message(&error).starts_with(
            "label[0] \"VIP\" names a label that must be looked up, and the label list (GET /jdy/v2/bd/label) failed"
        ),
        "{error}"
    );
    assert_eq!(sandbox.stats().save_calls, 0);
}

#[test]
fn validation_lists_labels_as_references_only_when_they_are_resolved() {
    let member = json!({"mobile": "13100000111", "name": "离线", "shop": "南京西路店",
                        "label": ["1", "老客户"]});
    let store = json!({"field": "shop", "kind": "store", "value": "南京西路店"});
    // The C ABI's offline validation has no configuration: it answers for the default.
    let envelope = validate(&member);
    assert_eq!(envelope["data"]["label"], json!(["1", "老客户"]));
    assert_eq!(envelope["references"], json!([store]));
    let normalised = jdy_member::member::validate(member.as_object().unwrap()).unwrap();
    for (labels, expected) in [
        (Labels::AsGiven, json!([store])),
        (
            Labels::ResolveToIds,
            json!([{"field": "label[1]", "kind": "label", "value": "老客户"}, store]),
        ),
    ] {
        let envelope = jdy_member::member::validated_envelope(normalised.clone(), labels);
        let envelope = serde_json::to_value(&envelope).unwrap();
        assert_eq!(envelope["references"], expected, "{labels:?}");
    }
}
