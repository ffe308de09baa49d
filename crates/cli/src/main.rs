//! `jdy-member`: save, read and bulk-import Kingdee JDY members from the command line, and
//! run the local sandbox gateway.

mod import;
mod outbox;
mod output;

mod records;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jdy_member::batch::{self, BatchOptions};
use jdy_member::config::CONFIG_KEYS;
use jdy_member::{Client, Error, ErrorKind};
use jdy_member_sandbox::{Behaviour, Certificate, Sandbox, SandboxOptions};
use output::{Exit, Output};
use records::{Format, TextEncoding};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Configuration comes from --config FILE (the library's JSON configuration), or from
environment variables named JDY_ and the configuration key in capitals: JDY_CLIENT_ID,
JDY_CLIENT_SECRET, JDY_APP_KEY, JDY_APP_SECRET, JDY_DOMAIN or JDY_OUTER_INSTANCE_ID,
JDY_BASE_URL, JDY_CA_FILE (else SSL_CERT_FILE), JDY_TIMEOUT_MS, JDY_LOG_PATH,
JDY_TOKEN_CACHE_PATH (off: none), JDY_REQUEST_BUDGET (JSON such as {\"requests\":500,\"window_s\":60}, or off), ...
--sandbox starts the local sandbox gateway in this process and uses it instead.

Exit codes: 0 all good; 1 internal error; 2 bad command line; 3 configuration or input file
unusable; 4 records refused by validation; 5 refused by Kingdee (auth or business error);
6 transport failure (network, timeout, server, rate limit); 7 member not found.

Example:
  jdy-member --sandbox save examples/seed-member.json";

#[derive(Parser)]
#[command(name = "jdy-member", version, about = "Save and read Kingdee JDY (金蝶精斗云) retail members", after_help = AFTER_HELP)]
struct Cli {
    /// The library's JSON configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Start the sandbox gateway in this process and use it (no credentials needed).
    #[arg(long, global = true)]
    sandbox: bool,
    /// Machine-readable output: JSON envelopes and summaries on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Save one member (a JSON object) or many (a JSON array or JSON lines).
    #[command(
        after_help = "Example:\n  jdy-member --sandbox save examples/seed-member.json\n  echo '{\"mobile\":\"13800138000\",\"name\":\"张三\"}' | jdy-member --sandbox save -"
    )]
    Save {
        /// A JSON file, or - for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Read one member by mobile or id.
    #[command(after_help = "Example:\n  jdy-member get --mobile 13333333333")]
    Get {
        #[arg(long, conflicts_with = "id", required_unless_present = "id")]
        mobile: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
    /// List members, one page or (--all) every page.
    #[command(
        after_help = "Example:\n  jdy-member list --name 会员 --page 1 --page-size 50\n  jdy-member list --all"
    )]
    List {
        /// Only members whose name contains this text.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, conflicts_with = "all")]
        page: Option<u64>,
        #[arg(long)]
        page_size: Option<u64>,
        /// Page through everything and print all rows.
        #[arg(long)]
        all: bool,
    },
    /// Check every record of a file offline and report every error with its line.
    #[command(after_help = "Example:\n  jdy-member validate examples/members.csv")]
    Validate {
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Bulk-save a .csv, .jsonl or .json file, with progress, a rejects file and resume.
    #[command(
        after_help = "Example:\n  jdy-member --sandbox import examples/members.csv\n  jdy-member import members.csv --concurrency 8 --rate 20 --resume"
    )]
    Import(import::ImportArgs),
    /// The offline outbox (`outbox_path`): add, status, list, flush, retry, discard.
    #[command(
        after_help = "Examples:\n  jdy-member outbox add member.json\n  jdy-member outbox status\n  jdy-member outbox flush\n  jdy-member outbox list --state refused\n  jdy-member outbox retry --id ob-... --member fixed.json"
    )]
    Outbox(outbox::OutboxArgs),
    /// Check the configuration, network, TLS, clock, authorization, token and permissions.
    #[command(after_help = "Example:\n  jdy-member doctor\n  jdy-member --json doctor")]
    Doctor,
    /// Call any other JDY API through the same signed client (query as key=value pairs).
    #[command(
        after_help = "Examples:\n  jdy-member call GET /jdy/v2/ls/store page=1 page_size=50\n  jdy-member call POST /jdy/v2/ls/integral_adjust --body adjust.json --idempotent"
    )]
    Call {
        /// GET or POST.
        method: String,
        /// The API path, e.g. /jdy/v2/ls/store.
        path: String,
        /// Query parameters, each key=value.
        params: Vec<String>,
        /// A JSON file (or - for standard input) with the body of a POST.
        #[arg(long)]
        body: Option<String>,
        /// The POST may be sent again after an unclear failure (it carries a src_bill_id).
        #[arg(long)]
        idempotent: bool,
    },
    /// Run the sandbox gateway in the foreground and print the configuration to use it.
    #[command(
        after_help = "Example:\n  jdy-member sandbox --port 8790\n  jdy-member sandbox --tls valid --behaviour '{\"duplicate_mobile\": \"update\", \"account_budget\": null}'"
    )]
    Sandbox(SandboxArgs),
}

