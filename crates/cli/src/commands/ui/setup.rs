//! The account form: on a first run (no configuration anywhere) the page opens on it, and
//! later it replaces the saved account. The staff give the client id and secret and either
//! the outer instance id (authorization mode, optionally the account id) or the app key,
//! app secret and domain; a hidden "advanced" part takes the gateway's address and a proxy.
//!
//! Nothing is saved unchecked: the library's doctor (`Client::doctor`) runs with the form's
//! account, and each of its checks comes back in words. A failure of what every import needs
//! (the configuration, DNS, the gateway and TLS, the clock, the authorization, the token, the
//! member APIs' permissions) saves nothing; a failure of anything else (the store, level,
//! customer or label lists, which only some files need) or a warning saves only when the
//! staff confirm after seeing it. A saved secret is never sent back to the page: the form
//! leaves it empty, and an empty secret keeps the saved one.

use super::account::Account;
use crate::output::{describe, Output};
use crate::session::{Session, Source};
use jdy_member::doctor::Verdict;
use jdy_member::{Client, Config};
use serde_json::{json, Map, Value};

/// The largest form the page sends.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The configuration keys the form sets; the settings file's other keys are kept.
const FORM_KEYS: [&str; 9] = [
    "client_id",
    "client_secret",
    "outer_instance_id",
    "account_id",
    "app_key",
    "app_secret",
    "domain",
    "base_url",
    "proxy",
];

/// The doctor's checks whose failure leaves the account unusable for any import.
const BLOCKING: [&str; 9] = [
    "configuration",
    "dns",
    "dns proxy",
    "gateway",
    "clock",
    "authorization",
    "token",
    "permission member detail",
    "permission member list",
];

/// What the form shows of the saved account: never a secret, only whether one is saved.
pub fn saved_form(account: &Account) -> Value {
    let mut state = account.to_json()["setup"].clone();
    let saved = account
        .store()
        .and_then(|store| store.load().ok().flatten());
    if let Some(saved) = saved {
        let text = |key: &str| saved.get(key).and_then(Value::as_str).unwrap_or_default();
        let direct = saved.contains_key("app_key") && !saved.contains_key("outer_instance_id");
        let shown = crate::settings::masked(&saved, None);
        state["saved"] = json!({
            "client_id": text("client_id"),
            "mode": if direct { "direct" } else { "authorization" },
            "outer_instance_id": text("outer_instance_id"),
            "account_id": text("account_id"),
            "app_key": text("app_key"),
            "domain": text("domain"),
            "base_url": text("base_url"),
            "proxy": shown.get("proxy").and_then(Value::as_str).unwrap_or_default(),
            "has_client_secret": saved.contains_key("client_secret"),
            "has_app_secret": saved.contains_key("app_secret"),
        });
    }
    state
}

/// Checks the account of `form` and saves it when the checks allow (`{"insist": true}`:
/// also past a warning); the answer says what was checked and whether it was saved.
pub fn submit(account: &Account, form: &Value, out: &Output) -> Result<Value, (u16, String)> {
    let Some(store) = account.store() else {
        return Err((
            409,
            if account.session().is_some() {
                "the account comes from --config, the JDY_* variables or --sandbox: the settings file would not be read, so the page does not change it".into()
            } else {
                "this user has no folder for settings (no HOME, XDG_CONFIG_HOME or APPDATA): start the tool with --config FILE instead".into()
            },
        ));
    };
    // A damaged file cannot lend its secrets; it is set aside when the new one is saved.
    let (saved, damaged) = match store.load() {
        Ok(saved) => (saved, false),
        Err(_) => (None, true),
    };
    let config = from_form(form, saved.as_ref());
    let checks = doctor(&config);
    let blocking = checks.iter().any(|c| c["blocking"] == true);
    let warned = checks
        .iter()
        .any(|c| c["verdict"] != "ok" && c["verdict"] != "skipped");
    let insist = form.get("insist") == Some(&Value::Bool(true));
    if blocking || (warned && !insist) {
        return Ok(
            json!({"saved": false, "blocking": blocking, "warned": warned, "checks": checks}),
        );
    }
    let cannot = |e: jdy_member::Error| (500, describe(&e));
    let aside = if damaged {
        store.set_aside().map_err(cannot)?
    } else {
        None
    };
    store.save(&config).map_err(cannot)?;
    // The next start reads the file: so does this one, from now on.
    let session = Session::from_source(&Source::Settings(store), out).map_err(cannot)?;
    account.replace(session);
    Ok(json!({
        "saved": true,
        "checks": checks,
        "aside": aside.map(|p| p.display().to_string()),
    }))
}

