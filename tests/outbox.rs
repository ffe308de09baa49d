//! The offline outbox: a till keeps registering members while the gateway is down, and
//! none is lost or saved twice, through killed processes, two processes flushing one file,
//! refusals and restarts.
//!
//! The sandbox runs with duplicates *updating* (`duplicate_mobile: update`), so that a
//! member sent twice shows as 2 in `saves_by_mobile` instead of being refused.

mod common;

use common::*;
use jdy_member_sandbox::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "JDY_OUTBOX_TEST_CHILD";

fn updating() -> Behaviour {
    Behaviour {
        duplicate_mobile: DuplicateMobile::Update,
        ..Behaviour::unlimited()
    }
}

/// A configuration whose gateway is at `base_url` (up or not), with an outbox.
fn outbox_config(base_url: &str, outbox: &Path, queue: bool) -> Value {
    let mut config = json!({
        "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "app_key": SANDBOX_APP_KEY, "app_secret": SANDBOX_APP_SECRET, "domain": SANDBOX_DOMAIN,
        "base_url": base_url, "token_cache_path": null, "request_budget": null,
        "outbox_path": outbox.display().to_string(), "retry_backoff_ms": 20, "timeout_ms": 2000,
    });
    if queue {
        config["offline"] = "queue".into();
    }
    config
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn outbox_call(
    client: &CClient,
    f: unsafe extern "C" fn(
        *mut jdy_member::ffi::JdyClient,
        *const std::os::raw::c_char,
    ) -> *mut std::os::raw::c_char,
    arg: Option<&Value>,
) -> Value {
    let text = arg.map(|v| c(&v.to_string()));
    take(unsafe {
        f(
            client.0,
            text.as_ref().map_or(std::ptr::null(), |t| t.as_ptr()),
        )
    })
}

fn add(client: &CClient, member: &Value) -> Value {
    outbox_call(client, jdy_member::ffi::jdy_outbox_add, Some(member))
}

fn flush(client: &CClient, options: Option<&Value>) -> Value {
    expect_ok(&outbox_call(
        client,
        jdy_member::ffi::jdy_outbox_flush,
        options,
    ))
}

fn status(client: &CClient) -> Value {
    expect_ok(&take(unsafe {
        jdy_member::ffi::jdy_outbox_status(client.0)
    }))
}

fn assert_each_saved_once(sandbox: &Sandbox, mobiles: &[String]) {
    let stats = sandbox.stats();
    for mobile in mobiles {
        assert_eq!(
            stats.saves_by_mobile.get(mobile),
            Some(&1),
            "{mobile}: {:?}",
            stats.saves_by_mobile.get(mobile)
        );
    }
    let twice: Vec<_> = stats
        .saves_by_mobile
        .iter()
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "saved twice: {twice:?}");
}

#[test]
fn a_till_offline_queues_a_thousand_members_and_one_flush_saves_each_once() {
    let dir = private_dir("thousand");
    let port = free_port();
    let config = outbox_config(
        &format!("http://127.0.0.1:{port}"),
        &dir.join("outbox.db"),
        true,
    );
    let client = CClient::new(&config);
    let started = Instant::now();
    let mut mobiles = Vec::new();
    for i in 0..1_000u64 {
        let mobile = 13_500_000_000 + i;
        let envelope = client.save(&member(mobile, "离线会员"));
        let text = envelope.to_string();
        assert_eq!(envelope["ok"], true, "{text}");
        assert_eq!(envelope["queued"], true, "{text}");
        assert!(envelope["data"]["outbox_id"]
            .as_str()
            .unwrap()
            .starts_with("ob-"));
        assert_eq!(envelope["data"]["mobile"], mobile.to_string());
        mobiles.push(mobile.to_string());
    }
    let queueing = started.elapsed();
    assert!(
        queueing < Duration::from_secs(60),
        "1,000 queued in {queueing:?}"
    );
    assert_eq!(status(&client)["queued"], 1_000);

    let sandbox = Sandbox::start(SandboxOptions {
        port,
        behaviour: updating(),
        ..SandboxOptions::default()
    })
    .unwrap();
    let summary = flush(
        &client,
        Some(&json!({"deadline_ms": 600_000, "concurrency": 8})),
    );
    assert_eq!(summary["saved"], 1_000, "{summary}");
    assert_eq!(summary["left"], 0);
    assert_each_saved_once(&sandbox, &mobiles);
    let after = status(&client);
    assert_eq!(
        (after["queued"].as_u64(), after["saved"].as_u64()),
        (Some(0), Some(1_000)),
        "{after}"
    );
    eprintln!("1,000 members queued offline in {queueing:?}, flushed once each");
}

