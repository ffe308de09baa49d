//! The `jdy-member` command line, run as a user runs it, against the sandbox gateway.
//! Workbook imports are in `cli/workbook.rs`, files of any size in flat memory in
//! `cli/streaming.rs`, columns as real exports name them (the header table, `--map`,
//! `--save-map`) in `cli/columns.rs`, all with the helpers of this file.

#[path = "cli/columns.rs"]
mod columns;
#[path = "cli/streaming.rs"]
mod streaming;
#[path = "cli/workbook.rs"]
mod workbook;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jdy-member");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

fn jdy(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    // A developer's own configuration must not leak into the tests, nor the tests' token
    // caches into the developer's cache folder.
    for (key, _) in std::env::vars() {
        if key.starts_with("JDY_") {
            command.env_remove(key);
        }
    }
    command.env_remove("SSL_CERT_FILE");
    command.env("XDG_CACHE_HOME", cache_home());
    // Nor the developer's settings file (`jdy-member ui` saves one): an empty folder.
    command.env("XDG_CONFIG_HOME", cache_home().join("config"));
    command
}

/// The per-user cache folder of the CLI processes these tests start.
fn cache_home() -> PathBuf {
    std::env::temp_dir().join(format!("jdy-cli-{}-cache", std::process::id()))
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `jdy-member sandbox` as its own process, as integrators run it.
struct SandboxProcess {
    child: Child,
    base_url: String,
    config: Value,
}

impl SandboxProcess {
    /// The documented gateway without its rate limits (tests of the limits set them).
    fn start() -> SandboxProcess {
        SandboxProcess::start_with(r#"{"account_budget": null, "token_limit": null}"#)
    }

    /// With these behaviour switches.
    fn start_with(behaviour: &str) -> SandboxProcess {
        let mut child = jdy(&["sandbox", "--port", "0", "--behaviour", behaviour])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let announced: Value = serde_json::from_str(&line).expect("one JSON line");
        SandboxProcess {
            child,
            base_url: announced["base_url"].as_str().unwrap().to_string(),
            config: announced["config"].clone(),
        }
    }

    /// The sandbox's configuration without the client-side request budget.
    fn config_file(&self, dir: &Path) -> PathBuf {
        let mut config = self.config.clone();
        config["request_budget"] = Value::Null;
        self.write_config(dir, &config)
    }

    /// The sandbox's configuration with an outbox in `dir`, without a token cache file or
    /// the client-side request budget.
    fn outbox_config_file(&self, dir: &Path) -> PathBuf {
        let mut config = self.config.clone();
        config["request_budget"] = Value::Null;
        config["token_cache_path"] = Value::Null;
        config["outbox_path"] = Value::from(dir.join("outbox.db").display().to_string());
        self.write_config(dir, &config)
    }

    fn write_config(&self, dir: &Path, config: &Value) -> PathBuf {
        let path = dir.join("config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        path
    }

    /// The environment variables a shop would set instead of a configuration file.
    fn env(&self, command: &mut Command) {
        for (key, value) in self.config.as_object().unwrap() {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            command.env(format!("JDY_{}", key.to_ascii_uppercase()), value);
        }
    }

    fn post(&self, path: &str, body: &str) -> Value {
        let mut response = ureq::post(&format!("{}/__sandbox/{path}", self.base_url))
            .send(body)
            .unwrap();
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn control(&self, path: &str) -> Value {
        let mut response = ureq::get(&format!("{}/__sandbox/{path}", self.base_url))
            .call()
            .unwrap();
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn save_prints_the_seed_member_saved_through_the_sandbox() {
    let seed = format!("{EXAMPLES}/seed-member.json");
    let (code, stdout, stderr) = run(&mut jdy(&["--sandbox", "save", &seed]));
    assert_eq!(code, 0, "{stderr}");
    let saved: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(saved["name"], "会员A");
    assert_eq!(saved["mobile"], "13333333333");
    assert!(saved["id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[test]
fn save_reads_json_lines_from_stdin_and_json_output_is_an_envelope() {
    let mut child = jdy(&["--sandbox", "--json", "save", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            "{\"mobile\":\"13800000001\",\"name\":\"张三\"}\n{\"mobile\":\"12\",\"name\":\"李四\"}\n"
                .as_bytes(),
        )
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(4),
        "one member refused by validation"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let envelope: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["data"]["saved"], 1);
    assert_eq!(envelope["data"]["refused"], 1);
    assert_eq!(envelope["data"]["results"][0]["data"]["name"], "张三");
}

#[test]
fn validate_reports_every_bad_row_with_its_line() {
    let csv = format!("{EXAMPLES}/members.csv");
    let (code, _, stderr) = run(&mut jdy(&["validate", &csv]));
    assert_eq!(code, 4, "{stderr}");
    let bad_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(bad_lines.len(), 4, "{stderr}");
    for field in ["mobile", "name", "birthday", "sex_group"] {
        assert!(
            bad_lines
                .iter()
                .any(|l| l.contains(&format!(": {field}: "))),
            "{field} in {stderr}"
        );
    }
    assert!(stderr.contains("4 invalid"));
}

#[test]
fn import_saves_good_rows_and_writes_bad_ones_to_the_rejects_file() {
    let dir = temp_dir("import");
    let csv = dir.join("members.csv");
    std::fs::copy(format!("{EXAMPLES}/members.csv"), &csv).unwrap();
    let (code, stdout, stderr) = run(&mut jdy(&[
        "--sandbox",
        "--json",
        "import",
        csv.to_str().unwrap(),
    ]));
    assert_eq!(code, 4, "rows refused by validation: {stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let summary = &summary["data"];
    let records = summary["records"].as_u64().unwrap();
    assert_eq!(summary["refused"], 4);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["saved"].as_u64().unwrap(), records - 4);
    assert!(
        stderr.contains("progress:"),
        "plain progress lines: {stderr}"
    );

    let rejects = std::fs::read_to_string(dir.join("members.rejects.jsonl")).unwrap();
    let rejects: Vec<Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejects.len(), 4);
    for reject in &rejects {
        assert_eq!(reject["error"]["kind"], "validation");
        assert!(reject["record"].is_object(), "the row itself is kept");
        assert!(reject["line"].as_u64().unwrap() > 1);
    }
}

#[test]
fn a_gbk_export_imports_with_chinese_names_intact() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("gbk");
    let text = "手机号,姓名,性别,生日\r\n13900000001,王小明,男,1990/5/7\r\n13900000002,欧阳娜娜,女,2001-12-31\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let csv = dir.join("gbk.csv");
    std::fs::write(&csv, &bytes).unwrap();
    let config = sandbox.config_file(&dir);
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("gb18030"), "{stderr}");
    let members = sandbox.control("members");
    let mut members = members.as_array().unwrap().clone();
    members.sort_by_key(|m| m["mobile"].as_str().unwrap().to_string());
    let names: Vec<&str> = members
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["王小明", "欧阳娜娜"]);
    assert_eq!(members[0]["sex_group"], "1");
    assert_eq!(members[0]["birthday"], "1990-05-07");
    assert_eq!(members[1]["sex_group"], "2");
}

#[test]
fn an_interrupted_import_resumes_and_saves_nobody_twice() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("resume");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("big.csv");
    let total = 120u64;
    let mut text = String::from("mobile,name\n");
    for i in 0..total {
        text.push_str(&format!("{},会员{i}\n", 13_700_000_000 + i));
    }
    std::fs::write(&csv, text).unwrap();
    let args = |rate: &str, extra: &[&str]| {
        let mut args = vec![
            "--config".to_string(),
            config.display().to_string(),
            "import".to_string(),
            csv.display().to_string(),
            "--rate".to_string(),
            rate.to_string(),
            "--concurrency".to_string(),
            "4".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    // Cut the first run off part-way, as a power cut or a killed till would.
    let first_args = args("40", &[]);
    let mut first = jdy(&first_args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let saved = sandbox.control("stats")["save_calls"].as_u64().unwrap();
        if saved >= 30 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let saved_before = sandbox.control("members").as_array().unwrap().len() as u64;
    assert!(
        saved_before > 0 && saved_before < total,
        "interrupted part-way: {saved_before}"
    );

    // Without --resume the journal protects against a blind second import.
    let plain = args("40", &[]);
    let (code, _, stderr) = run(&mut jdy(&plain
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");

    let resume_args = args("1000", &["--resume"]);
    let (code, _, stderr) = run(&mut jdy(&resume_args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped"), "{stderr}");

    let stats = sandbox.control("stats");
    let per_mobile = stats["saves_by_mobile"].as_object().unwrap();
    assert_eq!(per_mobile.len() as u64, total, "everyone saved");
    let twice: Vec<_> = per_mobile.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "saved more than once: {twice:?}");
    assert_eq!(
        sandbox.control("members").as_array().unwrap().len() as u64,
        total
    );
}

#[test]
fn import_respects_the_rate_ceiling() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("rate");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("rate.jsonl");
    let lines: String = (0..20)
        .map(|i| {
            format!(
                "{{\"mobile\":\"{}\",\"name\":\"限速{i}\"}}\n",
                13_600_000_000u64 + i
            )
        })
        .collect();
    std::fs::write(&csv, lines).unwrap();
    let started = Instant::now();
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
        "--rate",
        "20",
        "--concurrency",
        "8",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // 20 requests at 20/s: the 20th may start no earlier than 0.95 s after the first.
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(sandbox.control("stats")["save_calls"], 20);
}

#[test]
fn get_and_list_read_back_from_a_configured_gateway() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("read");
    let config = sandbox.config_file(&dir);
    let config = config.to_str().unwrap();
    let seed = format!("{EXAMPLES}/seed-member.json");
    assert_eq!(run(&mut jdy(&["--config", config, "save", &seed])).0, 0);

    let (code, stdout, _) = run(&mut jdy(&[
        "--config",
        config,
        "get",
        "--mobile",
        "13333333333",
    ]));
    assert_eq!(code, 0);
    let member: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(member["name"], "会员A");

    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config,
        "get",
        "--mobile",
        "13900009999",
    ]));
    assert_eq!(code, 7, "not found: {stderr}");

    for i in 0..3u64 {
        let member =
            json!({"mobile": (13_500_000_000u64 + i).to_string(), "name": format!("列表{i}")});
        let file = dir.join(format!("m{i}.json"));
        std::fs::write(&file, member.to_string()).unwrap();
        assert_eq!(
            run(&mut jdy(&[
                "--config",
                config,
                "save",
                file.to_str().unwrap()
            ]))
            .0,
            0
        );
    }
    let (code, stdout, _) = run(&mut jdy(&[
        "--config",
        config,
        "list",
        "--all",
        "--page-size",
        "2",
    ]));
    assert_eq!(code, 0);
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 4, "paged through 2 pages");

    let (code, stdout, _) = run(&mut jdy(&[
        "--config",
        config,
        "list",
        "--name",
        "列表",
        "--page-size",
        "2",
    ]));
    assert_eq!(code, 0);
    let page: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(page["count"], 3);
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn configuration_comes_from_the_environment_and_its_absence_is_explained() {
    let sandbox = SandboxProcess::start();
    let mut command = jdy(&["get", "--mobile", "13333333333"]);
    for (key, value) in sandbox.config.as_object().unwrap() {
        command.env(
            format!("JDY_{}", key.to_ascii_uppercase()),
            value.as_str().unwrap(),
        );
    }
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 7, "configured from JDY_*, member not found: {stderr}");

    let (code, _, stderr) = run(&mut jdy(&["get", "--mobile", "13333333333"]));
    assert_eq!(code, 3);
    assert!(
        stderr.contains("--config") && stderr.contains("--sandbox"),
        "{stderr}"
    );

    let mut wrong = jdy(&["get", "--mobile", "13333333333"]);
    for (key, value) in sandbox.config.as_object().unwrap() {
        wrong.env(
            format!("JDY_{}", key.to_ascii_uppercase()),
            value.as_str().unwrap(),
        );
    }
    wrong.env("JDY_CLIENT_SECRET", "wrong-fake-secret");
    let (code, _, stderr) = run(&mut wrong);
    assert_eq!(code, 5, "auth refusal: {stderr}");
    assert!(stderr.contains("4008"));
    assert!(!stderr.contains("wrong-fake-secret"));
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in ["save", "get", "list", "validate", "import", "sandbox"] {
        let (code, stdout, _) = run(&mut jdy(&[command, "--help"]));
        assert_eq!(code, 0, "{command}");
        assert!(
            stdout.contains("Example"),
            "{command} --help has an example"
        );
    }
    let (code, stdout, _) = run(&mut jdy(&["--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("Exit codes"));
}

#[test]
fn rows_in_flight_when_cut_off_are_looked_up_not_sent_again() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("in-flight");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("flight.csv");
    let mut text = String::from("mobile,name\n");
    for i in 0..10u64 {
        text.push_str(&format!("{},在途{i}\n", 13_400_000_000 + i));
    }
    std::fs::write(&csv, text).unwrap();
    let import = |extra: &[&str]| {
        let mut command = jdy(&["--config", config.to_str().unwrap(), "--json", "import"]);
        command.arg(&csv).args(extra);
        run(&mut command)
    };
    assert_eq!(import(&[]).0, 0);

    // A process killed after the gateway saved a row but before the journal said so
    // leaves only the `sending` line: drop the `saved` lines of the first three rows.
    let journal_path = dir.join("flight.journal.jsonl");
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let kept: Vec<&str> = journal
        .lines()
        .filter(|line| {
            let entry: Value = serde_json::from_str(line).unwrap();
            !(entry["state"] == "saved" && entry["line"].as_u64().unwrap() <= 4)
        })
        .collect();
    assert_eq!(journal.lines().count() - kept.len(), 3);
    std::fs::write(&journal_path, kept.join("\n") + "\n").unwrap();

    let (code, stdout, stderr) = import(&["--resume"]);
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["recovered"], 3, "{summary}");
    assert_eq!(summary["data"]["skipped"], 7);
    let stats = sandbox.control("stats");
    assert_eq!(stats["save_calls"], 10, "nothing was sent again");
    assert!(stats["saves_by_mobile"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 1));
}

#[test]
fn ten_processes_started_at_once_fetch_one_token_between_them() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("token-share");
    let cache = dir.join("token.json");
    let mut config = sandbox.config.clone();
    config["token_cache_path"] = cache.display().to_string().into();
    let config_path = dir.join("shared.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let children: Vec<Child> = (0..10u64)
        .map(|i| {
            let member = dir.join(format!("m{i}.json"));
            let body =
                json!({"mobile": (13_300_000_000u64 + i).to_string(), "name": format!("进程{i}")});
            std::fs::write(&member, body.to_string()).unwrap();
            jdy(&[
                "--config",
                config_path.to_str().unwrap(),
                "save",
                member.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stats = sandbox.control("stats");
    assert_eq!(stats["token_calls"], 1, "one token for ten processes");
    assert_eq!(stats["saves_by_mobile"].as_object().unwrap().len(), 10);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only token cache");
    }

    // A corrupt cache is ignored, never trusted: the next process fetches a new token.
    std::fs::write(
        &cache,
        "{\"format\":\"jdy-member app-token cache\",\"app_token\":\"forged\"}",
    )
    .unwrap();
    let member = dir.join("m10.json");
    std::fs::write(
        &member,
        json!({"mobile": "13300000010", "name": "进程10"}).to_string(),
    )
    .unwrap();
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config_path.to_str().unwrap(),
        "save",
        member.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    let stats = sandbox.control("stats");
    assert_eq!(stats["token_calls"], 2);
    assert!(
        stats["rejections"].get("4010").is_none(),
        "the forged token was never sent"
    );
}

#[test]
fn three_commands_in_a_row_fetch_one_token() {
    let sandbox = SandboxProcess::start_with("{}");
    let dir = temp_dir("three");
    let member = dir.join("m.json");
    for (i, args) in [
        vec!["save".to_string(), member.display().to_string()],
        vec![
            "get".to_string(),
            "--mobile".to_string(),
            "13311110000".to_string(),
        ],
        vec!["list".to_string()],
    ]
    .into_iter()
    .enumerate()
    {
        if i == 0 {
            std::fs::write(
                &member,
                json!({"mobile": "13311110000", "name": "三连"}).to_string(),
            )
            .unwrap();
        }
        let mut command = jdy(&args.iter().map(String::as_str).collect::<Vec<_>>());
        sandbox.env(&mut command);
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stdout.contains("13311110000"), "plaintext mobile: {stdout}");
    }
    // The documented token limit (2 a minute) is on: a third fetch would have been refused.
    let stats = sandbox.control("stats");
    assert_eq!(stats["token_calls"], 1, "{stats}");
    assert_eq!(stats["rate_limited"], 0);
}

#[test]
fn get_of_a_missing_member_exits_7_whichever_way_the_gateway_says_so() {
    for form in ["null", "errcode", "empty"] {
        let sandbox = SandboxProcess::start_with(&format!(
            r#"{{"account_budget": null, "token_limit": null, "detail_not_found": "{form}"}}"#
        ));
        let dir = temp_dir(&format!("missing-{form}"));
        let config = sandbox.config_file(&dir);
        let (code, stdout, stderr) = run(&mut jdy(&[
            "--config",
            config.to_str().unwrap(),
            "get",
            "--mobile",
            "13900000404",
        ]));
        assert_eq!(code, 7, "{form}: {stdout} {stderr}");
        assert!(stderr.contains("no member matches"), "{form}: {stderr}");
    }
}

#[test]
fn duplicate_mobiles_in_one_file_are_reported_with_both_lines_and_saved_once() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("dupes");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("dupes.csv");
    let mut text = String::from("手机号,姓名\n");
    for i in 0..40u64 {
        text.push_str(&format!("{},会员{i}\n", 13_800_000_000 + i));
    }
    // Lines 42 and 43 repeat lines 2 and 7.
    text.push_str("13800000000,又一个\n13800000005,再一个\n");
    std::fs::write(&csv, text).unwrap();

    let (code, _, stderr) = run(&mut jdy(&["validate", csv.to_str().unwrap()]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("line 42: mobile: same mobile as line 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 43: mobile: same mobile as line 7"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
        "--concurrency",
        "8",
    ]));
    assert_eq!(code, 4, "{stderr}");
    let members = sandbox.control("members");
    let first = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mobile"] == "13800000000")
        .unwrap();
    assert_eq!(first["name"], "会员0", "the first row is the one saved");
    let stats = sandbox.control("stats");
    assert_eq!(stats["saves_by_mobile"].as_object().unwrap().len(), 40);
    assert!(stats["saves_by_mobile"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 1));
    let rejects = std::fs::read_to_string(dir.join("dupes.rejects.jsonl")).unwrap();
    assert_eq!(rejects.lines().count(), 2);
    assert!(rejects.contains("same mobile as line 2"), "{rejects}");
}

#[test]
fn six_hundred_rows_import_within_a_budget_of_fifty_per_six_seconds() {
    let sandbox = SandboxProcess::start_with(
        r#"{"account_budget": {"requests": 50, "window_ms": 6000}, "token_limit": null}"#,
    );
    let dir = temp_dir("budget");
    let mut config = sandbox.config.clone();
    config["request_budget"] = json!({"requests": 50, "window_s": 6});
    config["token_cache_path"] = Value::Null;
    let config = sandbox.write_config(&dir, &config);
    let csv = dir.join("six_hundred.csv");
    let mut text = String::from("mobile,name\n");
    for i in 0..600u64 {
        text.push_str(&format!("{},预算{i}\n", 13_900_100_000 + i));
    }
    std::fs::write(&csv, text).unwrap();
    let started = Instant::now();
    let (code, stdout, stderr) = run(&mut jdy(&[
        "--json",
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
    ]));
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("take at least"),
        "the ETA names the budget: {stderr}"
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["saved"], 600, "{summary}");
    let stats = sandbox.control("stats");
    assert_eq!(stats["saves_by_mobile"].as_object().unwrap().len(), 600);
    assert!(stats["saves_by_mobile"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 1));
    assert!(stats["rate_limited"].as_u64().unwrap() <= 6, "{stats}");
    assert!(
        elapsed < Duration::from_secs(85),
        "the budget was used: {elapsed:?}"
    );
}

#[test]
fn rows_refused_by_the_rate_limit_are_not_in_doubt_on_resume() {
    // No client budget and a deadline shorter than the gateway's window: some rows fail
    // with a 429, which certainly saved nothing.
    let sandbox = SandboxProcess::start_with(
        r#"{"account_budget": {"requests": 10, "window_ms": 60000}, "token_limit": null}"#,
    );
    let dir = temp_dir("429-resume");
    let mut config = sandbox.config.clone();
    config["request_budget"] = Value::Null;
    config["token_cache_path"] = Value::Null;
    config["deadline_ms"] = 1_500.into();
    let config_path = sandbox.write_config(&dir, &config);
    let csv = dir.join("rows.csv");
    let mut text = String::from("mobile,name\n");
    for i in 0..20u64 {
        text.push_str(&format!("{},限流{i}\n", 13_900_200_000 + i));
    }
    std::fs::write(&csv, text).unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "--config",
            config_path.to_str().unwrap(),
            "import",
            csv.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&mut jdy(&args))
    };
    let (code, _, stderr) = import(&[]);
    assert_eq!(code, 6, "rate-limited rows failed: {stderr}");
    let saved = sandbox.control("members").as_array().unwrap().len();
    assert_eq!(saved, 10, "{stderr}");
    let journal = std::fs::read_to_string(dir.join("rows.journal.jsonl")).unwrap();
    assert_eq!(journal.matches("\"not_sent\"").count(), 10, "{journal}");

    sandbox.post("behaviour", r#"{"account_budget": null}"#);
    let (code, _, stderr) = import(&["--resume"]);
    assert_eq!(code, 0, "{stderr}");
    let stats = sandbox.control("stats");
    assert_eq!(stats["detail_calls"], 0, "nothing was in doubt: no lookup");
    assert_eq!(stats["saves_by_mobile"].as_object().unwrap().len(), 20);
    assert!(stats["saves_by_mobile"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 1));
}

#[test]
fn two_processes_on_one_machine_share_the_budget() {
    let sandbox = SandboxProcess::start_with(
        r#"{"account_budget": {"requests": 20, "window_ms": 4000}, "token_limit": null}"#,
    );
    let dir = temp_dir("two-processes");
    let mut config = sandbox.config.clone();
    config["request_budget"] = json!({"requests": 20, "window_s": 4});
    config["token_cache_path"] = Value::from(dir.join("token.json").display().to_string());
    let config_path = sandbox.write_config(&dir, &config);
    let children: Vec<_> = (0..2u64)
        .map(|p| {
            let csv = dir.join(format!("part{p}.csv"));
            let mut text = String::from("mobile,name\n");
            for i in 0..30u64 {
                text.push_str(&format!("{},分享{i}\n", 13_900_300_000 + p * 100 + i));
            }
            std::fs::write(&csv, text).unwrap();
            jdy(&[
                "--config",
                config_path.to_str().unwrap(),
                "import",
                csv.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stats = sandbox.control("stats");
    assert_eq!(stats["rate_limited"], 0, "one budget for both: {stats}");
    assert_eq!(stats["saves_by_mobile"].as_object().unwrap().len(), 60);
}

#[test]
fn an_import_while_the_gateway_is_down_stops_fast_and_resumes_later() {
    // The port is free now; the sandbox starts on it later, as a gateway comes back.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = temp_dir("down");
    let config = json!({
        "client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret-not-real32",
        "app_key": "sandbox-app-key", "app_secret": "sandbox-app-secret-not-real",
        "domain": "https://sandbox.jdy.invalid", "base_url": format!("http://127.0.0.1:{port}"),
        "token_cache_path": null, "request_budget": null,
    });
    let config_path = dir.join("config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let csv = dir.join("rows.csv");
    let mut text = String::from("mobile,name\n");
    for i in 0..500u64 {
        text.push_str(&format!("{},断网{i}\n", 13_900_400_000 + i));
    }
    std::fs::write(&csv, text).unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "--config",
            config_path.to_str().unwrap(),
            "import",
            csv.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&mut jdy(&args))
    };
    let started = Instant::now();
    let (code, stdout, stderr) = import(&[]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert_eq!(code, 6, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["failed"], 500, "{summary}");
    let journal = std::fs::read_to_string(dir.join("rows.journal.jsonl")).unwrap();
    assert_eq!(journal.matches("\"not_sent\"").count(), 500);

    let sandbox = jdy_member_sandbox::Sandbox::start(jdy_member_sandbox::SandboxOptions {
        port,
        behaviour: jdy_member_sandbox::Behaviour::unlimited(),
        ..jdy_member_sandbox::SandboxOptions::default()
    })
    .unwrap();
    let (code, _, stderr) = import(&["--resume"]);
    assert_eq!(code, 0, "{stderr}");
    let stats = sandbox.stats();
    assert_eq!(stats.detail_calls, 0, "nothing was in doubt");
    assert_eq!(stats.saves_by_mobile.len(), 500);
    assert!(stats.saves_by_mobile.values().all(|n| *n == 1));
}

#[test]
fn the_command_line_trusts_the_ca_named_by_jdy_ca_file() {
    let mut child = jdy(&[
        "sandbox",
        "--port",
        "0",
        "--tls",
        "valid",
        "--behaviour",
        r#"{"token_limit": null}"#,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let announced: Value = serde_json::from_str(&line).unwrap();
    let ca_file = announced["ca_file"].as_str().unwrap().to_string();
    assert!(announced["base_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let config = &announced["config"];
    let member = temp_dir("tls").join("m.json");
    std::fs::write(
        &member,
        json!({"mobile": "13900500001", "name": "加密"}).to_string(),
    )
    .unwrap();
    let with = |ca: Option<(&str, &str)>| {
        let mut command = jdy(&["save", member.to_str().unwrap()]);
        for (key, value) in config.as_object().unwrap() {
            if key != "ca_file" {
                command.env(
                    format!("JDY_{}", key.to_ascii_uppercase()),
                    value.as_str().unwrap(),
                );
            }
        }
        command.env("JDY_TOKEN_CACHE_PATH", "off");
        if let Some((name, value)) = ca {
            command.env(name, value);
        }
        run(&mut command)
    };
    let (code, _, stderr) = with(None);
    assert_eq!(code, 6, "an unknown CA is refused: {stderr}");
    assert!(
        stderr.contains("TLS") && stderr.contains("ca_file"),
        "{stderr}"
    );
    let (code, stdout, stderr) = with(Some(("JDY_CA_FILE", &ca_file)));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("13900500001"), "{stdout}");
    let (code, _, stderr) = with(Some(("SSL_CERT_FILE", &ca_file)));
    assert!(
        code == 0 || stderr.contains("组合值与其他表单重复"),
        "SSL_CERT_FILE is honoured too: {stderr}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_shops_export_with_store_and_level_names_imports_with_every_reference_resolved() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("names");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("export.csv");
    std::fs::write(
        &csv,
        "手机号,姓名,开卡门店,消费门店,会员级别,关联客户,标签\n\
         13900600001,王一,南京西路店,徐家汇店,金卡,零售散客,VIP\n\
         13900600002,王二,MD002,MD002,银卡,,老客户\n\
         13900600003,王三,南京西路,,普通会员,,\n\
         13900600004,王四,徐家汇店,,1,,\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
    ]));
    assert_eq!(code, 4, "the misspelt store is refused: {stderr}");
    assert!(
        stderr.contains(
            "line 4: shop: no store named \"南京西路\" — did you mean 南京西路店 (编码 MD001)"
        ),
        "{stderr}"
    );
    let members = sandbox.control("members");
    let by_mobile = |mobile: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mobile"] == mobile)
            .cloned()
    };
    let first = by_mobile("13900600001").unwrap();
    assert_eq!(first["shop"], "850693217107061760");
    assert_eq!(first["sale_shop"], "850693217107061762");
    assert_eq!(first["level"], "3");
    assert_eq!(first["customer"], "001");
    assert_eq!(first["label"], json!(["VIP"]), "labels go as given");
    assert_eq!(by_mobile("13900600002").unwrap()["level"], "2");
    assert!(by_mobile("13900600003").is_none(), "never sent");
    assert_eq!(by_mobile("13900600004").unwrap()["level"], "1");
    let stats = sandbox.control("stats");
    assert_eq!(stats["save_calls"], 3);
    assert!(
        stats["master_data_calls"].as_u64().unwrap() <= 5,
        "each list read once (one more for the miss): {stats}"
    );
}

#[test]
fn doctor_and_call_on_the_command_line() {
    let sandbox = SandboxProcess::start_with(
        r#"{"account_budget": null, "token_limit": null, "denied_paths": ["/jdy/v2/bd/customer"]}"#,
    );
    let dir = temp_dir("doctor");
    let config = sandbox.config_file(&dir);
    let (code, stdout, stderr) = run(&mut jdy(&["--config", config.to_str().unwrap(), "doctor"]));
    assert_eq!(code, 5, "a missing permission: {stdout} {stderr}");
    let customer = stdout
        .lines()
        .find(|l| l.contains("permission customer list"))
        .unwrap();
    assert!(customer.starts_with("fail"), "{stdout}");
    assert!(stdout.contains("developer console"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ok") && l.contains("clock")),
        "{stdout}"
    );
    let (code, stdout, _) = run(&mut jdy(&[
        "--json",
        "--config",
        config.to_str().unwrap(),
        "doctor",
    ]));
    assert_eq!(code, 5);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(
        report["data"]["checks"].as_array().unwrap().len() >= 10,
        "{report}"
    );

    let (code, stdout, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "call",
        "GET",
        "/jdy/v2/ls/store",
        "page=1",
        "page_size=2",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let page: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "call",
        "GET",
        "/jdy/v2/bd/customer",
    ]));
    assert_eq!(code, 5, "4012 is refused by Kingdee: {stderr}");
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        config.to_str().unwrap(),
        "call",
        "GET",
        "/etc/passwd",
    ]));
    assert_eq!(code, 4, "{stderr}");
}

#[test]
fn the_outbox_on_the_command_line() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("outbox");
    let config = sandbox.outbox_config_file(&dir);
    let cfg = config.to_str().unwrap();
    for i in 0..3 {
        let member = dir.join(format!("m{i}.json"));
        std::fs::write(
            &member,
            json!({"mobile": format!("1390070000{i}"), "name": "出库"}).to_string(),
        )
        .unwrap();
        let (code, stdout, stderr) = run(&mut jdy(&[
            "--config",
            cfg,
            "outbox",
            "add",
            member.to_str().unwrap(),
        ]));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("\"state\": \"queued\""), "{stdout}");
    }
    let (code, stdout, _) = run(&mut jdy(&["--json", "--config", cfg, "outbox", "status"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("\"queued\":3"), "{stdout}");
    let (code, stdout, stderr) = run(&mut jdy(&["--json", "--config", cfg, "outbox", "flush"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("progress:"), "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["saved"], 3, "{summary}");
    assert_eq!(summary["data"]["left"], 0);
    let (code, stdout, _) = run(&mut jdy(&[
        "--json", "--config", cfg, "outbox", "list", "--state", "saved",
    ]));
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(list["data"]["count"], 3);
    assert_eq!(
        sandbox.control("stats")["saves_by_mobile"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_refused_outbox_item_is_retried_with_a_corrected_member_from_a_file_with_a_bom() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("outbox-retry");
    let config = sandbox.outbox_config_file(&dir);
    let cfg = config.to_str().unwrap();
    // Notepad and Excel on Windows start UTF-8 files with a byte-order mark.
    let with_bom = |name: &str, member: Value| {
        let path = dir.join(name);
        std::fs::write(&path, format!("\u{feff}{member}")).unwrap();
        path
    };
    let first = with_bom("m.json", json!({"mobile": "13900700100", "name": "退回"}));
    let (code, _, stderr) = run(&mut jdy(&[
        "--config",
        cfg,
        "outbox",
        "add",
        first.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    let refusal = json!({"method": "POST", "path": "/jdy/v2/ls/member", "fault": {
        "kind": "status", "status": 200, "body": r#"{"errcode":1,"description":"姓名有误"}"#}});
    assert_eq!(sandbox.post("faults", &refusal.to_string())["ok"], true);
    let (code, _, _) = run(&mut jdy(&["--json", "--config", cfg, "outbox", "flush"]));
    assert_ne!(code, 0, "the member was refused");
    let (_, stdout, _) = run(&mut jdy(&[
        "--json", "--config", cfg, "outbox", "list", "--state", "refused",
    ]));
    let list: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let id = list["data"]["items"][0]["outbox_id"]
        .as_str()
        .unwrap()
        .to_string();
    let corrected = with_bom(
        "fixed.json",
        json!({"mobile": "13900700100", "name": "改好"}),
    );
    let (code, stdout, stderr) = run(&mut jdy(&[
        "--json",
        "--config",
        cfg,
        "outbox",
        "retry",
        "--id",
        &id,
        "--member",
        corrected.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(&mut jdy(&["--json", "--config", cfg, "outbox", "flush"]));
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["saved"], 1, "{summary}");
    let members = sandbox.control("members");
    assert!(members.to_string().contains("改好"), "{members}");
}
