//! The session a command runs in: the client, configured from the first of `--config FILE`,
//! the `JDY_*` environment variables and this user's settings file (what `jdy-member ui`
//! saved on a first run), or (with `--sandbox`, which wins over all of them) pointed at a
//! sandbox gateway started in this process, which must outlive the client; and which
//! account that is, in words that hold no secret (the page shows it).

use crate::output::Output;
use crate::settings::Store;
use jdy_member::config::{value_from_text, AppSource, CONFIG_KEYS};
use jdy_member::{Client, Config, Error};
use jdy_member_sandbox::{Sandbox, SandboxOptions};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Where a command's configuration comes from: the first there is, in this order.
pub enum Source {
    /// `--sandbox`: a sandbox gateway in this process, with fake credentials.
    Sandbox,
    /// `--config FILE`.
    File(PathBuf),
    /// The `JDY_*` variables (any of them set).
    Environment(Map<String, Value>),
    /// This user's settings file.
    Settings(Store),
    /// None of them: the settings file would be at this path (when the platform has one).
    Nothing(Option<PathBuf>),
}

impl Source {
    /// The source a command with these options uses.
    pub fn find(config: Option<&Path>, sandbox: bool) -> Result<Source, Error> {
        if sandbox {
            return Ok(Source::Sandbox);
        }
        if let Some(path) = config {
            return Ok(Source::File(path.to_path_buf()));
        }
        let environment = config_from_env()?;
        if !environment.is_empty() {
            return Ok(Source::Environment(environment));
        }
        match Store::per_user() {
            Ok(store) if store.exists() => Ok(Source::Settings(store)),
            Ok(store) => Ok(Source::Nothing(Some(store.path))),
            Err(_) => Ok(Source::Nothing(None)),
        }
    }

    /// Where the configuration came from, as the page and `config show` say it.
    pub fn describe(&self) -> Value {
        match self {
            Source::Sandbox => json!({"source": "sandbox"}),
            Source::File(path) => json!({"source": "config", "file": path.display().to_string()}),
            Source::Environment(_) => json!({"source": "environment"}),
            Source::Settings(store) => {
                json!({"source": "settings", "file": store.path.display().to_string()})
            }
            Source::Nothing(path) => {
                json!({"source": "none", "file": path.as_ref().map(|p| p.display().to_string())})
            }
        }
    }

    /// The configuration's JSON text (secrets in clear: for `Config::from_json` only).
    pub fn config_text(&self) -> Result<String, Error> {
        match self {
            Source::File(path) => std::fs::read_to_string(path).map_err(|e| {
                Error::config(format!(
                    "the configuration file {} cannot be read: {e}",
                    path.display()
                ))
            }),
            Source::Environment(config) => Ok(Value::Object(config.clone()).to_string()),
            Source::Settings(store) => match store.load()? {
                Some(config) => Ok(Value::Object(config).to_string()),
                None => Err(no_configuration(Some(&store.path))),
            },
            Source::Nothing(path) => Err(no_configuration(path.as_deref())),
            Source::Sandbox => Err(Error::internal(
                "the sandbox's configuration is made when it starts",
            )),
        }
    }
}

/// The error of a command that needs an account when none is configured.
pub fn no_configuration(settings: Option<&Path>) -> Error {
    let file = settings.map_or(String::new(), |p| {
        format!(" (it is kept in {})", p.display())
    });
    Error::config(format!(
        "no configuration: start `jdy-member ui`, which asks for the account on its first run and saves it for every command{file}; or pass --config FILE, or set JDY_CLIENT_ID, JDY_CLIENT_SECRET and the app keys; or add --sandbox to try the local sandbox gateway"
    ))
}

/// The client (and the in-process sandbox that must outlive it, when --sandbox is given).
pub struct Session {
    pub client: Client,
    /// The account the client talks to, and where its configuration came from: no secret.
    pub account: Value,
    sandbox: Option<Sandbox>,
}

impl Session {
    /// The session of the first configuration source there is (`Source::find`).
    pub fn open(config: Option<&Path>, sandbox: bool, out: &Output) -> Result<Session, Error> {
        Session::from_source(&Source::find(config, sandbox)?, out)
    }

    /// The session `source` configures.
    pub fn from_source(source: &Source, out: &Output) -> Result<Session, Error> {
        if let Source::Sandbox = source {
            return Session::with_sandbox(out);
        }
        let config = Config::from_json(&source.config_text()?)?;
        Ok(Session {
            account: account(&config, source.describe()),
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
            account: account(&config, Source::Sandbox.describe()),
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
pub fn account(config: &Config, mut described: Value) -> Value {
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

/// The configuration the `JDY_*` variables (and `SSL_CERT_FILE`) give; empty when none of
/// them is set.
fn config_from_env() -> Result<Map<String, Value>, Error> {
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
    Ok(config)
}
