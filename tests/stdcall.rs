//! The stdcall functions (`include/jdy_member_stdcall.h`) called as a till calls them,
//! against the sandbox on loopback: UTF-16 (`_w`) in and out, the buffer rule, the result
//! each thread keeps (a short buffer never sends a save twice), client handles that were
//! freed or never issued, and bad input. They are exported from the Windows DLLs only;
//! here they are called as Rust functions, with UTF-8 standing in for the system code page
//! of the `_a` ones (the conversions through Windows, GBK and the escapes are tested under
//! Wine by tests/c/test_stdcall.c, and with a narrow code page by the unit tests).

mod common;

use common::*;
use jdy_member::ffi::*;
use jdy_member_sandbox::Sandbox;
use serde_json::{json, Value};
use std::ptr::{null, null_mut};

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Calls `f` with a fresh buffer of `size` units (NULL when None); its return and the text
/// it wrote (up to the NUL).
fn with_buffer(size: Option<i32>, f: impl FnOnce(*mut u16, i32) -> i32) -> (i32, String) {
    match size {
        None => (f(null_mut(), 0), String::new()),
        Some(size) => {
            let mut buffer = vec![0xfffe_u16; size as usize];
            let n = f(buffer.as_mut_ptr(), size);
            let end = buffer.iter().position(|&u| u == 0).unwrap_or(buffer.len());
            (n, String::from_utf16(&buffer[..end]).unwrap_or_default())
        }
    }
}

/// This thread's kept result, fetched the way a till fetches it: size first, then the text.
fn kept_w() -> String {
    let needed = unsafe { jdy_last_result_w(null_mut(), 0) };
    assert!(needed < 0, "NULL and 0 answer minus the size needed");
    let (n, text) = with_buffer(Some(-needed), |out, size| unsafe {
        jdy_last_result_w(out, size)
    });
    assert_eq!(
        n,
        -needed - 1,
        "the whole kept result fits in the size it said"
    );
    assert_eq!(text.encode_utf16().count(), n as usize);
    text
}

/// Runs `f` into a 64 KiB buffer; the envelope it wrote, which is also the one kept.
fn call_w(f: impl FnOnce(*mut u16, i32) -> i32) -> Value {
    let (n, text) = with_buffer(Some(1 << 16), f);
    assert!(n >= 0, "64 KiB is enough here: {n}");
    assert_eq!(text, kept_w(), "the result is kept as written");
    parse(&text)
}

fn new_client_w(config: &Value) -> isize {
    let config = wide(&config.to_string());
    let (handle, error) = {
        let mut error = vec![1u16; 1024];
        let handle = unsafe { jdy_client_new_w(config.as_ptr(), error.as_mut_ptr(), 1024) };
        (handle, error)
    };
    assert!(handle > 0, "client refused: {}", kept_w());
    assert_eq!(error[0], 0, "error_out is emptied on success");
    handle
}

fn save_w(client: isize, member: &Value) -> Value {
    let member = wide(&member.to_string());
    call_w(|out, size| unsafe { jdy_member_save_w(client, member.as_ptr(), out, size) })
}

fn get_w(client: isize, query: &Value) -> Value {
    let query = wide(&query.to_string());
    call_w(|out, size| unsafe { jdy_member_get_w(client, query.as_ptr(), out, size) })
}

fn saves_of(sandbox: &Sandbox, mobile: &str) -> u64 {
    sandbox
        .stats()
        .saves_by_mobile
        .get(mobile)
        .copied()
        .unwrap_or(0)
}

#[test]
fn the_seed_member_goes_in_and_comes_back_in_utf16() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let saved = expect_ok(&save_w(client, &seed_member()));
    assert_eq!(saved["name"], "会员A");
    assert_eq!(saves_of(&sandbox, "13333333333"), 1);
    let stored = sandbox.member_by_mobile("13333333333").expect("stored");
    assert_eq!(stored["name"], "会员A");
    assert_eq!(stored["remark"], "备注");
    let read = expect_ok(&get_w(client, &json!({"mobile": "13333333333"})));
    assert_eq!(read["name"], "会员A");
    // The same member read through _a (UTF-8 here) is the same envelope.
    let query = b"{\"mobile\":\"13333333333\"}\0";
    let mut out = vec![0u8; 1 << 16];
    let n = unsafe {
        jdy_member_get_a(
            client,
            query.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            1 << 16,
        )
    };
    assert!(n > 0);
    let through_a = parse(std::str::from_utf8(&out[..n as usize]).unwrap());
    assert_eq!(through_a["data"], read);
    assert_eq!(jdy_client_free_w(client), 1);
}

