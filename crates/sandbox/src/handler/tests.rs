use crate::clock::{china_datetime, http_date};
use crate::http::{HTML_TYPE, JSON_TYPE};
use crate::test_client::*;
use crate::{Behaviour, Fault, FaultRule, Limit, Sandbox, SandboxOptions, SandboxStats, Window};
use crate::{SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_DOMAIN, SANDBOX_OUTER_INSTANCE_ID};
use jdy_member::{api, signing};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn save_rule(fault: Fault) -> FaultRule {
    FaultRule::on("POST", api::MEMBER, fault)
}

fn saves_of(sb: &Sandbox, mobile: &str) -> u64 {
    sb.stats().saves_by_mobile.get(mobile).copied().unwrap_or(0)
}

/// Polls `condition` for up to two seconds.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// Sends the request and expects the connection to close without any answer byte.
fn expect_no_answer(client: &mut Conn, req: &Req) {
    client.stream.write_all(&req.bytes()).unwrap();
    let mut rest = Vec::new();
    let _ = client.stream.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "expected a closed connection, got {:?}",
        String::from_utf8_lossy(&rest)
    );
}

#[test]
fn status_fault_replaces_the_answer_and_counts_down() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    sb.inject(
        save_rule(Fault::Status {
            status: 503,
            body: None,
            after_processing: false,
        })
        .repeat(2),
    );
    for left in [1, 0] {
        let reply = save_member(&mut c, &token, &member_a());
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("Content-Type"), Some(HTML_TYPE));
        assert_eq!(reply.header("Connection"), Some("keep-alive"));
        assert!(reply.text().contains("<h1>503 Service Unavailable</h1>"));
        assert_eq!(reply.json, Value::Null);
        assert_eq!(
            sb.faults().first().map(|r| r.times),
            (left > 0).then_some(left)
        );
    }
    assert!(sb.members().is_empty());
    // Spent: the next save on the same connection is normal.
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    assert_eq!(saves_of(&sb, "13333333333"), 1);

    // After processing, with a JSON body: the save stands, the answer is replaced.
    sb.inject(save_rule(Fault::Status {
        status: 500,
        body: Some(r#"{"oops": true}"#.into()),
        after_processing: true,
    }));
    let replaced = save_member(&mut c, &token, &member("13900000001"));
    assert_eq!(replaced.status, 500);
    assert_eq!(replaced.header("Content-Type"), Some(JSON_TYPE));
    assert_eq!(replaced.json, json!({"oops": true}));
    assert_eq!(saves_of(&sb, "13900000001"), 1);
    assert!(sb.member_by_mobile("13900000001").is_some());

    // Any other body is served as it is, as HTML.
    sb.inject(save_rule(Fault::Status {
        status: 502,
        body: Some("upstream went away".into()),
        after_processing: false,
    }));
    let plain = save_member(&mut c, &token, &member("13900000002"));
    assert_eq!(plain.status, 502);
    assert_eq!(plain.header("Content-Type"), Some(HTML_TYPE));
    assert_eq!(plain.raw, b"upstream went away");
    assert_eq!(saves_of(&sb, "13900000002"), 0);

    let stats = sb.stats();
    assert_eq!(stats.faults_fired, 4);
    assert_eq!(stats.save_calls, 5);
    assert_eq!(stats.requests, 6);
    assert!(stats.rejections.is_empty(), "{:?}", stats.rejections);
}

#[test]
fn gateway_fault_answers_519_before_or_after_processing() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    sb.inject(save_rule(Fault::Gateway {
        errcode: 5000,
        after_processing: false,
    }));
    let reply = save_member(&mut c, &token, &member_a());
    reply.assert_gateway(5000);
    assert_eq!(reply.json["description"], "gateway internal error");
    assert!(sb.members().is_empty());

    sb.inject(save_rule(Fault::Gateway {
        errcode: 5004,
        after_processing: true,
    }));
    save_member(&mut c, &token, &member_a()).assert_gateway(5004);
    assert_eq!(saves_of(&sb, "13333333333"), 1);

    // The gateway fails for everyone, correctly signed or not.
    sb.inject(FaultRule::new(Fault::Gateway {
        errcode: 5003,
        after_processing: false,
    }));
    c.send(&Req::unsigned("GET", api::MEMBER_DETAIL))
        .assert_gateway(5003);
    c.send(&Req::unsigned("GET", api::MEMBER_DETAIL))
        .assert_gateway(4001);

    let stats = sb.stats();
    assert_eq!(stats.faults_fired, 3);
    // Injected answers are not rejections; the real check of the last request is.
    let mut rejections = BTreeMap::new();
    rejections.insert("4001".to_string(), 1);
    assert_eq!(stats.rejections, rejections);
}