/// The configuration the form gives: the saved settings' other keys, the form's values
/// (trimmed; empty ones left out), a saved secret kept where the form leaves it empty.
fn from_form(form: &Value, saved: Option<&Map<String, Value>>) -> Map<String, Value> {
    let given = |key: &str| {
        form.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    let mut config = saved.cloned().unwrap_or_default();
    for key in FORM_KEYS {
        config.remove(key);
    }
    let direct = form.get("mode").and_then(Value::as_str) == Some("direct");
    let keys: &[&str] = if direct {
        &[
            "client_id",
            "client_secret",
            "app_key",
            "app_secret",
            "domain",
        ]
    } else {
        &[
            "client_id",
            "client_secret",
            "outer_instance_id",
            "account_id",
        ]
    };
    for key in keys.iter().chain(&["base_url", "proxy"]) {
        let secret = crate::settings::SECRET_KEYS.contains(key);
        let kept = || {
            saved
                .and_then(|s| s.get(*key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if let Some(value) = given(key).or_else(|| if secret { kept() } else { None }) {
            config.insert(key.to_string(), Value::from(value));
        }
    }
    config
}

/// The doctor's checks of `config`, each `{name, verdict, detail, advice, blocking}`. The
/// check fetches a fresh token (no token cache) and gives up sooner than a command would.
fn doctor(config: &Map<String, Value>) -> Vec<Value> {
    let mut trial = config.clone();
    trial.insert("token_cache_path".into(), Value::Null);
    trial.entry("deadline_ms").or_insert(json!(20_000));
    trial.entry("max_retries").or_insert(json!(1));
    let client = Config::from_json(&Value::Object(trial).to_string()).and_then(Client::new);
    let checks = match client {
        Ok(client) => client.doctor(),
        Err(error) => {
            return vec![json!({
                "name": "configuration", "verdict": "fail", "detail": describe(&error),
                "advice": "fill in the form as the message says", "blocking": true,
            })]
        }
    };
    checks
        .iter()
        .map(|check| {
            let mut shown = serde_json::to_value(check).unwrap_or(Value::Null);
            shown["blocking"] =
                (check.verdict == Verdict::Fail && BLOCKING.contains(&check.name.as_str())).into();
            shown
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_keeps_saved_secrets_and_other_keys_and_one_mode() {
        let saved = json!({"client_id": "old", "client_secret": "kept-secret", "app_key": "k",
                           "app_secret": "app-kept", "domain": "d", "ca_file": "/etc/ca.pem"});
        let form = json!({"client_id": " cid ", "client_secret": "", "mode": "authorization",
                          "outer_instance_id": "oid", "account_id": "", "app_key": "ignored",
                          "base_url": "http://127.0.0.1:9"});
        let config = from_form(&form, saved.as_object());
        let expected = json!({"client_id": "cid", "client_secret": "kept-secret",
                              "outer_instance_id": "oid", "base_url": "http://127.0.0.1:9",
                              "ca_file": "/etc/ca.pem"});
        assert_eq!(Value::Object(config), expected);
        let direct = json!({"client_id": "c", "client_secret": "new", "mode": "direct",
                            "app_key": "k2", "app_secret": "", "domain": "d2"});
        let config = from_form(&direct, saved.as_object());
        assert_eq!(config["client_secret"], "new");
        assert_eq!(config["app_secret"], "app-kept");
        assert!(!config.contains_key("outer_instance_id"));
    }

    #[test]
    fn an_incomplete_form_fails_the_configuration_check_in_the_librarys_words() {
        let checks = doctor(&from_form(
            &json!({"client_id": "c", "mode": "direct"}),
            None,
        ));
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0]["blocking"], true);
        let detail = checks[0]["detail"].as_str().unwrap();
        assert!(detail.contains("client_secret"), "{detail}");
    }
}
