//! Reliability: every fault the sandbox can inject, into save, get and list, ends with each
//! member stored exactly once and the caller told the truth.

mod common;

use common::*;
use jdy_member_sandbox::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SAVE: (&str, &str) = ("POST", "/jdy/v2/ls/member");
const GET: (&str, &str) = ("GET", "/jdy/v2/ls/member_detail");
const LIST: (&str, &str) = ("GET", "/jdy/v2/ls/member");

/// A client that gives up on a silent gateway quickly and retries without long waits.
fn fast_config(sandbox: &Sandbox) -> Value {
    let mut config = config(sandbox);
    config["timeout_ms"] = 400.into();
    config["retry_backoff_ms"] = 10.into();
    config["max_retries"] = 3.into();
    config["deadline_ms"] = 10_000.into();
    config
}

fn rule(target: (&str, &str), fault: Fault) -> FaultRule {
    FaultRule {
        path: Some(target.1.to_string()),
        method: Some(target.0.to_string()),
        times: 1,
        fault,
    }
}

/// The next request to `target` is answered HTTP 200 with exactly `body`.
fn answer_with(target: (&str, &str), body: &str) -> FaultRule {
    rule(
        target,
        Fault::Status {
            status: 200,
            body: Some(body.to_string()),
            after_processing: false,
        },
    )
}

fn assert_each_saved_once(sandbox: &Sandbox, expected: usize) {
    let stats = sandbox.stats();
    assert_eq!(
        stats.saves_by_mobile.len(),
        expected,
        "{:?}",
        stats.saves_by_mobile
    );
    let twice: Vec<_> = stats
        .saves_by_mobile
        .iter()
        .filter(|(_, n)| **n != 1)
        .collect();
    assert!(twice.is_empty(), "saved more than once: {twice:?}");
    assert_eq!(sandbox.members().len(), expected);
}

/// Every fault, and whether it leaves the save applied.
fn faults() -> Vec<(&'static str, Fault, bool)> {
    let status = |status, after_processing| Fault::Status {
        status,
        body: None,
        after_processing,
    };
    let gateway = |errcode, after_processing| Fault::Gateway {
        errcode,
        after_processing,
    };
    vec![
        ("HTTP 500", status(500, false), false),
        ("HTTP 500 after the save", status(500, true), true),
        ("HTTP 502", status(502, false), false),
        ("HTTP 502 after the save", status(502, true), true),
        ("HTTP 503", status(503, false), false),
        ("gateway 5000", gateway(5000, false), false),
        ("gateway 5000 after the save", gateway(5000, true), true),
        ("gateway 5003", gateway(5003, false), false),
        ("gateway 5004 after the save", gateway(5004, true), true),
        ("gateway 5005", gateway(5005, false), false),
        ("gateway 5006", gateway(5006, false), false),
        ("gateway 5007", gateway(5007, false), false),
        ("HTTP 429", Fault::RateLimited, false),
        (
            "connection dropped before the save",
            Fault::DropBeforeProcessing,
            false,
        ),
        (
            "connection dropped after the save",
            Fault::DropAfterProcessing,
            true,
        ),
        (
            "answer slower than the timeout, after the save",
            Fault::Delay {
                ms: 1_500,
                after_processing: true,
            },
            true,
        ),
        (
            "answer slow but within the timeout",
            Fault::Delay {
                ms: 150,
                after_processing: false,
            },
            true,
        ),
        (
            "non-JSON answer",
            Fault::NotJson {
                status: Some(502),
                after_processing: false,
            },
            false,
        ),
        (
            "non-JSON answer after the save",
            Fault::NotJson {
                status: Some(200),
                after_processing: true,
            },
            true,
        ),
        (
            "oversized answer after the save",
            Fault::Oversized { bytes: 9 << 20 },
            true,
        ),
    ]
}

/// Runs `check` once per form of Kingdee's unknown behaviours (duplicates refused or
/// updated, "not found" as null, errcode or {}, encryption on or off), each against its own
/// sandbox, in parallel.
fn under_every_form(check: impl Fn(&Sandbox, &Behaviour) + Sync) {
    std::thread::scope(|scope| {
        for behaviour in Behaviour::every_unknown(&Behaviour::unlimited()) {
            let check = &check;
            scope.spawn(move || {
                let sandbox = sandbox_with(behaviour.clone());
                check(&sandbox, &behaviour);
            });
        }
    });
}

#[test]
fn every_fault_into_save_ends_with_the_member_saved_once_and_the_truth_told() {
    under_every_form(|sandbox, behaviour| {
        let client = CClient::new(&fast_config(sandbox));
        let faults = faults();
        for (i, (name, fault, applied_by_fault)) in faults.iter().enumerate() {
            sandbox.inject(rule(SAVE, fault.clone()));
            let mobile = 13_000_000_100 + i as u64;
            let envelope = client.save(&member(mobile, "故障会员"));
            let data = expect_ok(&envelope);
            let context = format!("{name} under {behaviour:?}: {envelope}");
            assert_eq!(data["name"], "故障会员", "{context}");
            assert_eq!(data["mobile"], mobile.to_string(), "plaintext: {context}");
            let recovered = envelope.get("recovered") == Some(&Value::Bool(true));
            let answered_normally = matches!(fault, Fault::Delay { ms: 150, .. });
            assert_eq!(
                recovered,
                *applied_by_fault && !answered_normally,
                "the recovered flag tells whether the answer was lost: {context}"
            );
            assert_each_saved_once(sandbox, i + 1);
        }
        assert_eq!(sandbox.stats().faults_fired, faults.len() as u64);
    });
}

