//! The command line's grammar: every command, argument and option of `jdy-member` as clap
//! types, with the help texts and examples. Nothing here runs anything; `main.rs` hands the
//! parsed command to its module under `commands/`.

use crate::records::{ColumnChoices, ColumnMap, Format, ReadOptions, TextEncoding};
use clap::{Args, Parser, Subcommand, ValueEnum};
use jdy_member::{batch, Error};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Configuration comes from the first of: --config FILE (the library's JSON configuration);
environment variables named JDY_ and the configuration key in capitals (JDY_CLIENT_ID,
JDY_CLIENT_SECRET, JDY_APP_KEY, JDY_APP_SECRET, JDY_DOMAIN or JDY_OUTER_INSTANCE_ID,
JDY_BASE_URL, JDY_CA_FILE (else SSL_CERT_FILE), JDY_TIMEOUT_MS, JDY_LOG_PATH,
JDY_TOKEN_CACHE_PATH (off: none), JDY_REQUEST_BUDGET (JSON such as {\"requests\":500,\"window_s\":60}, or off), ...);
this user's settings file, which `jdy-member ui` saves on its first run (`jdy-member config
path` prints where). --sandbox starts the local sandbox gateway in this process and uses it
instead of all of them.

Exit codes: 0 all good; 1 internal error; 2 bad command line; 3 configuration or input file
unusable; 4 records refused by validation; 5 refused by Kingdee (auth or business error);
6 transport failure (network, timeout, server, rate limit); 7 member not found.

Example:
  jdy-member --sandbox save examples/seed-member.json";

/// The whole command line: global options and the command.
#[derive(Parser)]
#[command(name = "jdy-member", version, about = "Save and read Kingdee JDY (金蝶精斗云) retail members", after_help = AFTER_HELP)]
pub struct Cli {
    /// The library's JSON configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start the sandbox gateway in this process and use it (no credentials needed).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Machine-readable output: JSON envelopes and summaries on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Save one member (a JSON object) or many (a JSON array or JSON lines).
    #[command(
        after_help = "Example:\n  jdy-member --sandbox save examples/seed-member.json\n  echo '{\"mobile\":\"13800138000\",\"name\":\"张三\"}' | jdy-member --sandbox save -"
    )]
    Save(SaveArgs),
    /// Read one member by mobile or id.
    #[command(after_help = "Example:\n  jdy-member get --mobile 13333333333")]
    Get(GetArgs),
    /// List members, one page or (--all) every page.
    #[command(
        after_help = "Example:\n  jdy-member list --name 会员 --page 1 --page-size 50\n  jdy-member list --all"
    )]
    List(ListArgs),
    /// Check every record of a file offline and report every error with its line or row.
    #[command(
        after_help = "Example:\n  jdy-member validate examples/members.csv\n  jdy-member validate examples/members.xlsx --skip-unknown-columns\n  jdy-member validate pos-export.xls --map 电话=mobile --map 积分=- --save-map pos.map.json"
    )]
    Validate(ValidateArgs),
    /// Bulk-save a .csv, .xlsx, .xls, .ods, .jsonl or .json file, with progress, a rejects file and resume.
    #[command(
        after_help = "Example:\n  jdy-member --sandbox import examples/members.csv\n  jdy-member --sandbox import examples/members.xlsx\n  jdy-member import members.xlsx --sheet 会员资料 --skip-columns 积分,余额\n  jdy-member import pos-export.xls --map-file pos.map.json\n  jdy-member import members.csv --concurrency 8 --rate 20 --resume"
    )]
    Import(ImportArgs),
    /// The offline outbox (`outbox_path`): add, status, list, flush, retry, discard.
    #[command(
        after_help = "Examples:\n  jdy-member outbox add member.json\n  jdy-member outbox status\n  jdy-member outbox flush\n  jdy-member outbox list --state refused\n  jdy-member outbox retry --id ob-... --member fixed.json"
    )]
    Outbox(OutboxArgs),
    /// Check the configuration, network, TLS, clock, authorization, token and permissions.
    #[command(after_help = "Example:\n  jdy-member doctor\n  jdy-member --json doctor")]
    Doctor,
    /// Call any other JDY API through the same signed client (query as key=value pairs).
    #[command(
        after_help = "Examples:\n  jdy-member call GET /jdy/v2/ls/store page=1 page_size=50\n  jdy-member call POST /jdy/v2/ls/integral_adjust --body adjust.json --idempotent"
    )]
    Call(CallArgs),
    /// Open the import page in the browser: choose a file, see each row's verdict, import
    /// with a progress bar, download the rows to fix.
    #[command(
        after_help = "The page is served on 127.0.0.1 only; its address, with the token that every request must carry, is the first line on standard output. It stops when asked from the page, or when no page has been open for --idle-stop seconds and no import runs.\n\nExample:\n  jdy-member --sandbox ui\n  jdy-member --config jdy-config.json ui --port 8791 --no-browser"
    )]
    Ui(UiArgs),
    /// Where the configuration comes from and what it says (secrets masked), or where this
    /// user's settings file is.
    #[command(
        after_help = "The configuration comes from the first of --config FILE, the JDY_* variables and this user's settings file (saved by `jdy-member ui` on its first run).\n\nExample:\n  jdy-member config show\n  jdy-member config path"
    )]
    Config(ConfigArgs),
    /// Run the sandbox gateway in the foreground and print the configuration to use it.
    #[command(
        after_help = "Example:\n  jdy-member sandbox --port 8790\n  jdy-member sandbox --tls valid --behaviour '{\"duplicate_mobile\": \"update\", \"account_budget\": null}'"
    )]
    Sandbox(SandboxArgs),
}

/// `jdy-member save`'s arguments.
#[derive(Args)]
pub struct SaveArgs {
    /// A JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub file: String,
}

/// `jdy-member get`'s arguments: one of the two.
#[derive(Args)]
pub struct GetArgs {
    #[arg(long, conflicts_with = "id", required_unless_present = "id")]
    pub mobile: Option<String>,
    #[arg(long)]
    pub id: Option<String>,
}

/// `jdy-member list`'s arguments.
#[derive(Args)]
pub struct ListArgs {
    /// Only members whose name contains this text.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, conflicts_with = "all")]
    pub page: Option<u64>,
    #[arg(long)]
    pub page_size: Option<u64>,
    /// Page through everything and print all rows.
    #[arg(long)]
    pub all: bool,
}

/// `jdy-member validate`'s arguments.
#[derive(Args)]
pub struct ValidateArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How input files are read.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Text encoding: auto, utf-8, gbk (= gb18030).
    #[arg(long, default_value = "auto")]
    pub encoding: TextEncoding,
    /// csv, jsonl, json or xlsx (any workbook: .xlsx, .xlsm, .xls, .ods); by default from
    /// the file's extension.
    #[arg(long)]
    pub format: Option<Format>,
    /// The sheet of a workbook to read (default: the first whose header row is recognised).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Leave out the columns with these exact headers (comma-separated, or repeated).
    #[arg(long, value_name = "HEADERS", value_delimiter = ',')]
    pub skip_columns: Vec<String>,
    /// Leave out every column that is no member field (积分, 余额, ...); a column that looks
    /// like a typo of a member field (手机号吗) is never left out by this.
    #[arg(long)]
    pub skip_unknown_columns: bool,
    /// Take the column HEADER as FIELD (its API name or Chinese label), whatever its header
    /// says; HEADER=- leaves it out. Repeatable. In JSON files HEADER is a key.
    #[arg(long, value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// A JSON object of header to field (or null: left out), as --save-map writes it;
    /// --map wins for a header both name.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// After the file was read to the end, write the mapping used (every column: header to
    /// field, or null where left out) to FILE, for --map-file next time.
    #[arg(long, value_name = "FILE")]
    pub save_map: Option<PathBuf>,
}

impl ReadArgs {
    /// The options the records reader takes; an error for a --map or --map-file that
    /// cannot be used.
    pub fn options(&self) -> Result<ReadOptions, Error> {
        Ok(ReadOptions {
            format: self.format,
            encoding: self.encoding,
            sheet: self.sheet.clone(),
            columns: ColumnChoices {
                skip: self.skip_columns.clone(),
                skip_unknown: self.skip_unknown_columns,
                map: ColumnMap::from_args(&self.map, self.map_file.as_deref())?,
            },
        })
    }
}

/// `jdy-member import`'s arguments.
#[derive(Args)]
pub struct ImportArgs {
    /// The members: .csv or a workbook (.xlsx, .xlsm, .xls, .ods) with API field names or
    /// Chinese headers, .jsonl or .json.
    pub file: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Requests in flight at once.
    #[arg(
        long,
        default_value_t = batch::DEFAULT_CONCURRENCY as u64,
        value_parser = clap::value_parser!(u64).range(1..=batch::MAX_CONCURRENCY as u64)
    )]
    pub concurrency: u64,
    /// At most this many requests per second (the account's request budget applies anyway).
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Where refused and failed rows go (default: beside the input, NAME.rejects.xlsx for a
    /// workbook, else NAME.rejects.jsonl).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Continue an earlier import of this file: rows already saved are skipped.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Discard the journal of an earlier import and import every row again.
    #[arg(long)]
    pub restart: bool,
}

/// `--rate`: requests per second within the library's range.
fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(batch::rate_in_range)
        .ok_or_else(|| format!("give {}", batch::rate_expected()))
}

/// `jdy-member outbox`'s subcommands.
#[derive(Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: OutboxCommand,
}

/// What `jdy-member outbox` does.
#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Keep a member (a JSON object, or - for standard input) in the outbox, to send later.
    Add {
        #[arg(default_value = "-")]
        file: String,
    },
    /// How many items wait, are saved, refused; the oldest waiting; the latest error.
    Status,
    /// The items, oldest first.
    List {
        /// queued, sending, saved, refused or discarded.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Continue after this outbox_id.
        #[arg(long)]
        after: Option<String>,
    },
    /// Send what waits, oldest first, exactly once each.
    Flush {
        /// At most this many items.
        #[arg(long)]
        max: Option<u64>,
        /// Start no item after this many milliseconds.
        #[arg(long)]
        deadline_ms: Option<u64>,
        #[arg(long, default_value_t = batch::DEFAULT_CONCURRENCY as u64)]
        concurrency: u64,
    },
    /// Queue a refused item again (optionally with a corrected member), or every refused one.
    Retry {
        #[arg(long, conflicts_with = "refused", required_unless_present = "refused")]
        id: Option<String>,
        /// A JSON file with the corrected member.
        #[arg(long, requires = "id")]
        member: Option<PathBuf>,
        /// Every refused item.
        #[arg(long)]
        refused: bool,
    },
    /// Give up on a refused item (kept as discarded), or on every refused one.
    Discard {
        #[arg(long, conflicts_with = "refused", required_unless_present = "refused")]
        id: Option<String>,
        #[arg(long)]
        refused: bool,
    },
}

/// `jdy-member call`'s arguments: the request to send.
#[derive(Args)]
pub struct CallArgs {
    /// GET or POST.
    pub method: String,
    /// The API path, e.g. /jdy/v2/ls/store.
    pub path: String,
    /// Query parameters, each key=value.
    pub params: Vec<String>,
    /// A JSON file (or - for standard input) with the body of a POST.
    #[arg(long)]
    pub body: Option<String>,
    /// The POST may be sent again after an unclear failure (it carries a src_bill_id).
    #[arg(long)]
    pub idempotent: bool,
}

/// `jdy-member config`'s subcommands.
#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// What `jdy-member config` prints.
#[derive(Subcommand, Clone, Copy)]
pub enum ConfigCommand {
    /// The configuration the commands use and where it comes from, secrets masked.
    Show,
    /// The path of this user's settings file (whether or not it exists yet).
    Path,
}

/// How `jdy-member ui` runs.
#[derive(Args)]
pub struct UiArgs {
    /// Loopback port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Do not open a browser (print the address only).
    #[arg(long)]
    pub no_browser: bool,
    /// Where uploaded files, their journals and rejects are kept (default: a folder of this
    /// user's, jdy-member/imports under the local application data folder).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Stop after this many seconds without a page open (while no import runs).
    #[arg(long, default_value_t = 180, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(5..=86_400))]
    pub idle_stop: u64,
}

/// How `jdy-member sandbox` runs.
#[derive(Args)]
pub struct SandboxArgs {
    /// Loopback port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Extra latency for every member call, in ms (to rehearse a slow network).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Run the gateway's clock this many ms off this machine's (negative: behind).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub clock_offset_ms: i64,
    /// Serve HTTPS with a certificate from a CA generated at start (its file is printed as
    /// `ca_file`); `wrong-host` and `expired` serve bad certificates on purpose.
    #[arg(long, value_enum)]
    pub tls: Option<TlsCertificate>,
    /// Switches for Kingdee's undocumented behaviours, as JSON (see the README's sandbox
    /// section), e.g. {"duplicate_mobile": "update", "detail_not_found": "errcode"}.
    #[arg(long, value_name = "JSON")]
    pub behaviour: Option<String>,
}

/// The certificate `jdy-member sandbox --tls` serves.
#[derive(Clone, Copy, ValueEnum)]
pub enum TlsCertificate {
    Valid,
    WrongHost,
    Expired,
}