/// How `jdy-member sandbox` runs.
#[derive(Args)]
struct SandboxArgs {
    /// Loopback port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Extra latency for every member call, in ms (to rehearse a slow network).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Run the gateway's clock this many ms off this machine's (negative: behind).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    clock_offset_ms: i64,
    /// Serve HTTPS with a certificate from a CA generated at start (its file is printed as
    /// `ca_file`); `wrong-host` and `expired` serve bad certificates on purpose.
    #[arg(long, value_enum)]
    tls: Option<TlsCertificate>,
    /// Switches for Kingdee's undocumented behaviours, as JSON (see the README's sandbox
    /// section), e.g. {"duplicate_mobile": "update", "detail_not_found": "errcode"}.
    #[arg(long, value_name = "JSON")]
    behaviour: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum TlsCertificate {
    Valid,
    WrongHost,
    Expired,
}

/// How input files are read.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Text encoding: auto, utf-8, gbk (= gb18030).
    #[arg(long, default_value = "auto")]
    encoding: TextEncoding,
    /// csv, jsonl or json; by default from the file's extension.
    #[arg(long)]
    format: Option<Format>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    // The command line's own panic boundary: a bug ends the command with exit 1 and one
    // line saying so, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: jdy-member hit a bug{at}; please report it with the command that caused it"
        );
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &out)));
    let exit = match outcome {
        Ok(Ok(exit)) => exit,
        Ok(Err(error)) => {
            out.error(&error);
            Exit::for_kind(error.kind)
        }
        Err(_) => Exit::Internal,
    };
    ExitCode::from(exit as u8)
}

/// The client (and the in-process sandbox that must outlive it, when --sandbox is given).
pub struct Session {
    pub client: Client,
    sandbox: Option<Sandbox>,
}

impl Session {
    /// With --sandbox, shows what the gateway saw, so the signed flow is visible.
    fn report(&self, out: &Output) {
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

fn session(cli: &Cli, out: &Output) -> Result<Session, Error> {
    if cli.sandbox {
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
        let client = Client::from_json(&config.to_string())?;
        return Ok(Session {
            client,
            sandbox: Some(sandbox),
        });
    }
    let config = match &cli.config {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Error::config(format!(
                "the configuration file {} cannot be read: {e}",
                path.display()
            ))
        })?,
        None => config_from_env()?.to_string(),
    };
    Ok(Session {
        client: Client::from_json(&config)?,
        sandbox: None,
    })
}

/// A `JDY_*` variable as the configuration value it stands for.
fn env_value(key: &str, name: &str, text: &str) -> Result<Value, Error> {
    let off = matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "off" | "none" | "null"
    );
    match key {
        _ if key.ends_with("_ms")
            || key.ends_with("_s")
            || key.ends_with("_days")
            || key == "max_retries" =>
        {
            text.trim()
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| Error::config(format!("{name} must be a whole number")))
        }
        "request_budget" if off => Ok(Value::Null),
        "request_budget" => serde_json::from_str(text).map_err(|_| {
            Error::config(format!(
                r#"{name} must be JSON like {{"requests": 500, "window_s": 60}}, or off"#
            ))
        }),
        "token_cache_path" if off || text.trim().is_empty() => Ok(Value::Null),
        _ => Ok(Value::from(text)),
    }
}

