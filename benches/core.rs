//! In-process costs of one member save, piece by piece (`cargo bench --bench core`).
//!
//! - `validate/*`: offline validation and normalisation of the seed member
//!   (`examples/seed-member.json`), from a parsed map and from JSON text (what the C ABI gets);
//! - `sign/*`: the gateway headers of the save request (`signing::gateway_headers`), alone and
//!   with the nonce, timestamp and (empty) query the transport makes for each request;
//! - `validate_and_sign`: both, the figure the 10 µs target is about;
//! - `request/*`: everything the client does before handing the request to the HTTP agent
//!   (`Transport::exchange` is private, so it is rebuilt here from the same public pieces in
//!   the same order: parse, validate, serialise the body, encode the query, nonce, timestamp,
//!   sign, URL, and the agent's request builder with every header);
//! - `answer/*`: what happens to the gateway's answer after the socket read (parse, unwrap
//!   `data`, the save envelope as C text).
//!
//! The whole save over loopback is in `benches/save.rs`.

use criterion::{criterion_group, criterion_main, Criterion};
use jdy_member::client::{Saved, MEMBER_PATH};
use jdy_member::signing::{self, Query};
use jdy_member::transport::{Reply, USER_AGENT};
use jdy_member::{envelope, input, member};
use serde_json::{Map, Value};
use std::hint::black_box;
use std::time::Duration;

const SEED: &str = include_str!("../examples/seed-member.json");
const CLIENT_ID: &str = "bench-client-id";
const CLIENT_SECRET: &str = "bench-client-secret-not-real";
const APP_TOKEN: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "https://sandbox.jdy.invalid";
const BASE_URL: &str = "http://127.0.0.1:8790";
/// A save answer as the sandbox sends it (the shape of Kingdee's documented example).
const SAVE_ANSWER: &str = r#"{"errcode":0,"description":"success","data":{"id":"1534104111400644608","custom_no":"1","db_modify_time":"2026-11-29 17:30:00","enable":"1","mobile":"13333333333","name":"会员A"}}"#;

fn seed_map() -> Map<String, Value> {
    match serde_json::from_str(SEED) {
        Ok(Value::Object(map)) => map,
        _ => panic!("examples/seed-member.json is not a JSON object"),
    }
}

fn now_ms() -> u64 {
    jdy_member::transport::system_now_ms().max(0) as u64
}

/// The six signed headers of the save request, as the transport makes them per request.
fn save_headers() -> [(&'static str, String); 6] {
    let query = Query::from_params::<String, String>(&[]);
    signing::gateway_headers(
        CLIENT_ID,
        CLIENT_SECRET,
        "POST",
        MEMBER_PATH,
        &query,
        &signing::new_nonce(),
        now_ms(),
    )
}

fn validation(c: &mut Criterion) {
    let seed = seed_map();
    assert!(
        member::validate(&seed).is_ok(),
        "the seed member must be valid"
    );
    let mut group = c.benchmark_group("validate");
    group.bench_function("seed_member", |b| {
        b.iter(|| member::validate(black_box(&seed)))
    });
    group.bench_function("seed_member_from_json_text", |b| {
        b.iter(|| member::validate_json(black_box(SEED)))
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    let empty = Query::default();
    let mut group = c.benchmark_group("sign");
    group.bench_function("gateway_headers_save", |b| {
        b.iter(|| {
            signing::gateway_headers(
                black_box(CLIENT_ID),
                black_box(CLIENT_SECRET),
                "POST",
                MEMBER_PATH,
                &empty,
                black_box("1234567890"),
                black_box(1_764_400_000_000),
            )
        })
    });
    group.bench_function("save_request_with_nonce_and_clock", |b| {
        b.iter(save_headers)
    });
    group.finish();

    let seed = seed_map();
    c.bench_function("validate_and_sign", |b| {
        b.iter(|| {
            let normalised = member::validate(black_box(&seed));
            (normalised, save_headers())
        })
    });
}

fn request(c: &mut Criterion) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .https_only(false)
        .user_agent(USER_AGENT)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .build()
        .into();
    let mut group = c.benchmark_group("request");
    // What jdy_member_save does before the HTTP agent writes to the socket.
    group.bench_function("build_save_from_json_text", |b| {
        b.iter(|| {
            let member = input::parse_object(black_box(SEED), "member").expect("object");
            let normalised = member::validate(&member).expect("valid");
            let body = serde_json::to_string(&normalised).expect("serialisable");
            let url = format!("{BASE_URL}{MEMBER_PATH}");
            let headers = save_headers();
            let mut builder = agent.post(&url).header("Content-Type", "application/json");
            for (name, value) in &headers {
                builder = builder.header(*name, value);
            }
            builder = builder
                .header("app-token", APP_TOKEN)
                .header("X-GW-Router-Addr", DOMAIN);
            (builder, body)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("answer");
    group.bench_function("parse_unwrap_envelope", |b| {
        b.iter(|| {
            let body: Value =
                serde_json::from_slice(black_box(SAVE_ANSWER.as_bytes())).expect("answer is JSON");
            let data = Reply { status: 200, body }
                .into_data("member save")
                .expect("success");
            envelope::saved(&Saved {
                data,
                recovered: false,
            })
            .to_string()
        })
    });
    group.finish();
}

criterion_group!(benches, validation, signing, request);
criterion_main!(benches);
