//! `jdy-member sandbox`: the sandbox gateway in the foreground, its address and client
//! configuration printed as one JSON line for scripts and tests in any language.

use crate::args::{SandboxArgs, TlsCertificate};
use crate::output::{Exit, Output};
use jdy_member::Error;
use jdy_member_sandbox::{Behaviour, Certificate, Sandbox, SandboxOptions};
use serde_json::Value;

/// Serves until the process is stopped.
pub fn run(args: &SandboxArgs, out: &Output) -> Result<Exit, Error> {
    let options = sandbox_options(args)?;
    let port = options.port;
    let sandbox = Sandbox::start(options).map_err(|e| {
        Error::config(format!(
            "the sandbox could not listen on 127.0.0.1:{port}: {e}"
        ))
    })?;
    // One JSON line on stdout, so scripts and tests in any language can read where it is.
    out.line(&serde_json::json!({
        "base_url": sandbox.base_url(),
        "ca_file": sandbox.ca_file().map(|p| p.display().to_string()),
        "config": sandbox.client_config(),
        "config_outer": sandbox.client_config_outer(),
        "behaviour": sandbox.behaviour(),
    }));
    out.note(&format!(
        "sandbox gateway listening at {} (fake credentials above; controls under /__sandbox/). Stop it with Ctrl-C.",
        sandbox.base_url()
    ));
    loop {
        std::thread::park();
    }
}

fn sandbox_options(args: &SandboxArgs) -> Result<SandboxOptions, Error> {
    Ok(SandboxOptions {
        port: args.port,
        latency_ms: args.latency_ms,
        clock_offset_ms: args.clock_offset_ms,
        behaviour: behaviour(args.behaviour.as_deref())?,
        tls: args.tls.map(|tls| match tls {
            TlsCertificate::Valid => Certificate::Valid,
            TlsCertificate::WrongHost => Certificate::WrongHost,
            TlsCertificate::Expired => Certificate::Expired,
        }),
        ..SandboxOptions::default()
    })
}

/// The default behaviour with the switches `--behaviour` changes.
fn behaviour(changes: Option<&str>) -> Result<Behaviour, Error> {
    let Some(text) = changes else {
        return Ok(Behaviour::default());
    };
    let mut merged = serde_json::to_value(Behaviour::default()).unwrap_or(Value::Null);
    let changes: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("--behaviour is not JSON ({e})")))?;
    if let (Value::Object(merged), Value::Object(changes)) = (&mut merged, changes) {
        merged.extend(changes);
    }
    serde_json::from_value(merged).map_err(|e| {
        Error::invalid_argument(format!(
            "--behaviour is not usable ({e}); see the README's sandbox section"
        ))
    })
}
