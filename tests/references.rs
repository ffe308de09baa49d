//! References by name or number (a shop's spreadsheet says 开卡门店 "南京西路店", 会员级别
//! "金卡"), the generic signed call, and the doctor, against the sandbox's seeded stores,
//! levels, customers and labels.

mod common;

use common::*;
use jdy_member::ffi::{jdy_call, jdy_doctor, jdy_member_validate};
use jdy_member_sandbox::*;
use serde_json::{json, Value};

fn call(client: &CClient, request: &Value) -> Value {
    let text = c(&request.to_string());
    take(unsafe { jdy_call(client.0, text.as_ptr()) })
}

fn doctor(client: &CClient) -> Value {
    expect_ok(&take(unsafe { jdy_doctor(client.0) }))
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

#[test]
fn names_and_numbers_are_saved_as_ids_labels_as_given_and_each_list_is_read_once() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let members: Vec<Value> = (0..10)
        .map(|i| {
            json!({"mobile": (13_100_000_000u64 + i).to_string(), "name": "引用",
                        "shop": "南京西路店", "sale_shop": "MD002", "level": "金卡",
                        "customer": "零售散客", "label": ["VIP", "2"]})
        })
        .collect();
    for member in &members {
        expect_ok(&client.save(member));
    }
    let stored = sandbox.member_by_mobile("13100000000").unwrap();
    assert_eq!(stored["shop"], "850693217107061760");
    assert_eq!(stored["sale_shop"], "850693217107061761");
    assert_eq!(stored["level"], "3");
    assert_eq!(stored["customer"], "001");
    // Whether the account takes label names or ids is unknown: sent as given (tests/labels.rs).
    assert_eq!(stored["label"], json!(["VIP", "2"]));
    assert_eq!(
        sandbox.stats().master_data_calls,
        3,
        "stores, levels, customers: once each; never the labels"
    );
    // Ids (digits only) go as they are, without reading any list.
    let before = sandbox.stats().master_data_calls;
    expect_ok(&client.save(&seed_member()));
    assert_eq!(sandbox.stats().master_data_calls, before);
}

#[test]
fn a_misspelt_store_is_refused_with_a_did_you_mean_and_nothing_is_sent() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let envelope = client.save(
        &json!({"mobile": "13100000001", "name": "错字", "shop": "南京西路", "level": "钻石卡"}),
    );
    let error = expect_error(&envelope, "validation");
    let fields = error["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2, "{error}");
    let shop = fields.iter().find(|f| f["field"] == "shop").unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        shop.starts_with("no store named \"南京西路\" — did you mean 南京西路店 (编码 MD001)"),
        "{shop}"
    );
    let level = fields.iter().find(|f| f["field"] == "level").unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(level.contains("member level"), "{level}");
    let stats = sandbox.stats();
    assert_eq!(stats.save_calls, 0, "refused before anything is sent");
    // A miss reads the list once more, at once, in case the store is new.
    assert_eq!(stats.master_data_calls, 4, "{stats:?}");
    // Another typo right after reads no list again: a run of typos cannot spend the budget.
    let again = client.save(&json!({"mobile": "13100000002", "name": "错字", "shop": "南京东"}));
    expect_error(&again, "validation");
    assert_eq!(sandbox.stats().master_data_calls, 4);
}

#[test]
fn a_batch_resolves_every_reference_before_sending_anything() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let members = json!([
        {"mobile": "13100000011", "name": "甲", "shop": "徐家汇店"},
        {"mobile": "13100000012", "name": "乙", "shop": "不存在的店"},
        {"mobile": "13100000013", "name": "丙", "shop": "MD004"},
    ]);
    let summary = batch(&client, &members, r#"{"concurrency": 2}"#);
    assert_eq!(
        (summary["saved"].as_u64(), summary["refused"].as_u64()),
        (Some(2), Some(1)),
        "{summary}"
    );
    assert_eq!(summary["results"][1]["error"]["fields"][0]["field"], "shop");
    assert_eq!(
        sandbox.member_by_mobile("13100000013").unwrap()["shop"],
        "850693217107061763"
    );
    assert_eq!(sandbox.stats().save_calls, 2);
}

