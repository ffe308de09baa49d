//! Helpers shared by the integration tests: calling the C ABI the way a C program does.
#![allow(dead_code)]

use jdy_member::ffi::*;
use jdy_member_sandbox::{Behaviour, Sandbox, SandboxOptions};
use serde_json::Value;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;

/// Takes ownership of a returned envelope: parses it and frees it with jdy_string_free.
pub fn take(ptr: *mut c_char) -> Value {
    assert!(
        !ptr.is_null(),
        "the library returned NULL instead of an envelope"
    );
    let text = unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .expect("envelopes are UTF-8")
        .to_string();
    unsafe { jdy_string_free(ptr) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL in test text")
}

/// A client built through jdy_client_new, freed on drop.
pub struct CClient(pub *mut JdyClient);

unsafe impl Send for CClient {}
unsafe impl Sync for CClient {}

impl CClient {
    pub fn new(config: &Value) -> CClient {
        Self::try_new(config).unwrap_or_else(|e| panic!("client refused: {e}"))
    }

    pub fn try_new(config: &Value) -> Result<CClient, Value> {
        let text = c(&config.to_string());
        let mut error: *mut c_char = std::ptr::null_mut();
        let client = unsafe { jdy_client_new(text.as_ptr(), &mut error) };
        if client.is_null() {
            Err(take(error))
        } else {
            assert!(error.is_null(), "error_json must be NULL on success");
            Ok(CClient(client))
        }
    }

    pub fn save(&self, member: &Value) -> Value {
        let text = c(&member.to_string());
        take(unsafe { jdy_member_save(self.0, text.as_ptr()) })
    }

    pub fn get(&self, query: &Value) -> Value {
        let text = c(&query.to_string());
        take(unsafe { jdy_member_get(self.0, text.as_ptr()) })
    }

    pub fn list(&self, query: &Value) -> Value {
        let text = c(&query.to_string());
        take(unsafe { jdy_member_list(self.0, text.as_ptr()) })
    }
}

impl CClient {
    /// jdy_member_save_batch with `options` (JSON text); the envelope's `data`.
    pub fn batch_data(&self, members: &Value, options: &str) -> Value {
        let members = c(&members.to_string());
        let options = c(options);
        expect_ok(&take(unsafe {
            jdy_member_save_batch(self.0, members.as_ptr(), options.as_ptr())
        }))
    }
}

/// jdy_member_save_batch through `client`; the summary (`data`).
pub fn batch(client: &CClient, members: &Value, options: &str) -> Value {
    client.batch_data(members, options)
}

impl Drop for CClient {
    fn drop(&mut self) {
        unsafe { jdy_client_free(self.0) };
    }
}

pub fn validate(member: &Value) -> Value {
    let text = c(&member.to_string());
    take(unsafe { jdy_member_validate(text.as_ptr()) })
}

/// The member from the API spec's own example.
pub fn seed_member() -> Value {
    serde_json::json!({
        "address": "410", "birthday": "2022-08-01", "custom_no": "1", "customer": "001",
        "detail_address": "XXX", "enable": "1", "end_date": "2022-01-01", "is_delete": "0",
        "join_way": "1", "label": null, "level": "1", "mbcard_id": "1", "mobile": "13333333333",
        "name": "会员A", "period": "1", "referrere_mp": "1", "remark": "备注", "sale_shop": "1",
        "sex_group": "1", "shop": "850693217107061760", "source": "1", "start_date": "2022-01-01"
    })
}

pub fn member(mobile: u64, name: &str) -> Value {
    serde_json::json!({"mobile": mobile.to_string(), "name": name})
}

/// Asserts an error envelope of `kind` and returns its error object.
pub fn expect_error(envelope: &Value, kind: &str) -> Value {
    assert_eq!(envelope["ok"], false, "expected an error, got {envelope}");
    assert_eq!(envelope["error"]["kind"], kind, "wrong kind in {envelope}");
    assert!(envelope["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(envelope["error"]["retryable"].is_boolean());
    envelope["error"].clone()
}

pub fn expect_ok(envelope: &Value) -> Value {
    assert_eq!(envelope["ok"], true, "expected success, got {envelope}");
    envelope["data"].clone()
}

/// A sandbox as documented, without the rate limits (tests that count other things must
/// not wait for them); tests of the limits start their own.
pub fn sandbox() -> Sandbox {
    sandbox_with(Behaviour::unlimited())
}

/// A sandbox with these switches.
pub fn sandbox_with(behaviour: Behaviour) -> Sandbox {
    Sandbox::start(SandboxOptions {
        behaviour,
        ..SandboxOptions::default()
    })
    .expect("sandbox starts on loopback")
}

/// Direct mode for `sandbox`, without a token cache file (so that each test counts its own
/// token calls) and without the client-side request budget (tests of the budget set it).
pub fn config(sandbox: &Sandbox) -> Value {
    for_tests(sandbox.client_config())
}

/// Authorization mode for `sandbox`, likewise.
pub fn config_outer(sandbox: &Sandbox) -> Value {
    for_tests(sandbox.client_config_outer())
}

fn for_tests(mut config: Value) -> Value {
    config["token_cache_path"] = Value::Null;
    config["request_budget"] = Value::Null;
    config
}

/// A folder only this user can write to, fresh for `name`.
pub fn private_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    dir
}
