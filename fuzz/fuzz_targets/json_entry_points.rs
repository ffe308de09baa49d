//! Every JSON entry point of the C ABI, fed arbitrary bytes: the configuration parser
//! (directly and through jdy_client_new), member validation, and, through a real client
//! whose gateway refuses every connection at once, the batch parser, its options and the
//! query builders. Each must answer with an envelope that begins with `{"ok":` and never
//! crash or hang.
#![no_main]

use jdy_member::ffi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::CStr;
use std::sync::OnceLock;

fn check(envelope: *mut std::os::raw::c_char) {
    assert!(!envelope.is_null());
    let text = unsafe { CStr::from_ptr(envelope) }.to_str().expect("UTF-8 envelope");
    assert!(
        text.starts_with("{\"ok\":true") || text.starts_with("{\"ok\":false"),
        "{text}"
    );
    let value: serde_json::Value = serde_json::from_str(text).expect("JSON envelope");
    assert!(value["ok"].is_boolean());
    unsafe { jdy_string_free(envelope) };
}

/// A client of a gateway that refuses every connection (a closed port on loopback), with
/// no retries, so that well-formed input fails fast instead of slowing the fuzzer.
fn client() -> usize {
    static CLIENT: OnceLock<usize> = OnceLock::new();
    *CLIENT.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let config = serde_json::json!({
            "client_id": "fuzz-client", "client_secret": "fuzz-secret-not-real-32-bytes-00",
            "app_key": "fuzz-key", "app_secret": "fuzz-app-secret", "domain": "https://tf.jdy.com",
            "base_url": format!("http://127.0.0.1:{port}"), "max_retries": 0,
            "connect_timeout_ms": 200, "deadline_ms": 1000,
            "token_cache_path": null, "request_budget": null,
        })
        .to_string()
            + "\0";
        let mut error = std::ptr::null_mut();
        let client = unsafe { jdy_client_new(config.as_ptr().cast(), &mut error) };
        assert!(!client.is_null(), "the fuzz client's configuration is valid");
        client as usize
    })
}

fuzz_target!(|data: &[u8]| {
    let mut bytes: Vec<u8> = data.iter().copied().filter(|b| *b != 0).collect();
    bytes.push(0);
    let input = bytes.as_ptr().cast();
    let client = client() as *mut JdyClient;
    unsafe {
        check(jdy_member_validate(input));
        let mut error = std::ptr::null_mut();
        let created = jdy_client_new(input, &mut error);
        if created.is_null() {
            check(error);
        } else {
            jdy_client_free(created);
        }
        check(jdy_member_save_batch(client, input, std::ptr::null()));
        check(jdy_member_save_batch(client, c"[]".as_ptr(), input));
        check(jdy_member_save(client, input));
        check(jdy_member_get(client, input));
        check(jdy_member_list(client, input));
    }
    if let Ok(text) = std::str::from_utf8(&bytes[..bytes.len() - 1]) {
        let _ = jdy_member::Config::from_json(text);
        if let Ok(serde_json::Value::Object(query)) = serde_json::from_str(text) {
            let _ = jdy_member::member::detail_query(&query);
            let _ = jdy_member::member::list_query(&query);
            let _ = jdy_member::batch::BatchOptions::from_map(&query);
            let _ = jdy_member::Config::from_map(&query);
        }
    }
});