#[test]
fn validation_stays_offline_and_says_which_references_a_save_resolves() {
    let member = c(
        &json!({"mobile": "13100000021", "name": "离线", "shop": "南京西路店", "level": "1"})
            .to_string(),
    );
    let text = take(unsafe { jdy_member_validate(member.as_ptr()) });
    assert_eq!(text["ok"], true);
    assert_eq!(text["data"]["shop"], "南京西路店", "kept as given");
    assert_eq!(
        text["references"],
        json!([{"field": "shop", "kind": "store", "value": "南京西路店"}])
    );
    let raw = unsafe {
        let ptr = jdy_member_validate(member.as_ptr());
        let s = std::ffi::CStr::from_ptr(ptr).to_str().unwrap().to_string();
        jdy_member::ffi::jdy_string_free(ptr);
        s
    };
    assert!(raw.starts_with("{\"ok\":true,\"data\":{"), "{raw}");
    assert!(
        raw.ends_with(
            ",\"references\":[{\"field\":\"shop\",\"kind\":\"store\",\"value\":\"南京西路店\"}]}"
        ),
        "{raw}"
    );
}

#[test]
fn the_generic_call_reads_stores_and_levels_and_refuses_other_paths() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let stores = expect_ok(&call(
        &client,
        &json!({"method": "GET", "path": "/jdy/v2/ls/store", "query": {"page": 1, "page_size": 100}}),
    ));
    let names: Vec<&str> = stores["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"南京西路店"), "{stores}");
    let levels = expect_ok(&call(
        &client,
        &json!({"method": "get", "path": "/jdy/v2/ls/mb_level"}),
    ));
    assert_eq!(levels["rows"][0]["name"], "普通会员");
    for path in [
        "/jdyconnector/app_management/kingdee_auth_token",
        "/jdy/../etc/passwd",
        "https://example.com/jdy/v2",
    ] {
        let error = expect_error(
            &call(&client, &json!({"method": "GET", "path": path})),
            "validation",
        );
        assert_eq!(error["fields"][0]["field"], "path", "{path}");
    }
    let missing = call(
        &client,
        &json!({"method": "GET", "path": "/jdy/v2/ls/nothing"}),
    );
    assert_eq!(expect_error(&missing, "api")["errcode"], 5001);
}

#[test]
fn a_post_is_not_sent_again_after_an_unclear_failure_unless_it_is_idempotent() {
    let sandbox = sandbox();
    let mut config = config(&sandbox);
    config["retry_backoff_ms"] = 10.into();
    let client = CClient::new(&config);
    let adjust = json!({"member_id": "1534104111400644608", "points": 10});
    sandbox.inject(FaultRule::on(
        "POST",
        "/jdy/v2/ls/integral_adjust",
        Fault::DropAfterProcessing,
    ));
    let error = expect_error(
        &call(
            &client,
            &json!({"method": "POST", "path": "/jdy/v2/ls/integral_adjust", "body": adjust}),
        ),
        "network",
    );
    assert_eq!(error["outcome_unknown"], true, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("idempotent"),
        "{error}"
    );
    assert_eq!(
        sandbox.points_applied().len(),
        1,
        "applied once, not sent again"
    );

    let with_bill =
        json!({"member_id": "1534104111400644608", "points": 5, "src_bill_id": "POS-0001"});
    sandbox.inject(FaultRule::on(
        "POST",
        "/jdy/v2/ls/integral_adjust",
        Fault::DropAfterProcessing,
    ));
    let answer = expect_ok(&call(
        &client,
        &json!({"method": "POST", "path": "/jdy/v2/ls/integral_adjust", "body": with_bill, "idempotent": true}),
    ));
    assert_eq!(answer["balance"], 15, "{answer}");
    assert_eq!(
        sandbox.points_applied().len(),
        2,
        "the bill applied once though sent twice"
    );
    assert_eq!(sandbox.stats().points_calls, 3);
}

