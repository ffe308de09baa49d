//! TLS, the only way the library ever talks to the real gateway: the main flow over HTTPS
//! with the sandbox's CA given in `ca_file`, and refusal, classified as "certainly not
//! sent" and never retried, for an unknown CA, a wrong host name and an expired
//! certificate.

mod common;

use common::*;
use jdy_member_sandbox::*;
use serde_json::{json, Value};

fn https(certificate: Certificate) -> Sandbox {
    Sandbox::start(SandboxOptions {
        tls: Some(certificate),
        behaviour: Behaviour::unlimited(),
        ..SandboxOptions::default()
    })
    .expect("an HTTPS sandbox starts")
}

#[test]
fn the_main_flow_runs_over_https_with_the_ca_file() {
    let sandbox = https(Certificate::Valid);
    assert!(sandbox.base_url().starts_with("https://"));
    for config in [config(&sandbox), config_outer(&sandbox)] {
        assert!(config["ca_file"].is_string(), "{config}");
        let client = CClient::new(&config);
        let mobile = 13_333_333_000 + sandbox.stats().save_calls;
        let saved = expect_ok(&client.save(&member(mobile, "会员A")));
        assert_eq!(saved["mobile"], mobile.to_string());
        let got = expect_ok(&client.get(&json!({"mobile": mobile.to_string()})));
        assert_eq!(got["name"], "会员A");
        let page = expect_ok(&client.list(&json!({"page": 1})));
        assert!(page["count"].as_u64().unwrap() >= 1);
    }
    let stats = sandbox.stats();
    assert_eq!((stats.authorize_calls, stats.save_calls), (1, 2));
}

/// The envelope of a save refused at the handshake, and what the sandbox saw.
fn refused_save(sandbox: &Sandbox, config: Value) -> Value {
    let client = CClient::new(&config);
    let error = expect_error(&client.save(&seed_member()), "network");
    assert_eq!(error["retryable"], false, "{error}");
    assert!(error.get("outcome_unknown").is_none(), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("TLS"), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
    assert!(!message.contains("may or may not"), "{message}");
    assert_eq!(
        sandbox.stats().requests,
        0,
        "no byte of HTTP reached the gateway"
    );
    error
}

#[test]
fn an_unknown_ca_is_refused_once_and_said_so() {
    let sandbox = https(Certificate::Valid);
    let mut config = config(&sandbox);
    config.as_object_mut().unwrap().remove("ca_file");
    config["max_retries"] = 5.into();
    let started = std::time::Instant::now();
    let error = refused_save(&sandbox, config);
    assert!(
        error["message"].as_str().unwrap().contains("ca_file"),
        "{error}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "not retried"
    );
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    let sandbox = https(Certificate::WrongHost);
    let error = refused_save(&sandbox, config(&sandbox));
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("name"),
        "{error}"
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let sandbox = https(Certificate::Expired);
    let error = refused_save(&sandbox, config(&sandbox));
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("expired"),
        "{error}"
    );
}

#[test]
fn a_ca_file_that_is_not_one_is_a_config_error_at_creation() {
    let sandbox = https(Certificate::Valid);
    let dir = private_dir("not-a-ca");
    let bogus = dir.join("bogus.pem");
    std::fs::write(
        &bogus,
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for path in [
        bogus.display().to_string(),
        dir.join("missing.pem").display().to_string(),
    ] {
        let mut config = config(&sandbox);
        config["ca_file"] = path.clone().into();
        let envelope = CClient::try_new(&config).err().expect("refused");
        let error = expect_error(&envelope, "config");
        assert!(
            error["message"].as_str().unwrap().contains("ca_file"),
            "{error}"
        );
    }
}

#[test]
fn a_batch_refused_by_tls_stops_at_once_and_reports_the_rest_not_sent() {
    let sandbox = https(Certificate::Valid);
    let mut config = config(&sandbox);
    config.as_object_mut().unwrap().remove("ca_file");
    let client = CClient::new(&config);
    let members: Vec<Value> = (0..200)
        .map(|i| member(13_900_000_000 + i, "批量"))
        .collect();
    let started = std::time::Instant::now();
    let summary = batch(&client, &Value::Array(members), r#"{"concurrency": 4}"#);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary["failed"], 200);
    assert_eq!(sandbox.stats().requests, 0);
    let last = &summary["results"][199]["error"];
    assert!(
        last["message"].as_str().unwrap().contains("not sent"),
        "{last}"
    );
}