#[test]
fn a_name_beyond_the_bmp_is_stored_and_read_back_whole() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let name = "𠮷野家😀";
    expect_ok(&save_w(
        client,
        &json!({"mobile": "13900001001", "name": name}),
    ));
    assert_eq!(
        sandbox.member_by_mobile("13900001001").unwrap()["name"],
        name
    );
    let read = expect_ok(&get_w(client, &json!({"mobile": "13900001001"})));
    assert_eq!(read["name"], name);
    // Sent as JSON escapes (what an _a caller does for a character its code page lacks).
    let escaped = wide(r#"{"mobile":"13900001002","name":"\ud842\udfb7"}"#);
    expect_ok(&call_w(|out, size| unsafe {
        jdy_member_save_w(client, escaped.as_ptr(), out, size)
    }));
    assert_eq!(
        sandbox.member_by_mobile("13900001002").unwrap()["name"],
        "𠮷"
    );
    jdy_client_free_w(client);
}

#[test]
fn a_short_buffer_returns_the_size_needed_keeps_the_result_and_never_saves_twice() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let member = |mobile: &str| wide(&json!({"mobile": mobile, "name": "张三"}).to_string());
    // NULL and 0: only the size wanted; the save is done.
    let first = member("13900002001");
    let (n, _) = with_buffer(None, |out, size| unsafe {
        jdy_member_save_w(client, first.as_ptr(), out, size)
    });
    assert!(n < 0);
    let needed = -n;
    let kept = kept_w();
    assert_eq!(kept.encode_utf16().count() as i32 + 1, needed);
    assert_eq!(expect_ok(&parse(&kept))["mobile"], "13900002001");
    // One unit, and exactly one short (the same shape of answer needs the same size).
    for (mobile, size) in [("13900002002", 1), ("13900002003", needed - 1)] {
        let this = member(mobile);
        let (n, written) = with_buffer(Some(size), |out, size| unsafe {
            jdy_member_save_w(client, this.as_ptr(), out, size)
        });
        assert_eq!(n, -needed, "buffer of {size}: minus the size needed");
        assert_eq!(written, "", "nothing but a NUL is written");
        let kept = kept_w();
        assert_eq!(kept, kept_w(), "fetched as often as needed");
        assert_eq!(expect_ok(&parse(&kept))["mobile"], mobile);
        // Exactly the size needed fits.
        let (n, fetched) = with_buffer(Some(needed), |out, size| unsafe {
            jdy_last_result_w(out, size)
        });
        assert_eq!((n, fetched.as_str()), (needed - 1, kept.as_str()));
        let (n, _) = with_buffer(Some(needed - 1), |out, size| unsafe {
            jdy_last_result_w(out, size)
        });
        assert_eq!(n, -needed);
    }
    for mobile in ["13900002001", "13900002002", "13900002003"] {
        assert_eq!(saves_of(&sandbox, mobile), 1, "{mobile} was saved once");
    }
    assert_eq!(sandbox.stats().save_calls, 3);
    jdy_client_free_w(client);
}

#[test]
fn an_unusable_buffer_does_nothing_and_says_why() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let member = wide(&json!({"mobile": "13900003001", "name": "李四"}).to_string());
    let mut buffer = vec![7u16; 16];
    for (out, size, says) in [
        (null_mut(), 100, "`out` is NULL but its size is 100"),
        (buffer.as_mut_ptr(), -1, "out_chars is -1"),
        (buffer.as_mut_ptr(), i32::MIN, "cannot be negative"),
        (
            buffer.as_mut_ptr(),
            MAX_OUT_SIZE + 1,
            "more than any result needs",
        ),
    ] {
        let n = unsafe { jdy_member_save_w(client, member.as_ptr(), out, size) };
        assert!(n < 0, "{says}: {n}");
        let kept = kept_w();
        assert_eq!(kept.encode_utf16().count() as i32 + 1, -n);
        let error = expect_error(&parse(&kept), "invalid_argument");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(says) && message.contains("nothing was done"),
            "{message}"
        );
    }
    assert!(
        buffer.iter().all(|&u| u == 7),
        "an unusable buffer is never written"
    );
    assert_eq!(sandbox.stats().save_calls, 0, "no save was sent");
    // jdy_last_result never changes the kept result: given no usable buffer it only says
    // how much it needs.
    let before = kept_w();
    let n = unsafe { jdy_last_result_w(null_mut(), 5) };
    assert_eq!(n, -(before.encode_utf16().count() as i32 + 1));
    assert_eq!(kept_w(), before);
    jdy_client_free_w(client);
}

