//! Every JSON entry point of the C ABI that needs no network, fed arbitrary bytes: it must
//! always answer with a parseable envelope and never crash.
#![no_main]

use jdy_member::ffi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::CStr;

fn check(envelope: *mut std::os::raw::c_char) {
    assert!(!envelope.is_null());
    let text = unsafe { CStr::from_ptr(envelope) }.to_str().expect("UTF-8 envelope");
    let value: serde_json::Value = serde_json::from_str(text).expect("JSON envelope");
    assert!(value["ok"].is_boolean());
    unsafe { jdy_string_free(envelope) };
}

fuzz_target!(|data: &[u8]| {
    let mut bytes: Vec<u8> = data.iter().copied().filter(|b| *b != 0).collect();
    bytes.push(0);
    let input = bytes.as_ptr().cast();
    unsafe {
        check(jdy_member_validate(input));
        let mut error = std::ptr::null_mut();
        let client = jdy_client_new(input, &mut error);
        if client.is_null() {
            check(error);
        } else {
            jdy_client_free(client);
        }
        // Batch and query parsing fail before any request for all but well-formed input;
        // a NULL client keeps every path offline.
        check(jdy_member_save_batch(std::ptr::null_mut(), input, input));
    }
    if let Ok(text) = std::str::from_utf8(&bytes[..bytes.len() - 1]) {
        if let Ok(serde_json::Value::Object(query)) = serde_json::from_str(text) {
            let _ = jdy_member::member::detail_query(&query);
            let _ = jdy_member::member::list_query(&query);
            let _ = jdy_member::batch::BatchOptions::from_map(&query);
        }
    }
});