fn config_from_env() -> Result<Value, Error> {
    let mut config = Map::new();
    for key in CONFIG_KEYS {
        let name = format!("JDY_{}", key.to_ascii_uppercase());
        if let Ok(text) = std::env::var(&name) {
            config.insert(key.to_string(), env_value(key, &name, &text)?);
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

fn run(cli: &Cli, out: &Output) -> Result<Exit, Error> {
    let command = match &cli.command {
        Command::Validate { file, read } => return validate(file, read, out),
        Command::Sandbox(args) => return serve_sandbox(sandbox_options(args)?, out),
        other => other,
    };
    let session = session(cli, out)?;
    let exit = match command {
        Command::Save { file } => save(&session, file, out),
        Command::Get { mobile, id } => get(&session, mobile, id, out),
        Command::List {
            name,
            page,
            page_size,
            all,
        } => list(&session, name, *page, *page_size, *all, out),
        Command::Import(args) => import::run(&session, args, out),
        Command::Outbox(args) => outbox::run(&session, args, out),
        Command::Doctor => doctor(&session, out),
        Command::Call {
            method,
            path,
            params,
            body,
            idempotent,
        } => call(
            &session,
            method,
            path,
            params,
            body.as_deref(),
            *idempotent,
            out,
        ),
        // Both need no client and returned above.
        Command::Validate { .. } | Command::Sandbox(_) => Ok(Exit::Ok),
    };
    session.report(out);
    exit
}

fn get(
    session: &Session,
    mobile: &Option<String>,
    id: &Option<String>,
    out: &Output,
) -> Result<Exit, Error> {
    let mut query = Map::new();
    match (mobile, id) {
        (Some(mobile), _) => query.insert("mobile".into(), mobile.as_str().into()),
        (None, Some(id)) => query.insert("id".into(), id.as_str().into()),
        (None, None) => None,
    };
    let data = session.client.get_member(&query)?;
    if data.is_null() {
        out.error(&Error::new(
            ErrorKind::Api,
            "no member matches that query; check the mobile or id",
        ));
        return Ok(Exit::NotFound);
    }
    out.data(&data);
    Ok(Exit::Ok)
}

pub(crate) fn doctor(session: &Session, out: &Output) -> Result<Exit, Error> {
    let checks = session.client.doctor();
    let mut exit = Exit::Ok;
    for check in &checks {
        if check.verdict == jdy_member::doctor::Verdict::Fail {
            let transport = matches!(check.name.as_str(), "dns" | "dns proxy" | "gateway");
            exit = exit.max(if transport {
                Exit::Transport
            } else {
                Exit::Rejected
            });
        }
    }
    if out.json {
        out.data(&serde_json::json!({"checks": checks}));
        return Ok(exit);
    }
    for check in &checks {
        let verdict = serde_json::to_value(check.verdict).unwrap_or(Value::Null);
        let mut line = format!(
            "{:<8} {:<30} {}",
            verdict.as_str().unwrap_or(""),
            check.name,
            check.detail
        );
        if let Some(advice) = &check.advice {
            line.push_str(&format!("\n{:<8} {:<30} -> {advice}", "", ""));
        }
        out.line_text(&line);
    }
    Ok(exit)
}

fn call(
    session: &Session,
    method: &str,
    path: &str,
    params: &[String],
    body: Option<&str>,
    idempotent: bool,
    out: &Output,
) -> Result<Exit, Error> {
    let mut query = Map::new();
    for pair in params {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::invalid_argument(format!(
                "query parameter `{pair}` is not key=value; write them like page=1"
            )));
        };
        query.insert(key.to_string(), Value::from(value));
    }
    let mut request = serde_json::json!({"method": method, "path": path, "query": query, "idempotent": idempotent});
    if let Some(file) = body {
        let text = read_input(file)?;
        let body: Value =
            serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
                Error::invalid_argument(format!("the body in {file} is not JSON ({e})"))
            })?;
        request["body"] = body;
    }
    let data = session
        .client
        .call(request.as_object().unwrap_or(&Map::new()))?;
    out.data(&data);
    Ok(Exit::Ok)
}

pub(crate) fn read_input(file: &str) -> Result<String, Error> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| Error::invalid_argument(format!("{file} cannot be read as UTF-8 text: {e}")))?;
    Ok(text)
}