#[test]
fn handles_that_were_freed_or_never_issued_are_refused_never_a_crash() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let query = wide(r#"{"mobile":"13333333333"}"#);
    let get = |handle: isize| {
        call_w(|out, size| unsafe { jdy_member_get_w(handle, query.as_ptr(), out, size) })
    };
    assert_eq!(jdy_client_free_w(client), 1);
    assert_eq!(jdy_client_free_w(client), 0, "freeing again does nothing");
    let cdecl = CClient::new(&config(&sandbox));
    for (handle, says) in [
        (client, "was freed"),
        (0, "handle is 0"),
        (-1, "is not a client handle"),
        (123_456_789, "is not a client handle"),
        (cdecl.0 as isize, "is not a client handle"),
    ] {
        let error = expect_error(&get(handle), "invalid_argument");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{handle}: {error}"
        );
        assert_eq!(jdy_client_free_a(handle), 0);
    }
    assert_eq!(sandbox.stats().detail_calls, 0);
}

#[test]
fn text_that_is_not_valid_is_refused_before_anything_is_sent() {
    let sandbox = sandbox();
    let client = new_client_w(&config(&sandbox));
    let mut lone = wide(r#"{"mobile":"13900004001","name":"x"}"#);
    lone.insert(lone.len() - 3, 0xd842); // an unpaired high surrogate inside the name
    let error = expect_error(
        &call_w(|out, size| unsafe { jdy_member_save_w(client, lone.as_ptr(), out, size) }),
        "invalid_argument",
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("unpaired surrogate 0xd842"),
        "{error}"
    );
    let error = expect_error(
        &call_w(|out, size| unsafe { jdy_member_save_w(client, null(), out, size) }),
        "invalid_argument",
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("member pointer is NULL"),
        "{error}"
    );
    // _a with bytes that are no text in the code page (UTF-8 here).
    let bad = b"{\"mobile\":\"13900004002\",\"name\":\"\xbb\xe1\"}\0";
    let mut out = vec![0u8; 4096];
    let n =
        unsafe { jdy_member_save_a(client, bad.as_ptr().cast(), out.as_mut_ptr().cast(), 4096) };
    let envelope = parse(std::str::from_utf8(&out[..n as usize]).unwrap());
    let error = expect_error(&envelope, "invalid_argument");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("not valid text in the system code page"));
    assert_eq!(sandbox.stats().save_calls, 0);
    jdy_client_free_w(client);
}

#[test]
fn each_thread_keeps_its_own_result() {
    let validate = |name: &str| {
        let member = wide(&json!({"mobile": "13900005001", "name": name}).to_string());
        call_w(|out, size| unsafe { jdy_member_validate_w(member.as_ptr(), out, size) })
    };
    validate("主线程");
    std::thread::spawn(move || {
        let none = parse(&kept_w());
        let error = expect_error(&none, "invalid_argument");
        assert!(error["message"]
            .as_str()
            .unwrap()
            .contains("no result is kept on this thread"));
        validate("工作线程");
        assert_eq!(parse(&kept_w())["data"]["name"], "工作线程");
    })
    .join()
    .unwrap();
    assert_eq!(parse(&kept_w())["data"]["name"], "主线程");
}

#[test]
fn a_refused_configuration_answers_0_with_its_error() {
    let config = wide(r#"{"client_id":"fake","client_idd":"x"}"#);
    let mut error = vec![0xffffu16; 4096];
    let handle = unsafe { jdy_client_new_w(config.as_ptr(), error.as_mut_ptr(), 4096) };
    assert_eq!(handle, 0);
    let end = error.iter().position(|&u| u == 0).unwrap();
    let written = String::from_utf16(&error[..end]).unwrap();
    expect_error(&parse(&written), "config");
    assert_eq!(written, kept_w());
    // error_out too small: an empty string there, the error kept.
    let mut small = [0xffffu16; 8];
    assert_eq!(
        unsafe { jdy_client_new_w(config.as_ptr(), small.as_mut_ptr(), 8) },
        0
    );
    assert_eq!(small[0], 0);
    expect_error(&parse(&kept_w()), "config");
    // No configuration, no error buffer: still 0, the error kept.
    assert_eq!(unsafe { jdy_client_new_w(null(), null_mut(), 0) }, 0);
    expect_error(&parse(&kept_w()), "invalid_argument");
    // An unusable error buffer: nothing is created.
    let good = wide(
        &json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o"}).to_string(),
    );
    assert_eq!(
        unsafe { jdy_client_new_w(good.as_ptr(), null_mut(), 10) },
        0
    );
    let error = expect_error(&parse(&kept_w()), "invalid_argument");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("`error_out` is NULL but its size is 10"));
}

