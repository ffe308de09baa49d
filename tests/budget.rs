//! The account's request budget and the token endpoint's limit, as Kingdee documents them
//! (notes §6), scaled so that the tests stay short: nobody is lost or saved twice, the
//! budget is used, and a 429 is waited out, never passed on as a lost member.

mod common;

use common::*;
use jdy_member_sandbox::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn budgeted(window: Window, retry_after: bool) -> Sandbox {
    sandbox_with(Behaviour {
        account_budget: Some(Limit {
            requests: 50,
            window_ms: 6_000,
        }),
        window,
        retry_after,
        ..Behaviour::unlimited()
    })
}

fn members(count: u64, first: u64) -> Value {
    Value::Array((0..count).map(|i| member(first + i, "预算会员")).collect())
}

/// Saves `members` through jdy_member_save_batch with 4 workers; the batch summary.
fn batch4(client: &CClient, members: &Value) -> Value {
    batch(client, members, r#"{"concurrency": 4}"#)
}

/// 429s per second of the sandbox's clock.
fn rate_limited_per_second(sandbox: &Sandbox) -> BTreeMap<u64, usize> {
    let mut per_second = BTreeMap::new();
    for arrival in sandbox.arrivals().iter().filter(|a| a.rate_limited) {
        *per_second.entry(arrival.at_ms / 1000).or_insert(0) += 1;
    }
    per_second
}

fn assert_all_saved_once(sandbox: &Sandbox, summary: &Value, count: usize) {
    assert_eq!(summary["saved"], count, "{}", summary["results"][0]);
    assert_eq!(
        (summary["refused"].as_u64(), summary["failed"].as_u64()),
        (Some(0), Some(0))
    );
    let stats = sandbox.stats();
    assert_eq!(stats.saves_by_mobile.len(), count);
    assert!(
        stats.saves_by_mobile.values().all(|n| *n == 1),
        "saved twice"
    );
}

#[test]
fn six_hundred_members_fit_a_budget_the_client_knows_with_no_429() {
    let sandbox = budgeted(Window::Sliding, true);
    let mut config = config(&sandbox);
    config["request_budget"] = json!({"requests": 50, "window_s": 6});
    let client = CClient::new(&config);
    let started = Instant::now();
    let summary = batch4(&client, &members(600, 13_100_000_000));
    let elapsed = started.elapsed();
    assert_all_saved_once(&sandbox, &summary, 600);
    let stats = sandbox.stats();
    assert!(
        stats.rate_limited <= 6,
        "at most 1% of the requests answered 429: {stats:?}"
    );
    // 600 requests at 50 per 6 s cannot take less than 66 s; using the budget, not much more.
    assert!(elapsed >= Duration::from_secs(65), "{elapsed:?}");
    assert!(
        elapsed <= Duration::from_secs(80),
        "the budget was not used: {elapsed:?}"
    );
}

#[test]
fn a_client_that_does_not_know_the_budget_waits_out_each_429_and_loses_nobody() {
    // The client's own budget is off, so the gateway's 429s do the pacing: fixed windows
    // and no Retry-After, the harder forms.
    let sandbox = budgeted(Window::Fixed, false);
    let client = CClient::new(&config(&sandbox));
    let summary = batch4(&client, &members(600, 13_200_000_000));
    assert_all_saved_once(&sandbox, &summary, 600);
    let per_second = rate_limited_per_second(&sandbox);
    assert!(!per_second.is_empty(), "the gateway's budget was reached");
    for (second, count) in &per_second {
        assert!(
            *count <= 4,
            "{count} 429s in second {second}: more than one per worker"
        );
    }
}

#[test]
fn a_429_with_retry_after_is_honoured_and_cuts_the_clients_pace() {
    let sandbox = budgeted(Window::Sliding, true);
    let mut config = config(&sandbox);
    // The client believes in twice the gateway's budget: the 429s must teach it.
    config["request_budget"] = json!({"requests": 100, "window_s": 6});
    let client = CClient::new(&config);
    let summary = batch4(&client, &members(200, 13_300_000_000));
    assert_all_saved_once(&sandbox, &summary, 200);
    let stats = sandbox.stats();
    assert!(stats.rate_limited >= 1, "{stats:?}");
    assert!(
        stats.rate_limited <= 20,
        "backs off instead of hammering: {stats:?}"
    );
}

#[test]
fn clients_of_one_account_share_one_token_and_one_budget() {
    let sandbox = sandbox();
    let mut first = config(&sandbox);
    first["request_budget"] = json!({"requests": 10, "window_s": 2});
    let mut second = first.clone();
    second["timeout_ms"] = 5_000.into();
    let (a, b) = (CClient::new(&first), CClient::new(&second));
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..10 {
                expect_ok(&a.save(&member(13_400_000_000 + i, "甲")));
            }
        });
        scope.spawn(|| {
            for i in 0..10 {
                expect_ok(&b.save(&member(13_400_001_000 + i, "乙")));
            }
        });
    });
    let stats = sandbox.stats();
    assert_eq!(stats.token_calls, 1, "one token for both clients");
    // Twenty requests at 10 per 2 s: the two clients were paced as one.
    assert!(
        started.elapsed() >= Duration::from_millis(3_500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_rate_limited_token_request_is_waited_for_within_the_deadline() {
    let sandbox = sandbox_with(Behaviour {
        token_limit: Some(Limit {
            requests: 1,
            window_ms: 3_000,
        }),
        ..Behaviour::unlimited()
    });
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&member(13_500_000_001, "令牌")));
    sandbox.expire_tokens();
    let started = Instant::now();
    expect_ok(&client.save(&member(13_500_000_002, "令牌")));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(2_000), "{waited:?}");
    let stats = sandbox.stats();
    assert_eq!(stats.token_calls, 3, "one refused, then waited for");
    assert_eq!(stats.rate_limited, 1);
}

#[test]
fn a_budget_spent_until_after_the_deadline_says_nothing_was_sent() {
    let sandbox = sandbox();
    let mut config = config(&sandbox);
    config["request_budget"] = json!({"requests": 2, "window_s": 60});
    config["deadline_ms"] = 1_000.into();
    let client = CClient::new(&config);
    // Two per minute are spread 30 s apart: the second does not fit a 1 s deadline.
    expect_ok(&client.save(&member(13_600_000_001, "一")));
    let error = expect_error(&client.save(&member(13_600_000_002, "二")), "rate_limited");
    assert_eq!(error["retryable"], true);
    assert!(
        error.get("outcome_unknown").is_none(),
        "certainly not sent: {error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("not sent"),
        "{error}"
    );
    assert_eq!(sandbox.stats().save_calls, 1);
}