#[test]
fn rate_limited_fault_answers_429_with_retry_after() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    sb.inject(save_rule(Fault::RateLimited));
    let reply = save_member(&mut c, &token, &member_a());
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("Retry-After"), Some("1"));
    assert_eq!(reply.header("Content-Type"), Some(JSON_TYPE));
    assert_eq!(reply.errcode(), 429);
    assert!(reply.json["description"].is_string());
    assert!(reply.json["description_cn"].is_string());
    assert!(sb.members().is_empty());
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    assert_eq!(sb.stats().faults_fired, 1);
}

#[test]
fn drop_before_processing_closes_and_saves_nothing() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    sb.inject(save_rule(Fault::DropBeforeProcessing));
    let save = Req::business("POST", api::MEMBER, &[], &token).json(&member_a());
    expect_no_answer(&mut Conn::new(&sb), &save);
    assert!(sb.members().is_empty());
    let stats = sb.stats();
    assert_eq!(stats.save_calls, 1);
    assert!(stats.saves_by_mobile.is_empty());
    assert_eq!(stats.faults_fired, 1);
    // The retry is served normally.
    let retry = save_member(&mut Conn::new(&sb), &token, &member_a());
    assert_eq!(retry.errcode(), 0);
    assert_eq!(saves_of(&sb, "13333333333"), 1);
}

#[test]
fn drop_after_processing_closes_but_the_save_stands() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    sb.inject(save_rule(Fault::DropAfterProcessing));
    let save = Req::business("POST", api::MEMBER, &[], &token).json(&member_a());
    expect_no_answer(&mut Conn::new(&sb), &save);
    assert_eq!(saves_of(&sb, "13333333333"), 1);
    // A careful client looks the member up and finds it.
    let found = Conn::new(&sb).send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("mobile", "13333333333")],
        &token,
    ));
    assert_eq!(found.json["data"]["name"], "会员A");
    assert_eq!(sb.members().len(), 1);
}

#[test]
fn delay_before_and_after_processing_does_not_block_others() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    sb.inject(save_rule(Fault::Delay {
        ms: 1_000,
        after_processing: false,
    }));
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            let started = Instant::now();
            let reply = save_member(&mut Conn::new(&sb), &token, &member("13900000010"));
            (reply, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        // Not processed yet, and another connection is served meanwhile.
        assert!(sb.member_by_mobile("13900000010").is_none());
        let quick = Conn::new(&sb).send(&Req::business("GET", api::MEMBER, &[], &token));
        assert_eq!(quick.errcode(), 0);
        assert!(!slow.is_finished());
        let (reply, elapsed) = slow.join().unwrap();
        assert_eq!(reply.errcode(), 0);
        assert!(elapsed >= Duration::from_millis(1_000), "{elapsed:?}");
    });
    assert_eq!(saves_of(&sb, "13900000010"), 1);

    sb.inject(save_rule(Fault::Delay {
        ms: 600,
        after_processing: true,
    }));
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            let started = Instant::now();
            let reply = save_member(&mut Conn::new(&sb), &token, &member("13900000011"));
            (reply, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        // Already processed while the answer waits.
        assert!(sb.member_by_mobile("13900000011").is_some());
        assert!(!slow.is_finished());
        let (reply, elapsed) = slow.join().unwrap();
        assert_eq!(plain(&reply.json["data"]["mobile"]), "13900000011");
        assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    });
    assert_eq!(sb.stats().faults_fired, 2);
}