fn save(session: &Session, file: &str, out: &Output) -> Result<Exit, Error> {
    let (records, many) = records::read_json_text(&read_input(file)?)?;
    if !many {
        let saved = match records.records.first().map(|r| &r.member) {
            Some(Ok(member)) => session.client.save_member(member)?,
            Some(Err(problem)) => return Err(Error::invalid_argument(problem.clone())),
            None => return Err(Error::invalid_argument("the input holds no member")),
        };
        out.saved(&saved);
        return Ok(Exit::Ok);
    }
    let members: Vec<Value> = records
        .records
        .iter()
        .map(|r| {
            r.member
                .clone()
                .map(Value::Object)
                .unwrap_or_else(|_| r.source.clone())
        })
        .collect();
    let results = batch::save_all(
        &session.client,
        &members,
        &BatchOptions::default(),
        &batch::Silent,
    );
    let mut exit = Exit::Ok;
    let mut saved = Vec::new();
    for (index, result) in results.iter().enumerate() {
        match result {
            Ok(done) => saved.push(done.data.clone()),
            Err(error) => {
                exit = exit.max(Exit::for_kind(error.kind));
                out.record_error(&format!("item {}", index + 1), error);
            }
        }
    }
    if out.json {
        out.data(&serde_json::to_value(batch::summary(&results)).unwrap_or(Value::Null));
    } else {
        out.data(&Value::Array(saved));
    }
    Ok(exit)
}

fn list(
    session: &Session,
    name: &Option<String>,
    page: Option<u64>,
    page_size: Option<u64>,
    all: bool,
    out: &Output,
) -> Result<Exit, Error> {
    let mut query = Map::new();
    if let Some(name) = name {
        query.insert("name".into(), name.as_str().into());
    }
    if !all {
        if let Some(page) = page {
            query.insert("page".into(), page.into());
        }
        if let Some(size) = page_size {
            query.insert("page_size".into(), size.into());
        }
        out.data(&session.client.list_members(&query)?);
        return Ok(Exit::Ok);
    }
    query.insert("page_size".into(), page_size.unwrap_or(100).into());
    let mut rows = Vec::new();
    for page in 1u64.. {
        query.insert("page".into(), page.into());
        let data = session.client.list_members(&query)?;
        let page_rows = data
            .get("rows")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total_pages = data.get("total_page").and_then(Value::as_u64).unwrap_or(0);
        let empty = page_rows.is_empty();
        rows.extend(page_rows);
        if empty || page >= total_pages {
            break;
        }
    }
    out.data(&Value::Array(rows));
    Ok(Exit::Ok)
}

fn validate(file: &std::path::Path, read: &ReadArgs, out: &Output) -> Result<Exit, Error> {
    let records = records::read_file(file, read.format, read.encoding)?;
    let checked = records::check(&records);
    let mut invalid = 0usize;
    for (record, result) in records.records.iter().zip(&checked) {
        if let Err(error) = result {
            invalid += 1;
            out.record_error(&record.location(records.format), error);
        }
    }
    let total = records.records.len();
    out.note(&format!(
        "{}: {total} records ({}), {} valid, {invalid} invalid",
        file.display(),
        records.encoding,
        total - invalid
    ));
    if out.json {
        out.data(
            &serde_json::json!({"records": total, "valid": total - invalid, "invalid": invalid}),
        );
    }
    Ok(if invalid > 0 { Exit::Refused } else { Exit::Ok })
}

fn sandbox_options(args: &SandboxArgs) -> Result<SandboxOptions, Error> {
    let behaviour = match &args.behaviour {
        None => Behaviour::default(),
        Some(text) => {
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
            })?
        }
    };
    Ok(SandboxOptions {
        port: args.port,
        latency_ms: args.latency_ms,
        clock_offset_ms: args.clock_offset_ms,
        behaviour,
        tls: args.tls.map(|tls| match tls {
            TlsCertificate::Valid => Certificate::Valid,
            TlsCertificate::WrongHost => Certificate::WrongHost,
            TlsCertificate::Expired => Certificate::Expired,
        }),
        ..SandboxOptions::default()
    })
}

fn serve_sandbox(options: SandboxOptions, out: &Output) -> Result<Exit, Error> {
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
