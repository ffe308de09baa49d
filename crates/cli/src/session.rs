//! The session a command runs in: the client, configured from `--config FILE` or the
//! `JDY_*` environment variables, or (with `--sandbox`) pointed at a sandbox gateway started
//! in this process, which must outlive the client; and which account that is, in words
//! that hold no secret (the page shows it).

use crate::output::Output;
use jdy_member::config::{value_from_text, AppSource, CONFIG_KEYS};
use jdy_member::{Client, Config, Error};
use jdy_member_sandbox::{Sandbox, SandboxOptions};
use serde_json::{Map, Value};
use std::path::Path;

/// The client (and the in-process sandbox that must outlive it, when --sandbox is given).
pub struct Session {
    pub client: Client,
    /// The account the client talks to, and where its configuration came from: no secret.
    pub account: Value,
    sandbox: Option<Sandbox>,
}

impl Session {
    /// With `sandbox`, a client of a new in-process sandbox gateway; else one configured from
    /// the `config` file, or from the environment when there is none.
    pub fn open(config: Option<&Path>, sandbox: bool, out: &Output) -> Result<Session, Error> {
        if sandbox {
            return Session::with_sandbox(out);
        }
        let (text, source) = match config {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| {
                    Error::config(format!(
                        "the configuration file {} cannot be read: {e}",
                        path.display()
                    ))
                })?,
                serde_json::json!({"source": "config", "file": path.display().to_string()}),
            ),
            None => (
                config_from_env()?.to_string(),
                serde_json::json!({"source": "environment"}),
            ),
        };
        let config = Config::from_json(&text)?;
        Ok(Session {
            account: account(&config, source),
            client: Client::new(config)?,
            sandbox: None,
        })
    }

    fn with_sandbox(out: &Output) -> Result<Session, Error> {
        let sandbox = Sandbox::start(SandboxOptions::default())
            .map_err(|e| Error::config(format!("the sandbox could not start on loopback: {e}")))?;
        out.note(&format!(
            "sandbox gateway running at {} (fake credentials, authorization mode)",
            sandbox.base_url()
        ));
        // Authorization mode, so a run shows the whole flow: authorization, token, call.
        // The sandbox ends with this process, so its token is not worth a cache file.
        let mut config = sandbox.client_config_outer();
        config["token_cache_path"] = Value::Null;
        let config = Config::from_json(&config.to_string())?;
        Ok(Session {
            account: account(&config, serde_json::json!({"source": "sandbox"})),
            client: Client::new(config)?,
            sandbox: Some(sandbox),
        })
    }

    /// With --sandbox, shows what the gateway saw, so the signed flow is visible.
    pub fn report(&self, out: &Output) {
        if let Some(sandbox) = &self.sandbox {
            let stats = sandbox.stats();
            out.note(&format!(
                "sandbox gateway handled {} requests: {} authorization, {} token, {} save, {} detail, {} list, {} master data; {} rejected",
                stats.requests,
                stats.authorize_calls,
                stats.token_calls,
                stats.save_calls,
                stats.detail_calls,
                stats.list_calls,
                stats.master_data_calls,
                stats.rejections.values().sum::<u64>()
            ));
        }
    }
}

/// `described` (where the configuration came from) with the account `config` talks to:
/// the gateway, the client id and how the app is found; never a secret.
fn account(config: &Config, mut described: Value) -> Value {
    described["base_url"] = config.base_url.clone().into();
    described["client_id"] = config.client_id.clone().into();
    match &config.app_source {
        AppSource::Direct(app) => {
            described["mode"] = "direct".into();
            described["domain"] = app.domain.clone().into();
        }
        AppSource::Authorize {
            outer_instance_id,
            account_id,
        } => {
            described["mode"] = "authorization".into();
            described["outer_instance_id"] = outer_instance_id.clone().into();
            if let Some(account_id) = account_id {
                described["account_id"] = account_id.clone().into();
            }
        }
    }
    described
}

/// The configuration the `JDY_*` variables (and `SSL_CERT_FILE`) give.
fn config_from_env() -> Result<Value, Error> {
    let mut config = Map::new();
    for key in CONFIG_KEYS {
        let name = format!("JDY_{}", key.to_ascii_uppercase());
        if let Ok(text) = std::env::var(&name) {
            // The library says how a text becomes the key's value (a number, JSON, off).
            let value = value_from_text(key, &text)
                .map_err(|problem| Error::config(format!("{name} {problem}")))?;
            config.insert(key.to_string(), value);
        }
    }
    // The usual variable of TLS tools, for a firewall's CA, when JDY_CA_FILE is not set.
    if !config.is_empty() && !config.contains_key("ca_file") {
        if let Ok(file) = std::env::var("SSL_CERT_FILE") {
            config.insert("ca_file".into(), Value::from(file));
        }
    }
    if config.is_empty() {
        return Err(Error::config(
            "no configuration: pass --config FILE, set JDY_CLIENT_ID, JDY_CLIENT_SECRET and the app keys, or add --sandbox to try the local sandbox gateway",
        ));
    }
    Ok(Value::Object(config))
}