#[test]
fn a_client_giving_up_during_a_delay_does_not_disturb_the_sandbox() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let give_up = |mobile: &str| {
        let mut c = Conn::new(&sb);
        let save = Req::business("POST", api::MEMBER, &[], &token).json(&member(mobile));
        c.stream.write_all(&save.bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    };
    // Before processing: the request is abandoned, never saved.
    sb.inject(save_rule(Fault::Delay {
        ms: 800,
        after_processing: false,
    }));
    give_up("13900000020");
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(saves_of(&sb, "13900000020"), 0);
    assert_eq!(sb.stats().save_calls, 1);

    // After processing: saved at once, the late answer goes nowhere.
    sb.inject(save_rule(Fault::Delay {
        ms: 800,
        after_processing: true,
    }));
    give_up("13900000021");
    assert!(eventually(|| saves_of(&sb, "13900000021") == 1));
    std::thread::sleep(Duration::from_millis(1_000));

    // Still serving, on old and new connections.
    assert_eq!(fetch_token(&sb).len(), 32);
    let again = save_member(&mut Conn::new(&sb), &token, &member("13900000020"));
    assert_eq!(again.errcode(), 0);
    assert_eq!(sb.members().len(), 2);
}

#[test]
fn shutdown_is_prompt_while_a_delay_waits() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    sb.inject(FaultRule::new(Fault::Delay {
        ms: 60_000,
        after_processing: true,
    }));
    let mut c = Conn::new(&sb);
    let save = Req::business("POST", api::MEMBER, &[], &token).json(&member_a());
    c.stream.write_all(&save.bytes()).unwrap();
    assert!(eventually(|| saves_of(&sb, "13333333333") == 1));
    let started = Instant::now();
    sb.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(c.closed());
}

#[test]
fn not_json_fault_answers_html() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    sb.inject(save_rule(Fault::NotJson {
        status: None,
        after_processing: false,
    }));
    let reply = save_member(&mut c, &token, &member_a());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Type"), Some(HTML_TYPE));
    assert!(serde_json::from_slice::<Value>(&reply.raw).is_err());
    assert!(reply.text().starts_with("<!DOCTYPE html>"));
    assert!(sb.members().is_empty());

    sb.inject(save_rule(Fault::NotJson {
        status: Some(502),
        after_processing: true,
    }));
    let reply = save_member(&mut c, &token, &member_a());
    assert_eq!(reply.status, 502);
    assert!(serde_json::from_slice::<Value>(&reply.raw).is_err());
    assert_eq!(saves_of(&sb, "13333333333"), 1);
    // Processed: the next save of that member is a duplicate.
    assert_eq!(
        save_member(&mut c, &token, &member_a()).errcode(),
        crate::ERR_DUPLICATE as u64
    );
}

#[test]
fn oversized_fault_streams_a_valid_json_answer_of_the_size_asked() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    sb.inject(save_rule(Fault::Oversized { bytes: 3_000_000 }));
    let mut c = Conn::new(&sb);
    let reply = save_member(&mut c, &token, &member_a());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Length"), Some("3000000"));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert_eq!(reply.raw.len(), 3_000_000);
    assert_eq!(reply.errcode(), 0);
    assert_eq!(
        reply.json["data"]["pad"].as_str().unwrap().len(),
        3_000_000 - 55
    );
    assert!(c.closed());
    // Processed: the answer claims success.
    assert_eq!(saves_of(&sb, "13333333333"), 1);

    // Never smaller than the envelope.
    sb.inject(FaultRule::new(Fault::Oversized { bytes: 10 }));
    let small = Conn::new(&sb).send(&Req::business("GET", api::MEMBER, &[], &token));
    assert_eq!(
        small.raw,
        br#"{"errcode":0,"description":"success","data":{"pad":""}}"#
    );
    assert_eq!(sb.stats().faults_fired, 2);
}