#[test]
fn the_doctor_names_a_ten_minute_clock_skew_and_a_missing_permission() {
    let sandbox = sandbox_with(Behaviour {
        denied_paths: vec!["/jdy/v2/ls/store".into()],
        ..Behaviour::unlimited()
    });
    // The gateway is 10 minutes behind this machine.
    sandbox.set_clock_offset_ms(-600_000);
    let client = CClient::new(&config_outer(&sandbox));
    let report = doctor(&client);
    let clock = check(&report, "clock");
    assert_eq!(clock["verdict"], "fail", "{clock}");
    let detail = clock["detail"].as_str().unwrap();
    assert!(
        detail.contains("ahead of")
            && (detail.contains(" 600 s")
                || detail.contains(" 599 s")
                || detail.contains(" 601 s")),
        "{detail}"
    );
    let store = check(&report, "permission store list");
    assert_eq!(store["verdict"], "fail", "{store}");
    assert!(
        store["detail"].as_str().unwrap().contains("4012"),
        "{store}"
    );
    assert!(
        store["advice"]
            .as_str()
            .unwrap()
            .contains("developer console"),
        "{store}"
    );
    assert_eq!(check(&report, "permission member list")["verdict"], "ok");
    assert_eq!(check(&report, "authorization")["verdict"], "ok");
    assert_eq!(report["failed"], 2, "{report}");
}

#[test]
fn the_doctor_needs_the_label_list_only_when_labels_are_resolved() {
    let sandbox = sandbox_with(Behaviour {
        denied_paths: vec!["/jdy/v2/bd/label".into()],
        ..Behaviour::unlimited()
    });
    let report = doctor(&CClient::new(&config(&sandbox)));
    let label = check(&report, "permission label list");
    assert_eq!(label["verdict"], "skipped", "{label}");
    assert!(
        label["detail"].as_str().unwrap().starts_with("not needed"),
        "{label}"
    );
    assert_eq!(report["failed"], 0, "{report}");
    let mut resolving = config(&sandbox);
    resolving["labels"] = "resolve_to_ids".into();
    let report = doctor(&CClient::new(&resolving));
    let label = check(&report, "permission label list");
    assert_eq!(label["verdict"], "fail", "{label}");
    assert!(
        label["detail"].as_str().unwrap().contains("4012"),
        "{label}"
    );
    assert_eq!(report["failed"], 1, "{report}");
}

#[test]
fn the_doctor_says_when_the_gateway_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = json!({
        "client_id": "fake-id", "client_secret": "fake-secret-of-32-characters-00",
        "app_key": "fake-key", "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com",
        "token_cache_path": null, "max_retries": 0,
    });
    config["base_url"] = format!("http://127.0.0.1:{port}").into();
    let report = doctor(&CClient::new(&config));
    let gateway = check(&report, "gateway");
    assert_eq!(gateway["verdict"], "fail", "{report}");
    assert!(
        gateway["advice"].as_str().unwrap().contains("network"),
        "{gateway}"
    );
    assert!(
        !report.to_string().contains("fake-secret"),
        "no secret in the report"
    );
}

#[test]
fn the_doctor_tells_a_refusal_from_an_unreachable_gateway_and_names_a_spent_budget() {
    // Wrong credentials: the gateway answered, so it is reachable; the token check fails.
    let sandbox = sandbox();
    let mut wrong = config(&sandbox);
    wrong["client_secret"] = "fake-wrong-secret-of-32-chars-00".into();
    let report = doctor(&CClient::new(&wrong));
    assert_eq!(check(&report, "gateway")["verdict"], "ok", "{report}");
    let token = check(&report, "token");
    assert_eq!(token["verdict"], "fail", "{report}");
    assert!(
        token["advice"].as_str().unwrap().contains("client_secret"),
        "{token}"
    );
    assert!(
        !report.to_string().contains("fake-wrong-secret"),
        "no secret in the report"
    );

    // An account budget of 3 a minute: the later permission reads are rate limited, and
    // the budget check says the account is shared.
    let limited = sandbox_with(Behaviour {
        account_budget: Some(Limit {
            requests: 3,
            window_ms: 60_000,
        }),
        ..Behaviour::unlimited()
    });
    let mut short = config(&limited);
    short["deadline_ms"] = 1500.into();
    let report = doctor(&CClient::new(&short));
    assert_eq!(check(&report, "gateway")["verdict"], "ok", "{report}");
    assert_eq!(
        check(&report, "permission member detail")["verdict"],
        "ok",
        "{report}"
    );
    assert_eq!(
        check(&report, "permission customer list")["verdict"],
        "fail",
        "{report}"
    );
    let budget = check(&report, "request budget");
    assert_eq!(budget["verdict"], "warn", "{report}");
    assert!(
        budget["detail"].as_str().unwrap().contains("rate-limited"),
        "{budget}"
    );
}
