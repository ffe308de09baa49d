//! In-process costs of one member save, piece by piece (`cargo bench --bench core`).
//!
//! - `validate/*`: offline validation and normalisation of the seed member
//!   (`examples/seed-member.json`), from a parsed map and from JSON text (what the C ABI gets);
//! - `sign/*`: the gateway headers of the save request (`signing::gateway_headers`), alone and
//!   with the nonce, timestamp and (empty) query the transport makes for each request;
//! - `validate_and_sign`: both, the figure the 10 µs target is about;
//! - `answer/*`: what happens to the gateway's answer after the socket read: decrypting its
//!   personal fields (Kingdee encrypts the mobile) and the save envelope as C text.
//!
//! Only the public API is measured; the whole save over loopback, with the transport, is in
//! `benches/save.rs`.

use criterion::{criterion_group, criterion_main, Criterion};
use jdy_member::api::MEMBER;
use jdy_member::signing::{self, Query};
use jdy_member::{batch, member, privacy, Saved};
use serde_json::{Map, Value};
use std::hint::black_box;

const SEED: &str = include_str!("../examples/seed-member.json");
const CLIENT_ID: &str = "bench-client-id";
const CLIENT_SECRET: &str = "bench-client-secret-not-real";
/// A 32-character secret: Kingdee's privacy encryption keys AES-256 with it.
const SECRET_32: &str = "bench-client-secret-not-real-32b";

fn seed_map() -> Map<String, Value> {
    match serde_json::from_str(SEED) {
        Ok(Value::Object(map)) => map,
        _ => panic!("examples/seed-member.json is not a JSON object"),
    }
}

fn now_ms() -> u64 {
    jdy_member::system_now_ms().max(0) as u64
}

/// The six signed headers of the save request, as the transport makes them per request.
fn save_headers() -> [(&'static str, String); 6] {
    let query = Query::from_params::<String, String>(&[]);
    signing::gateway_headers(
        CLIENT_ID,
        CLIENT_SECRET,
        "POST",
        MEMBER,
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
                MEMBER,
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

fn answer(c: &mut Criterion) {
    let cipher = privacy::encrypt(SECRET_32, "13333333333").expect("a 32-byte key");
    let answer: Value = serde_json::json!({"id": "1534104111400644608", "custom_no": "1",
        "db_modify_time": "2026-11-29 17:30:00", "enable": "1", "mobile": cipher, "name": "会员A"});
    let mut group = c.benchmark_group("answer");
    group.bench_function("decrypt_personal_fields", |b| {
        b.iter(|| {
            let mut data = black_box(&answer).clone();
            privacy::decrypt_answer(SECRET_32, &mut data);
            data
        })
    });
    group.bench_function("save_envelope_text", |b| {
        let saved = Saved {
            data: answer.clone(),
            recovered: false,
            queued: false,
        };
        b.iter(|| batch::saved_envelope(black_box(&saved)).to_text())
    });
    group.finish();
}

criterion_group!(benches, validation, signing, answer);
criterion_main!(benches);