#[test]
fn rules_match_by_path_and_method_in_insertion_order() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let status = |status: u16| Fault::Status {
        status,
        body: None,
        after_processing: false,
    };
    sb.inject(FaultRule::on("get", api::MEMBER_DETAIL, status(503)));
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    let list = c.send(&Req::business("GET", api::MEMBER, &[], &token));
    assert_eq!(list.errcode(), 0);
    assert_eq!(sb.faults().len(), 1);
    let detail = c.send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("id", "1")],
        &token,
    ));
    assert_eq!(detail.status, 503);
    assert!(sb.faults().is_empty());

    // Any path: unknown Kingdee paths too, never the controls.
    sb.inject(FaultRule::new(status(500)));
    sb.inject(FaultRule::new(status(501)));
    let stats = c.send(&Req::unsigned("GET", "/__sandbox/stats"));
    assert_eq!(stats.status, 200);
    assert_eq!(stats.json["faults_fired"], 1);
    assert_eq!(sb.faults().len(), 2);
    assert_eq!(c.send(&Req::unsigned("GET", "/nowhere")).status, 500);
    assert_eq!(
        c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET))
            .status,
        501
    );
    assert_eq!(sb.stats().faults_fired, 3);
    assert_eq!(sb.stats().token_calls, 2);
}