#[test]
fn the_rest_of_the_api_through_utf16() {
    let sandbox = sandbox();
    let outbox = private_dir("stdcall-outbox").join("outbox.sqlite3");
    let mut with_outbox = config(&sandbox);
    with_outbox["outbox_path"] = outbox.display().to_string().into();
    let client = new_client_w(&with_outbox);
    let text = |value: &Value| wide(&value.to_string());

    let (n, version) = with_buffer(Some(32), |out, size| unsafe { jdy_version_w(out, size) });
    assert_eq!(
        (n as usize, version.as_str()),
        (version.len(), env!("CARGO_PKG_VERSION"))
    );

    let members =
        text(&json!([{"mobile": "13900006001", "name": "王五"}, {"mobile": "1", "name": "x"}]));
    let summary = expect_ok(&call_w(|out, size| unsafe {
        jdy_member_save_batch_w(client, members.as_ptr(), null(), out, size)
    }));
    assert_eq!(
        (summary["saved"].as_u64(), summary["refused"].as_u64()),
        (Some(1), Some(1))
    );

    let page = text(&json!({"page": 1, "page_size": 10}));
    let listed = expect_ok(&call_w(|out, size| unsafe {
        jdy_member_list_w(client, page.as_ptr(), out, size)
    }));
    assert!(
        listed["rows"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty()),
        "{listed}"
    );

    let queued = text(&json!({"mobile": "13900006002", "name": "赵六"}));
    let item = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_add_w(client, queued.as_ptr(), out, size)
    }));
    assert_eq!(item["state"], "queued");
    let status = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_status_w(client, out, size)
    }));
    assert_eq!(status["queued"], 1);
    let items = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_list_w(client, null(), out, size)
    }));
    assert_eq!(items["count"], 1);
    let flushed = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_flush_w(client, null(), out, size)
    }));
    assert_eq!(flushed["saved"], 1, "{flushed}");
    let refused = text(&json!({"state": "refused"}));
    let retried = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_retry_w(client, refused.as_ptr(), out, size)
    }));
    assert_eq!(retried["requeued"], 0);
    let discarded = expect_ok(&call_w(|out, size| unsafe {
        jdy_outbox_discard_w(client, refused.as_ptr(), out, size)
    }));
    assert_eq!(discarded["discarded"], 0);

    let request = text(&json!({"method": "GET", "path": "/jdy/v2/ls/store", "query": {"page": 1}}));
    let stores = expect_ok(&call_w(|out, size| unsafe {
        jdy_call_w(client, request.as_ptr(), out, size)
    }));
    assert!(stores.to_string().contains("南京西路店"), "{stores}");
    let report = expect_ok(&call_w(|out, size| unsafe {
        jdy_doctor_w(client, out, size)
    }));
    assert_eq!(report["failed"], 0, "{report}");

    assert_eq!(saves_of(&sandbox, "13900006001"), 1);
    assert_eq!(saves_of(&sandbox, "13900006002"), 1);
    assert_eq!(jdy_client_free_w(client), 1);
}

#[test]
fn the_ansi_functions_follow_the_same_rule() {
    let sandbox = sandbox();
    let config = format!("{}\0", config(&sandbox));
    let mut error = [0u8; 256];
    let client =
        unsafe { jdy_client_new_a(config.as_ptr().cast(), error.as_mut_ptr().cast(), 256) };
    assert!(client > 0);
    let member = "{\"mobile\":\"13900007001\",\"name\":\"周七\"}\0";
    let n = unsafe { jdy_member_save_a(client, member.as_ptr().cast(), null_mut(), 0) };
    assert!(n < 0);
    let mut out = vec![b'#'; -n as usize];
    let written = unsafe { jdy_last_result_a(out.as_mut_ptr().cast(), -n) };
    assert_eq!(written, -n - 1);
    assert_eq!(out[written as usize], 0);
    let envelope = parse(std::str::from_utf8(&out[..written as usize]).unwrap());
    assert_eq!(expect_ok(&envelope)["name"], "周七");
    assert_eq!(saves_of(&sandbox, "13900007001"), 1);
    let mut version = [0u8; 3];
    let n = unsafe { jdy_version_a(version.as_mut_ptr().cast(), 3) };
    assert_eq!(n, -(env!("CARGO_PKG_VERSION").len() as i32 + 1));
    assert_eq!(version[0], 0);
    assert_eq!(jdy_client_free_a(client), 1);
}