#[test]
fn an_ambiguous_failure_is_queued_in_doubt_and_looked_up_before_it_is_sent_again() {
    let sandbox = sandbox_with(updating());
    let dir = private_dir("in-doubt");
    let mut config = outbox_config(&sandbox.base_url(), &dir.join("outbox.db"), true);
    config["deadline_ms"] = 1_000.into();
    let client = CClient::new(&config);
    // The save is applied, its answer lost, and the lookup fails too: the outcome is
    // unknown, so the member is kept, in doubt.
    sandbox.inject(FaultRule::on(
        "POST",
        jdy_member::api::MEMBER,
        Fault::DropAfterProcessing,
    ));
    sandbox.inject(
        FaultRule::on(
            "GET",
            jdy_member::api::MEMBER_DETAIL,
            Fault::Status {
                status: 503,
                body: None,
                after_processing: false,
            },
        )
        .repeat(100),
    );
    let envelope = client.save(&member(13_600_000_001, "存疑"));
    assert_eq!(
        (envelope["ok"].as_bool(), envelope["queued"].as_bool()),
        (Some(true), Some(true)),
        "{envelope}"
    );
    assert_eq!(
        envelope["data"]["reason"]["outcome_unknown"], true,
        "{envelope}"
    );
    assert_eq!(status(&client)["in_doubt"], 1);
    sandbox.clear_faults();
    let summary = flush(&client, None);
    assert_eq!(
        (summary["saved"].as_u64(), summary["recovered"].as_u64()),
        (Some(1), Some(1)),
        "{summary}"
    );
    assert_each_saved_once(&sandbox, &["13600000001".to_string()]);
}

#[test]
fn a_refused_member_stays_refused_with_its_reason_until_retried_or_discarded() {
    let sandbox = sandbox(); // duplicates refused
    let dir = private_dir("refused");
    let client = CClient::new(&outbox_config(
        &sandbox.base_url(),
        &dir.join("outbox.db"),
        false,
    ));
    expect_ok(&client.save(&member(13_700_000_001, "先到")));
    let queued = expect_ok(&add(&client, &member(13_700_000_001, "后到")));
    let other = expect_ok(&add(&client, &member(13_700_000_002, "别的")));
    let summary = flush(&client, None);
    assert_eq!(
        (summary["saved"].as_u64(), summary["refused"].as_u64()),
        (Some(1), Some(1)),
        "{summary}"
    );
    let refused = expect_ok(&outbox_call(
        &client,
        jdy_member::ffi::jdy_outbox_list,
        Some(&json!({"state": "refused"})),
    ));
    let item = &refused["items"][0];
    assert_eq!(item["outbox_id"], queued["outbox_id"]);
    assert!(
        item["last_error"]["description"]
            .as_str()
            .unwrap()
            .contains("组合值与其他表单重复"),
        "{item}"
    );
    assert_eq!(
        item["member"]["name"], "后到",
        "the member is kept as it was"
    );
    // Flushing again does not touch it.
    assert_eq!(flush(&client, None)["refused"], 0);
    // Corrected (another mobile) and retried: saved.
    let retried = outbox_call(
        &client,
        jdy_member::ffi::jdy_outbox_retry,
        Some(&json!({"outbox_id": queued["outbox_id"], "member": member(13_700_000_003, "后到")})),
    );
    assert_eq!(expect_ok(&retried)["state"], "queued");
    assert_eq!(flush(&client, None)["saved"], 1);
    // A retry with a broken member is refused offline; discarding a saved item is refused.
    let broken = outbox_call(
        &client,
        jdy_member::ffi::jdy_outbox_retry,
        Some(&json!({"outbox_id": queued["outbox_id"], "member": {"name": "x"}})),
    );
    expect_error(&broken, "validation");
    let discard = outbox_call(
        &client,
        jdy_member::ffi::jdy_outbox_discard,
        Some(&json!({"outbox_id": other["outbox_id"]})),
    );
    expect_error(&discard, "validation");
    let status = status(&client);
    assert_eq!(
        (status["saved"].as_u64(), status["refused"].as_u64()),
        (Some(2), Some(0)),
        "{status}"
    );
}