#[test]
fn clock_offset_moves_the_timestamp_window_the_date_and_modify_times() {
    let sb = sandbox();
    sb.set_clock_offset_ms(-600_000);
    let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
    let params = [
        ("app_key", SANDBOX_APP_KEY),
        ("app_signature", sig.as_str()),
    ];
    let mut c = Conn::new(&sb);
    // A client 10 minutes ahead of the gateway is refused...
    c.send(&Req::signed_at("GET", api::TOKEN, &params, now_ms()))
        .assert_gateway(4006);
    // ...one signing with the gateway's time is not.
    let sandbox_now = || now_ms() - 600_000;
    let reply = c.send(&Req::signed_at("GET", api::TOKEN, &params, sandbox_now()));
    assert_eq!(reply.errcode(), 0, "{reply:?}");
    let day = 24 * 60 * 60 * 1000;
    let expires = reply.json["data"]["expires"].as_u64().unwrap();
    assert!(expires.abs_diff(sandbox_now() + day) < 5_000);
    let date = reply.header("Date").unwrap().to_string();
    let around = |ms: u64, show: fn(u64) -> String| -> Vec<String> {
        (0..6).map(|s| show(ms + 1_000 - s * 1_000)).collect()
    };
    assert!(around(sandbox_now(), http_date).contains(&date), "{date}");
    let token = reply.json["data"]["app-token"]
        .as_str()
        .unwrap()
        .to_string();

    let save = Req::signed_at("POST", api::MEMBER, &[], sandbox_now())
        .set("app-token", &token)
        .set("X-GW-Router-Addr", SANDBOX_DOMAIN)
        .json(&member_a());
    let saved = c.send(&save);
    assert_eq!(saved.errcode(), 0, "{saved:?}");
    let modified = saved.json["data"]["db_modify_time"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        around(sandbox_now(), china_datetime).contains(&modified),
        "{modified}"
    );

    // Over HTTP: a day and an hour ahead, the token has expired.
    let moved = control_post(&mut c, "clock", r#"{"offset_ms": 90000000}"#);
    assert_eq!(moved.json, json!({"ok": true, "offset_ms": 90_000_000}));
    let late = Req::signed_at(
        "GET",
        api::MEMBER_DETAIL,
        &[("id", "1")],
        now_ms() + 90_000_000,
    )
    .set("app-token", &token)
    .set("X-GW-Router-Addr", SANDBOX_DOMAIN);
    c.send(&late).assert_gateway(4011);
    for body in [r#"{"offset": 1}"#, r#"{"offset_ms": "soon"}"#, ""] {
        let reply = control_post(&mut c, "clock", body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.json["error"].as_str().unwrap().contains("offset_ms"));
    }
    sb.set_clock_offset_ms(0);
    assert_eq!(fetch_token(&sb).len(), 32);
}

#[test]
fn latency_delays_member_calls_only() {
    let sb = Sandbox::start(SandboxOptions {
        latency_ms: 400,
        ..options()
    })
    .unwrap();
    let timed = |req: &Req| {
        let started = Instant::now();
        let reply = Conn::new(&sb).send(req);
        (reply, started.elapsed())
    };
    let (reply, elapsed) = timed(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
    assert!(elapsed < Duration::from_millis(350), "{elapsed:?}");
    let token = reply.json["data"]["app-token"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], &token);
    let (reply, elapsed) = timed(&detail);
    assert_eq!(reply.errcode(), 0);
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");

    sb.set_latency_ms(0);
    let (_, elapsed) = timed(&detail);
    assert!(elapsed < Duration::from_millis(350), "{elapsed:?}");

    let mut c = Conn::new(&sb);
    let set = control_post(&mut c, "latency", r#"{"ms": 250}"#);
    assert_eq!(set.json, json!({"ok": true, "ms": 250}));
    let started = Instant::now();
    let saved = save_member(&mut c, &token, &member_a());
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(saved.errcode(), 0);
    for body in [r#"{"ms": -1}"#, r#"{"latency": 5}"#, "[]"] {
        let reply = control_post(&mut c, "latency", body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.json["error"].as_str().unwrap().contains("ms"));
    }

    // reset goes back to the options' latency.
    sb.set_latency_ms(0);
    sb.reset();
    let (_, elapsed) = timed(&detail);
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
}

#[test]
fn reset_clears_faults_clock_and_latency() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    sb.inject(FaultRule::new(Fault::RateLimited).repeat(5));
    assert_eq!(save_member(&mut c, &token, &member_a()).status, 429);
    assert_eq!(sb.stats().faults_fired, 1);
    sb.set_clock_offset_ms(-600_000);
    sb.set_latency_ms(2_000);

    sb.reset();
    assert!(sb.faults().is_empty());
    assert_eq!(sb.stats(), SandboxStats::default());
    let started = Instant::now();
    // Signed with the machine's time: the offset is gone; fast: the latency is gone.
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    assert!(started.elapsed() < Duration::from_millis(1_500));

    // Over HTTP too.
    control_post(&mut c, "faults", r#"{"fault": {"kind": "rate_limited"}}"#);
    control_post(&mut c, "clock", r#"{"offset_ms": 600000}"#);
    assert_eq!(control_post(&mut c, "reset", "").json["ok"], true);
    assert!(sb.faults().is_empty());
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
}
#[test]
fn stats_count_every_kind_of_call() {
    let sb = sandbox();
    let mut c = Conn::new(&sb);
    c.send(&Req::signed(
        "POST",
        api::AUTHORIZE,
        &[("outerInstanceId", SANDBOX_OUTER_INSTANCE_ID)],
    ));
    let token = fetch_token(&sb);
    save_member(&mut c, &token, &member_a());
    save_member(&mut c, &token, &json!({"mobile": "2"}));
    c.send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("id", "1")],
        &token,
    ));
    c.send(&Req::business("GET", api::MEMBER, &[], &token));
    c.send(&Req::business("GET", api::MEMBER, &[], "bad"));
    let stats = sb.stats();
    let mut rejections = BTreeMap::new();
    rejections.insert("2000002000".to_string(), 1);
    rejections.insert("4010".to_string(), 1);
    let mut saves = BTreeMap::new();
    saves.insert("13333333333".to_string(), 1);
    assert_eq!(
        stats,
        SandboxStats {
            requests: 7,
            authorize_calls: 1,
            token_calls: 1,
            save_calls: 2,
            detail_calls: 1,
            list_calls: 2,
            master_data_calls: 0,
            points_calls: 0,
            rejections,
            rate_limited: 0,
            saves_by_mobile: saves,
            faults_fired: 0,
        }
    );

    sb.rotate_app_secret("changed");
    sb.reset();
    assert_eq!(sb.stats(), SandboxStats::default());
    assert!(sb.members().is_empty());
    assert_eq!(sb.client_config()["app_secret"], SANDBOX_APP_SECRET);
    // Tokens survive a reset; ids start over.
    let again = save_member(&mut c, &token, &member_a());
    assert_eq!(again.json["data"]["id"], "1534104111400644608");
}

