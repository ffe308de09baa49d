//! `jdy-member`: save, read and bulk-import Kingdee JDY members from the command line, and
//! run the local sandbox gateway.

mod import;
mod output;

use clap::{Args, Parser, Subcommand};
use jdy_member::batch::{self, BatchOptions};
use jdy_member::config::CONFIG_KEYS;
use jdy_member::records::{self, Format, TextEncoding};
use jdy_member::sandbox::{Sandbox, SandboxOptions};
use jdy_member::{Client, Error, ErrorKind};
use output::{Exit, Output};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Configuration comes from --config FILE (the library's JSON configuration), or from
environment variables named JDY_ and the configuration key in capitals: JDY_CLIENT_ID,
JDY_CLIENT_SECRET, JDY_APP_KEY, JDY_APP_SECRET, JDY_DOMAIN or JDY_OUTER_INSTANCE_ID,
JDY_BASE_URL, JDY_TIMEOUT_MS, JDY_LOG_PATH, JDY_TOKEN_CACHE_PATH, ...
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
    /// Run the sandbox gateway in the foreground and print the configuration to use it.
    #[command(after_help = "Example:\n  jdy-member sandbox --port 8790")]
    Sandbox {
        /// Loopback port; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Extra latency for every member call, in ms (to rehearse a slow network).
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Run the gateway's clock this many ms off this machine's (negative: behind).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        clock_offset_ms: i64,
    },
}

/// How input files are read.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Text encoding: auto, utf-8, gbk (= gb18030).
    #[arg(long, default_value = "auto")]
    encoding: TextEncoding,
    /// csv, jsonl or json; by default from the file's extension.
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
}

fn parse_format(text: &str) -> Result<Format, String> {
    match text.to_ascii_lowercase().as_str() {
        "csv" => Ok(Format::Csv),
        "jsonl" | "ndjson" => Ok(Format::JsonLines),
        "json" => Ok(Format::Json),
        _ => Err("use csv, jsonl or json".into()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    let exit = match run(&cli, &out) {
        Ok(exit) => exit,
        Err(error) => {
            out.error(&error);
            Exit::for_kind(error.kind)
        }
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
                "sandbox gateway handled {} requests: {} authorization, {} token, {} save, {} detail, {} list; {} rejected",
                stats.requests,
                stats.authorize_calls,
                stats.token_calls,
                stats.save_calls,
                stats.detail_calls,
                stats.list_calls,
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
        let client = Client::from_json(&sandbox.client_config_outer().to_string())?;
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

fn config_from_env() -> Result<Value, Error> {
    let mut config = Map::new();
    for key in CONFIG_KEYS {
        let name = format!("JDY_{}", key.to_ascii_uppercase());
        if let Ok(value) = std::env::var(&name) {
            let value = if key.ends_with("_ms") || key == "max_retries" {
                value
                    .trim()
                    .parse::<u64>()
                    .map(Value::from)
                    .map_err(|_| Error::config(format!("{name} must be a whole number")))?
            } else {
                Value::from(value)
            };
            config.insert(key.to_string(), value);
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
        Command::Sandbox {
            port,
            latency_ms,
            clock_offset_ms,
        } => {
            let options = SandboxOptions {
                port: *port,
                latency_ms: *latency_ms,
                clock_offset_ms: *clock_offset_ms,
                ..SandboxOptions::default()
            };
            return serve_sandbox(options, out);
        }
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
        // Both need no client and returned above.
        Command::Validate { .. } | Command::Sandbox { .. } => Ok(Exit::Ok),
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
        out.error(&Error::new(ErrorKind::Api, "no member matches that query"));
        return Ok(Exit::NotFound);
    }
    out.data(&data);
    Ok(Exit::Ok)
}

fn read_input(file: &str) -> Result<String, Error> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| Error::invalid_argument(format!("{file} cannot be read as UTF-8 text: {e}")))?;
    Ok(text)
}

/// One member, a JSON array, or JSON lines.
fn parse_members(text: &str) -> Result<(Vec<Value>, bool), Error> {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok((items, true)),
        Ok(one @ Value::Object(_)) => Ok((vec![one], false)),
        _ => {
            let mut items = Vec::new();
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let item = serde_json::from_str::<Value>(line).map_err(|e| {
                    Error::invalid_argument(format!(
                        "the input is not a JSON object, a JSON array or JSON lines (line {}: {e})",
                        number + 1
                    ))
                })?;
                items.push(item);
            }
            Ok((items, true))
        }
    }
}

fn save(session: &Session, file: &str, out: &Output) -> Result<Exit, Error> {
    let (members, many) = parse_members(&read_input(file)?)?;
    if !many {
        let saved = match members.first() {
            Some(Value::Object(member)) => session.client.save_member(member)?,
            _ => return Err(Error::invalid_argument("the input holds no member")),
        };
        out.saved(&saved);
        return Ok(Exit::Ok);
    }
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
        out.data(&batch::summary(&results));
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
    let mut invalid = 0usize;
    for record in &records.records {
        let checked = match &record.member {
            Ok(member) => jdy_member::member::validate(member).map(|_| ()),
            Err(problem) => Err(Error::invalid_argument(problem.clone())),
        };
        if let Err(error) = checked {
            invalid += 1;
            out.record_error(&record.location(records.format), &error);
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
        "config": sandbox.client_config(),
        "config_outer": sandbox.client_config_outer(),
    }));
    out.note(&format!(
        "sandbox gateway listening at {} (fake credentials above; controls under /__sandbox/). Stop it with Ctrl-C.",
        sandbox.base_url()
    ));
    loop {
        std::thread::park();
    }
}
