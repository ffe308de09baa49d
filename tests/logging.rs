//! The request log helps support without leaking: no secret, token or signature, no full
//! mobile, no name.

mod common;

use common::*;
use jdy_member_sandbox::*;
use serde_json::json;

#[test]
fn the_log_has_a_line_per_request_and_nothing_it_must_not() {
    let sandbox = sandbox();
    let log = std::env::temp_dir().join(format!("jdy-log-test-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut config = config_outer(&sandbox);
    config["log_path"] = log.display().to_string().into();
    config["log_level"] = "debug".into();
    config["retry_backoff_ms"] = 5.into();
    let client = CClient::new(&config);

    let names = ["会员A", "张三丰", "Zhang Wei"];
    let mut mobiles = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mobile = format!("139{:08}", 12_345_670 + i);
        expect_ok(&client.save(&json!({"mobile": mobile, "name": name, "remark": "备注"})));
        expect_ok(&client.get(&json!({"mobile": mobile})));
        mobiles.push(mobile);
    }
    expect_ok(&client.list(&json!({"name": "张三丰"})));
    // A retried request and a refused one are logged too.
    sandbox.inject(FaultRule {
        path: Some("/jdy/v2/ls/member".into()),
        method: Some("POST".into()),
        times: 1,
        fault: Fault::Gateway {
            errcode: 5003,
            after_processing: false,
        },
    });
    expect_ok(&client.save(&json!({"mobile": "13912345999", "name": "重试"})));
    mobiles.push("13912345999".into());
    sandbox.expire_tokens();
    expect_ok(&client.get(&json!({"mobile": "13912345999"})));
    drop(client);

    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let mut forbidden: Vec<String> = vec![
        SANDBOX_CLIENT_SECRET.into(),
        SANDBOX_APP_SECRET.into(),
        "X-Api-Signature".into(),
        "app_signature".into(),
    ];
    forbidden.extend(sandbox.issued_tokens());
    forbidden.extend(mobiles.iter().cloned());
    forbidden.extend(names.iter().map(|n| n.to_string()));
    forbidden.push("重试".into());
    forbidden.push("备注".into());
    for needle in &forbidden {
        assert!(
            !text.contains(needle.as_str()),
            "the log contains {needle:?}:\n{text}"
        );
    }
    assert!(sandbox.issued_tokens().len() >= 2);
    // No run of 11 digits (a full mobile) anywhere.
    let digits = text
        .as_bytes()
        .windows(11)
        .any(|w| w.iter().all(u8::is_ascii_digit));
    assert!(!digits, "a full mobile-like number is in the log:\n{text}");

    for expected in [
        "POST /jdyconnector/app_management/push_app_authorize status=200 errcode=0 attempt=1",
        "GET /jdyconnector/app_management/kingdee_auth_token status=200 errcode=0 attempt=1",
        "POST /jdy/v2/ls/member status=200 errcode=0 attempt=1",
        "member=139****5670",
        "POST /jdy/v2/ls/member status=519 errcode=5003 attempt=1",
        "POST /jdy/v2/ls/member status=200 errcode=0 attempt=2",
        "GET /jdy/v2/ls/member_detail status=519 errcode=4011",
        "retrying in",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for line in text.lines() {
        assert!(line.len() < 300, "one short line per event: {line}");
    }
}