#[test]
fn every_fault_into_get_and_list_is_retried_to_success_in_plaintext() {
    under_every_form(|sandbox, behaviour| {
        let client = CClient::new(&fast_config(sandbox));
        expect_ok(&client.save(&seed_member()));
        for (name, fault, _) in faults() {
            sandbox.inject(rule(GET, fault.clone()));
            let got = expect_ok(&client.get(&json!({"mobile": "13333333333"})));
            assert_eq!(got["name"], "会员A", "get under {name}, {behaviour:?}");
            assert_eq!(
                got["mobile"], "13333333333",
                "get under {name}, {behaviour:?}"
            );
            sandbox.inject(rule(LIST, fault));
            let page = expect_ok(&client.list(&json!({"page": 1})));
            assert_eq!(page["count"], 1, "list under {name}, {behaviour:?}");
            assert_eq!(page["rows"][0]["mobile"], "13333333333", "{behaviour:?}");
            assert_eq!(page["rows"][0]["address"], "410", "{behaviour:?}");
        }
        let missing = expect_ok(&client.get(&json!({"mobile": "13900009999"})));
        assert_eq!(
            missing,
            Value::Null,
            "not found is null under {behaviour:?}"
        );
        assert_each_saved_once(sandbox, 1);
    });
}

#[test]
fn a_refusal_after_an_ambiguous_attempt_is_checked_not_passed_on() {
    // The save is applied but its answer lost; the first lookup is told "not found" (a
    // lagging replica, say), so the save goes again and is refused as a duplicate: the
    // library looks again, finds its own member, and reports it recovered.
    let sandbox = sandbox_with(Behaviour {
        duplicate_mobile: DuplicateMobile::Refuse,
        ..Behaviour::unlimited()
    });
    let client = CClient::new(&fast_config(&sandbox));
    sandbox.inject(rule(SAVE, Fault::DropAfterProcessing));
    sandbox.inject(answer_with(
        GET,
        r#"{"errcode":0,"description":"success","data":null}"#,
    ));
    let envelope = client.save(&seed_member());
    assert_eq!(expect_ok(&envelope)["name"], "会员A");
    assert_eq!(envelope["recovered"], true, "{envelope}");
    let stats = sandbox.stats();
    assert_eq!(stats.save_calls, 2);
    assert_eq!(stats.rejections.get("1000000004"), Some(&1), "{stats:?}");
    assert_each_saved_once(&sandbox, 1);

    // A duplicate of someone else's member is passed on as the refusal it is.
    let other = json!({"mobile": "13333333333", "name": "别人"});
    let error = expect_error(&client.save(&other), "api");
    assert!(
        error["description"]
            .as_str()
            .unwrap()
            .contains("组合值与其他表单重复"),
        "{error}"
    );
    assert!(error.get("outcome_unknown").is_none());
}

#[test]
fn a_stored_member_that_differs_from_what_was_sent_is_not_taken_for_it() {
    // An update (same mobile, new birthday) whose answer is lost: detail shows only mobile
    // and name, which match; the list row shows the old birthday, so it is sent again.
    let sandbox = sandbox_with(Behaviour {
        duplicate_mobile: DuplicateMobile::Update,
        ..Behaviour::unlimited()
    });
    let client = CClient::new(&fast_config(&sandbox));
    expect_ok(&client.save(&seed_member()));
    let mut changed = seed_member();
    changed["birthday"] = "1990-01-02".into();
    sandbox.inject(rule(SAVE, Fault::DropBeforeProcessing));
    sandbox.inject(rule(
        SAVE,
        Fault::Gateway {
            errcode: 5000,
            after_processing: false,
        },
    ));
    let envelope = client.save(&changed);
    expect_ok(&envelope);
    assert!(envelope.get("recovered").is_none(), "{envelope}");
    assert_eq!(
        sandbox.member_by_mobile("13333333333").unwrap()["birthday"],
        "1990-01-02"
    );
    let stats = sandbox.stats();
    assert_eq!(
        stats.list_calls, 2,
        "the list row was consulted after each lost answer"
    );
    assert_eq!(stats.save_calls, 4);
}

#[test]
fn faults_on_the_token_endpoint_are_retried() {
    let sandbox = sandbox();
    let client = CClient::new(&fast_config(&sandbox));
    let token = ("GET", "/jdyconnector/app_management/kingdee_auth_token");
    sandbox.inject(rule(token, Fault::DropBeforeProcessing));
    sandbox.inject(rule(
        token,
        Fault::Gateway {
            errcode: 5003,
            after_processing: false,
        },
    ));
    expect_ok(&client.save(&member(13_000_000_900, "令牌")));
    assert_each_saved_once(&sandbox, 1);
}