#[test]
fn a_foreign_or_corrupt_file_is_a_config_error_and_is_never_overwritten() {
    let sandbox = sandbox();
    let dir = private_dir("foreign");
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "本店会员笔记, not an outbox").unwrap();
    let envelope = CClient::try_new(&outbox_config(&sandbox.base_url(), &notes, false))
        .err()
        .unwrap();
    let error = expect_error(&envelope, "config");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("not a jdy-member outbox"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "本店会员笔记, not an outbox"
    );
    let mut config = config(&sandbox);
    config["offline"] = "queue".into();
    let envelope = CClient::try_new(&config).err().unwrap();
    assert!(expect_error(&envelope, "config")["message"]
        .as_str()
        .unwrap()
        .contains("outbox_path"));
    let no_outbox = CClient::new(&sandbox.client_config());
    expect_error(
        &take(unsafe { jdy_member::ffi::jdy_outbox_status(no_outbox.0) }),
        "config",
    );
}

#[test]
fn the_background_flush_sends_what_waits_and_free_stops_it_within_a_second() {
    let dir = private_dir("background");
    let port = free_port();
    let mut config = outbox_config(
        &format!("http://127.0.0.1:{port}"),
        &dir.join("outbox.db"),
        true,
    );
    config["outbox_flush_interval_s"] = 1.into();
    let client = CClient::new(&config);
    for i in 0..5 {
        assert_eq!(
            client.save(&member(13_800_000_000 + i, "后台"))["queued"],
            true
        );
    }
    let sandbox = Sandbox::start(SandboxOptions {
        port,
        behaviour: updating(),
        ..SandboxOptions::default()
    })
    .unwrap();
    let started = Instant::now();
    while sandbox.stats().saves_by_mobile.len() < 5 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mobiles: Vec<String> = (0..5)
        .map(|i| (13_800_000_000u64 + i).to_string())
        .collect();
    assert_each_saved_once(&sandbox, &mobiles);
    // A slow gateway while the thread works: free still returns within about a second.
    sandbox.set_latency_ms(5_000);
    for i in 5..8 {
        expect_ok(&add(&client, &member(13_800_000_000 + i, "后台")));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    let freeing = Instant::now();
    drop(client);
    assert!(
        freeing.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        freeing.elapsed()
    );
}

// ---- processes killed at random points, and two processes on one file ------------------

/// What a child process does, from `JDY_OUTBOX_TEST_CHILD`: `add:<config file>:<first mobile>`
/// adds members one by one, printing each accepted mobile; `flush:<config file>` flushes.
#[test]
fn child() {
    let Ok(task) = std::env::var(CHILD) else {
        return;
    };
    let mut parts = task.splitn(3, ':');
    let (kind, config) = (parts.next().unwrap(), parts.next().unwrap());
    let config: Value = serde_json::from_str(&std::fs::read_to_string(config).unwrap()).unwrap();
    let client = CClient::new(&config);
    match kind {
        "add" => {
            let first: u64 = parts.next().unwrap().parse().unwrap();
            for i in 0..40 {
                let mobile = first + i;
                let envelope = add(&client, &member(mobile, "杀进程"));
                if envelope["ok"] == true {
                    println!("accepted {mobile}");
                }
            }
        }
        "flush" => {
            let summary = flush(&client, Some(&json!({"deadline_ms": 600_000})));
            println!("flushed {summary}");
        }
        _ => panic!("unknown child task {task}"),
    }
}

fn spawn_child(task: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, task)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn write_config(dir: &Path, config: &Value) -> PathBuf {
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

#[test]
fn killed_at_random_points_while_adding_and_flushing_nobody_is_lost_or_saved_twice() {
    let sandbox = sandbox_with(updating());
    sandbox.set_latency_ms(3);
    let dir = private_dir("kill");
    // A 2 s deadline: a killed sender's claim runs out 9 s later (two deadlines and 5 s).
    let mut config = outbox_config(&sandbox.base_url(), &dir.join("outbox.db"), false);
    config["deadline_ms"] = 2_000.into();
    let config_path = write_config(&dir, &config);
    let mut accepted = Vec::new();
    // 150 runs that add, killed at a random moment.
    for run in 0..150u64 {
        let mut child = spawn_child(&format!(
            "add:{}:{}",
            config_path.display(),
            13_900_000_000 + run * 100
        ));
        let stdout = child.stdout.take().unwrap();
        let (first, first_seen) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut accepted = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(mobile) = line.strip_prefix("accepted ") {
                    if accepted.is_empty() {
                        let _ = first.send(());
                    }
                    accepted.push(mobile.to_string());
                }
            }
            accepted
        });
        // Killed at a random moment once it is adding (a child slow to start on a busy
        // machine is not killed before its first member).
        let _ = first_seen.recv_timeout(Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..40)));
        let _ = child.kill();
        let _ = child.wait();
        accepted.extend(reader.join().unwrap());
    }
    assert!(
        accepted.len() > 100,
        "enough members were accepted before the kills: {}",
        accepted.len()
    );
    // 60 runs that flush, killed at a random moment (mid-save, mid-commit).
    for _ in 0..60 {
        let mut child = spawn_child(&format!("flush:{}", config_path.display()));
        std::thread::sleep(Duration::from_millis(fastrand::u64(5..80)));
        let _ = child.kill();
        let _ = child.wait();
    }
    // The items a killed sender had claimed come back once its claim runs out.
    std::thread::sleep(Duration::from_secs(10));
    let client = CClient::new(&config);
    let summary = flush(
        &client,
        Some(&json!({"deadline_ms": 600_000, "concurrency": 4})),
    );
    assert_eq!(summary["left"], 0, "{summary}");
    assert_eq!(status(&client)["refused"], 0);
    assert_each_saved_once(&sandbox, &accepted);
    let stats = sandbox.stats();
    assert!(stats.saves_by_mobile.len() >= accepted.len());
    eprintln!(
        "210 kills: {} members accepted, {} saved, none twice",
        accepted.len(),
        stats.saves_by_mobile.len()
    );
}

#[test]
fn two_processes_flushing_one_outbox_never_send_a_member_twice() {
    let sandbox = sandbox_with(updating());
    sandbox.set_latency_ms(2);
    let dir = private_dir("two-flushers");
    let config = outbox_config(&sandbox.base_url(), &dir.join("outbox.db"), false);
    let client = CClient::new(&config);
    let mobiles: Vec<String> = (0..400u64)
        .map(|i| (13_950_000_000 + i).to_string())
        .collect();
    for mobile in &mobiles {
        expect_ok(&add(
            &client,
            &json!({"mobile": mobile, "name": "两个进程"}),
        ));
    }
    let config_path = write_config(&dir, &config);
    let children: Vec<_> = (0..2)
        .map(|_| spawn_child(&format!("flush:{}", config_path.display())))
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
    }
    assert_eq!(status(&client)["saved"], 400);
    assert_each_saved_once(&sandbox, &mobiles);
}