#[test]
fn denied_and_missing_paths_answer_4012_and_5001_and_leave_the_other_lists_readable() {
    let sb = Sandbox::start(SandboxOptions {
        behaviour: Behaviour {
            denied_paths: vec![api::STORE.into()],
            missing_paths: vec![api::LABEL.into()],
            ..Behaviour::unlimited()
        },
        ..options()
    })
    .unwrap();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let list = |c: &mut Conn, path: &str| c.send(&Req::business("GET", path, &[], &token));
    list(&mut c, api::STORE).assert_gateway(4012);
    list(&mut c, api::LABEL).assert_gateway(5001);
    // Routing comes first: a missing path is unknown even without a valid token.
    c.send(&Req::business("GET", api::LABEL, &[], "bad"))
        .assert_gateway(5001);
    let levels = list(&mut c, api::MEMBER_LEVEL);
    assert_eq!((levels.status, levels.errcode()), (200, 0));
    assert_eq!(levels.json["data"]["rows"][0]["name"], "普通会员");

    // Switched over HTTP: the store list answers again, and the customers are missing.
    let set = control_post(
        &mut c,
        "behaviour",
        r#"{"denied_paths": [], "missing_paths": ["/jdy/v2/bd/customer"]}"#,
    );
    assert_eq!(
        set.json["behaviour"]["missing_paths"],
        json!([api::CUSTOMER])
    );
    assert_eq!(list(&mut c, api::STORE).errcode(), 0);
    assert_eq!(list(&mut c, api::LABEL).errcode(), 0);
    list(&mut c, api::CUSTOMER).assert_gateway(5001);
    let stats = sb.stats();
    assert_eq!(
        stats.master_data_calls, 7,
        "every list request counts: {stats:?}"
    );
    assert_eq!(stats.rejections["5001"], 3, "{stats:?}");
    assert_eq!(stats.rejections["4012"], 1, "{stats:?}");
}

#[test]
fn the_account_budget_answers_429_with_a_retry_after_and_counts_what_it_refused() {
    for window in [Window::Sliding, Window::Fixed] {
        let sb = Sandbox::start(SandboxOptions {
            behaviour: Behaviour {
                account_budget: Some(Limit {
                    requests: 3,
                    window_ms: 60_000,
                }),
                window,
                ..Behaviour::unlimited()
            },
            ..options()
        })
        .unwrap();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        for i in 0..3 {
            assert_eq!(
                save_member(&mut c, &token, &member(&format!("1390000000{i}"))).errcode(),
                0
            );
        }
        let refused = save_member(&mut c, &token, &member("13900000009"));
        assert_eq!(refused.status, 429, "{window:?}");
        assert!(refused.json["description"]
            .as_str()
            .unwrap()
            .contains("已被限流"));
        let wait: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            sb.member_by_mobile("13900000009").is_none(),
            "a 429 saves nothing"
        );
        // The token endpoint has its own limit.
        assert_eq!(
            Conn::new(&sb)
                .send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET))
                .errcode(),
            0
        );
        let stats = sb.stats();
        assert_eq!(stats.rate_limited, 1);
        let arrivals = sb.arrivals();
        assert_eq!(arrivals.len(), 4);
        assert_eq!(arrivals.iter().filter(|a| a.rate_limited).count(), 1);
    }
}

#[test]
fn a_429_without_retry_after_when_switched() {
    let sb = Sandbox::start(SandboxOptions {
        behaviour: Behaviour {
            account_budget: Some(Limit {
                requests: 1,
                window_ms: 60_000,
            }),
            retry_after: false,
            ..Behaviour::unlimited()
        },
        ..options()
    })
    .unwrap();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    assert_eq!(
        save_member(&mut c, &token, &member("13900000001")).errcode(),
        0
    );
    let refused = save_member(&mut c, &token, &member("13900000002"));
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("Retry-After"), None);
}

#[test]
fn every_answer_has_json_type_length_and_date() {
    let sb = sandbox();
    let mut c = Conn::new(&sb);
    let reply = c.send(&Req::unsigned("GET", "/missing"));
    assert_eq!(reply.header("Content-Type"), Some(JSON_TYPE));
    assert_eq!(
        reply.header("Content-Length"),
        Some(reply.raw.len().to_string().as_str())
    );
    let date = reply.header("Date").unwrap();
    assert_eq!(date.len(), 29, "{date}");
    assert!(date.ends_with(" GMT"));
}