#[test]
fn persistent_failure_gives_up_within_the_deadline_and_says_so() {
    let sandbox = sandbox();
    let mut config = fast_config(&sandbox);
    config["deadline_ms"] = 1_500.into();
    config["max_retries"] = 10.into();
    let client = CClient::new(&config);
    sandbox.inject(FaultRule {
        times: 1_000,
        ..rule(
            SAVE,
            Fault::Gateway {
                errcode: 5003,
                after_processing: false,
            },
        )
    });
    let started = Instant::now();
    let error = expect_error(&client.save(&member(13_000_000_901, "放弃")), "server");
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error["errcode"], 5003);
    assert!(
        error["message"].as_str().unwrap().contains("gave up"),
        "{error}"
    );
    assert_each_saved_once(&sandbox, 0);
}

#[test]
fn an_ambiguous_save_whose_check_also_fails_reports_the_outcome_as_unknown() {
    let sandbox = sandbox();
    let mut config = fast_config(&sandbox);
    config["deadline_ms"] = 1_500.into();
    let client = CClient::new(&config);
    sandbox.inject(rule(SAVE, Fault::DropAfterProcessing));
    sandbox.inject(FaultRule {
        times: 1_000,
        ..rule(
            GET,
            Fault::Status {
                status: 503,
                body: None,
                after_processing: false,
            },
        )
    });
    let error = expect_error(&client.save(&member(13_000_000_902, "未知")), "network");
    assert_eq!(error["outcome_unknown"], true, "{error}");
    assert_eq!(error["retryable"], false);
    assert!(error["message"].as_str().unwrap().contains("look it up"));
    sandbox.clear_faults();
    assert_each_saved_once(&sandbox, 1);
}

#[test]
fn a_till_ten_minutes_fast_still_saves() {
    let sandbox = sandbox();
    // The gateway is ten minutes behind this machine: as seen from the gateway, the till
    // is ten minutes fast.
    sandbox.set_clock_offset_ms(-600_000);
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&member(13_000_001_000, "快钟")));
    expect_ok(&client.save(&member(13_000_001_001, "快钟")));
    let stats = sandbox.stats();
    assert_eq!(
        stats.rejections.get("4006"),
        Some(&1),
        "one refusal teaches the offset"
    );
    assert_each_saved_once(&sandbox, 2);
}

#[test]
fn a_till_ten_minutes_slow_still_saves() {
    let sandbox = sandbox();
    sandbox.set_clock_offset_ms(600_000);
    let client = CClient::new(&config_outer(&sandbox));
    expect_ok(&client.save(&member(13_000_001_010, "慢钟")));
    assert_each_saved_once(&sandbox, 1);
}

#[test]
fn hostile_server_answers_are_errors_never_crashes() {
    let sandbox = sandbox();
    let mut config = fast_config(&sandbox);
    config["max_retries"] = 0.into();
    let client = CClient::new(&config);
    let bodies = [
        ("", "server"),
        ("null", "server"),
        ("[]", "server"),
        ("\"text\"", "server"),
        ("{", "server"),
        ("{}", "server"),
        ("{\"errcode\":\"abc\"}", "server"),
        ("{\"errcode\":null,\"data\":{}}", "server"),
        ("{\"errcode\":[0]}", "server"),
        ("{\"errcode\":1.5}", "server"),
        ("{\"errcode\":99999999999999999999999}", "server"),
        ("{\"errcode\":123,\"description\":{\"nested\":1}}", "api"),
        ("{\"errcode\":123,\"description\":\"\\u0000\"}", "api"),
        ("{\"errcode\":4008,\"description\":\"签名错误\"}", "auth"),
        (&"[".repeat(100_000), "server"),
        ("\u{feff}{\"errcode\":0}", "server"),
        ("<html><body>502 Bad Gateway</body></html>", "server"),
    ];
    for (body, kind) in bodies {
        sandbox.inject(answer_with(LIST, body));
        let envelope = client.list(&json!({}));
        expect_error(&envelope, kind);
    }
    // Odd but well-formed successes pass Kingdee's data through as received.
    for (body, data) in [
        ("{\"errcode\":0}", Value::Null),
        ("{\"errcode\":0,\"data\":[1,2]}", json!([1, 2])),
        ("{\"errcode\":\"0\",\"data\":\"x\"}", json!("x")),
    ] {
        sandbox.inject(answer_with(LIST, body));
        assert_eq!(expect_ok(&client.list(&json!({}))), data, "{body}");
    }
}

#[test]
fn eight_threads_times_five_hundred_saves_share_one_token() {
    let sandbox = sandbox();
    let client = std::sync::Arc::new(CClient::new(&config(&sandbox)));
    let started = Instant::now();
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..500u64 {
                    expect_ok(&client.save(&member(14_000_000_000 + t * 10_000 + i, "压力")));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    eprintln!("4000 saves in {:?}", started.elapsed());
    assert_eq!(sandbox.stats().token_calls, 1);
    assert_each_saved_once(&sandbox, 4_000);
}
