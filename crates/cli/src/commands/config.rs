//! `jdy-member config`: where a command's configuration comes from and what it says, for
//! the staff's support. `config path` prints this user's settings file (whether or not it
//! exists yet); `config show` prints the configuration the commands use and its source
//! (`--config`, the `JDY_*` environment, the settings file), secrets masked, and whether the
//! library accepts it.

use crate::args::{Cli, ConfigArgs, ConfigCommand};
use crate::output::{Exit, Output};
use crate::session::{no_configuration, Source};
use crate::settings::{self, masked};
use jdy_member::{Config, Error};
use serde_json::{json, Map, Value};

pub fn run(cli: &Cli, args: &ConfigArgs, out: &Output) -> Result<Exit, Error> {
    match args.command {
        ConfigCommand::Path => path(out),
        ConfigCommand::Show => show(cli, out),
    }
}

fn path(out: &Output) -> Result<Exit, Error> {
    let path = settings::per_user_path().ok_or_else(|| no_configuration(None))?;
    if out.json {
        out.data(&json!({"path": path.display().to_string(), "exists": path.exists()}));
    } else {
        out.line_text(&path.display().to_string());
    }
    Ok(Exit::Ok)
}

fn show(cli: &Cli, out: &Output) -> Result<Exit, Error> {
    let source = Source::find(cli.config.as_deref(), cli.sandbox)?;
    let mut shown = source.describe();
    let settings_file = settings::per_user_path();
    shown["settings_file"] = settings_file
        .as_ref()
        .map(|p| p.display().to_string())
        .into();
    let Some((config, kept)) = config_of(&source)? else {
        return match source {
            Source::Sandbox => {
                shown["note"] = "each command given --sandbox starts a sandbox gateway of its own, with fake credentials; nothing else is read".into();
                print(out, &shown);
                Ok(Exit::Ok)
            }
            _ => Err(no_configuration(settings_file.as_deref())),
        };
    };
    let problem = Config::from_json(&Value::Object(config.clone()).to_string()).err();
    shown["config"] = Value::Object(masked(&config, kept.as_ref()));
    shown["usable"] = problem.is_none().into();
    if let Some(problem) = &problem {
        shown["problem"] = problem.message.clone().into();
    }
    let unused = !matches!(source, Source::Settings(_))
        && settings_file.as_ref().is_some_and(|p| p.exists());
    if unused {
        shown["note"] =
            "the settings file is not used: --config and the JDY_* variables come first".into();
    }
    print(out, &shown);
    Ok(if problem.is_some() {
        Exit::Unusable
    } else {
        Exit::Ok
    })
}

/// The configuration `source` gives (secrets in clear) and, for the settings file, as the
/// file keeps it (to say which secrets are protected); None for the sandbox.
type Shown = (Map<String, Value>, Option<Map<String, Value>>);

fn config_of(source: &Source) -> Result<Option<Shown>, Error> {
    Ok(match source {
        Source::Sandbox | Source::Nothing(_) => None,
        Source::File(path) => match serde_json::from_str(&source.config_text()?) {
            Ok(Value::Object(config)) => Some((config, None)),
            _ => {
                return Err(Error::config(format!(
                    "the configuration file {} is not a JSON object",
                    path.display()
                )))
            }
        },
        Source::Environment(config) => Some((config.clone(), None)),
        Source::Settings(store) => match (store.load()?, store.load_kept()?) {
            (Some(config), kept) => Some((config, kept)),
            (None, _) => None,
        },
    })
}

/// The settings as JSON (`--json`) or in lines for a person.
fn print(out: &Output, shown: &Value) {
    if out.json {
        out.data(shown);
        return;
    }
    let text = |key: &str| shown[key].as_str().unwrap_or_default().to_string();
    let from = match text("source").as_str() {
        "sandbox" => "--sandbox (a sandbox gateway in this process, fake credentials)".to_string(),
        "config" => format!("--config {}", text("file")),
        "environment" => "the JDY_* environment variables".to_string(),
        "settings" => format!("the settings file {}", text("file")),
        other => other.to_string(),
    };
    out.line_text(&format!("configuration from: {from}"));
    if let Some(config) = shown.get("config") {
        out.line_text(&serde_json::to_string_pretty(config).unwrap_or_default());
    }
    if let Some(problem) = shown.get("problem").and_then(Value::as_str) {
        out.line_text(&format!("not usable: {problem}"));
    }
    if let Some(note) = shown.get("note").and_then(Value::as_str) {
        out.note(note);
    }
}
