//! `jdy-member ui`'s server, driven over HTTP without a browser, as the page drives it: the
//! guard (token, Host, Origin), a file checked, imported and its rejects downloaded through
//! the endpoints with the same verdicts as `validate`, a large file whose first verdicts
//! show while it is still read in flat memory, and the ways the server stops. The page
//! itself is driven in headless Chromium by `crates/cli/tests/ui/` (`scripts/test-ui`).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jdy-member");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-ui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn jdy(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("JDY_") {
            command.env_remove(key);
        }
    }
    command
}

/// `jdy-member --sandbox ui --no-browser` in its own process, and how to reach it.
struct Ui {
    child: Child,
    port: u16,
    token: String,
    /// The in-process sandbox gateway's address, for its controls.
    sandbox: String,
}

impl Ui {
    fn start(data: &Path, extra: &[&str]) -> Ui {
        let data = data.display().to_string();
        let mut args = vec!["--sandbox", "ui", "--no-browser", "--data-dir", &data];
        args.extend_from_slice(extra);
        let mut child = jdy(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let address = first
            .trim()
            .strip_prefix("ui: ")
            .expect("the address first");
        let rest = address.strip_prefix("http://127.0.0.1:").unwrap();
        let (port, token) = rest.split_once("/?token=").unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut sandbox = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.strip_prefix("sandbox gateway running at ") {
                sandbox = at.split(' ').next().unwrap().to_string();
                break;
            }
        }
        // Read on, so the server never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ui {
            child,
            port: port.parse().unwrap(),
            token: token.to_string(),
            sandbox,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A request as the page makes it: the token, its Host and Origin.
    fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let origin = format!("http://{}", self.host());
        let headers = [
            ("Host", self.host()),
            ("X-JDY-Token", self.token.clone()),
            ("Origin", origin),
        ];
        raw(self.port, method, path, &headers, body)
    }

    fn json(&self, method: &str, path: &str) -> Value {
        let (status, body) = self.call(method, path, b"");
        assert!(
            status < 300,
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }

    /// The job once its phase is no longer `passing`.
    fn wait(&self, id: &str, passing: &[&str]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let job = self.json("GET", &format!("/api/jobs/{id}"));
            if !passing.contains(&job["phase"].as_str().unwrap()) {
                return job;
            }
            assert!(Instant::now() < deadline, "still {}", job["phase"]);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Peak resident memory of the server, in MB (Linux).
    fn peak_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the status and the body.
fn raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    // A request without a Host header is not HTTP/1.1: tiny_http may close the connection
    // without an answer (status 0 here).
    if stream.read_to_end(&mut answer).is_err() {
        return (0, Vec::new());
    }
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, Vec::new());
    };
    let status_line = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    (status, answer[split + 4..].to_vec())
}

fn get(url: &str) -> Value {
    let mut response = ureq::get(url).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// A request's method, path and headers, and the status it must get.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, String)>, u16);

#[test]
fn the_page_is_refused_without_its_token_or_from_a_foreign_host_or_origin() {
    let dir = temp_dir("guard");
    let ui = Ui::start(&dir.join("data"), &[]);
    let host = ui.host();
    let token = ui.token.clone();
    let own_origin = format!("http://{host}");
    let cases: [Case; 9] = [
        ("GET", "/api/state", vec![("Host", host.clone())], 403),
        (
            "GET",
            "/api/state",
            vec![("Host", host.clone()), ("X-JDY-Token", "0".repeat(64))],
            403,
        ),
        (
            "GET",
            "/api/state",
            vec![
                ("Host", format!("evil.example:{}", ui.port)),
                ("X-JDY-Token", token.clone()),
            ],
            403,
        ),
        (
            "GET",
            "/api/state",
            vec![("X-JDY-Token", token.clone())],
            403,
        ),
        ("GET", "/", vec![("Host", host.clone())], 403),
        (
            "POST",
            "/api/heartbeat",
            vec![("Host", host.clone()), ("X-JDY-Token", token.clone())],
            403,
        ),
        (
            "POST",
            "/api/heartbeat",
            vec![
                ("Host", host.clone()),
                ("X-JDY-Token", token.clone()),
                ("Origin", "http://evil.example".into()),
            ],
            403,
        ),
        (
            "POST",
            "/api/heartbeat",
            vec![
                ("Host", host.clone()),
                ("X-JDY-Token", token.clone()),
                ("Origin", own_origin),
            ],
            204,
        ),
        (
            "GET",
            "/api/state",
            vec![
                ("Host", format!("localhost:{}", ui.port)),
                ("X-JDY-Token", token.clone()),
            ],
            200,
        ),
    ];
    for (method, path, headers, expected) in cases {
        let (mut status, body) = raw(ui.port, method, path, &headers, b"");
        if status == 0 && !headers.iter().any(|(name, _)| *name == "Host") {
            status = 403;
        }
        assert_eq!(
            status,
            expected,
            "{method} {path} {headers:?}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The page itself takes its token from the query, and says what it is in its policy.
    let (status, page) = raw(
        ui.port,
        "GET",
        &format!("/?token={token}"),
        &[("Host", host.clone())],
        b"",
    );
    assert_eq!(status, 200);
    assert!(String::from_utf8(page).unwrap().contains("<title>会员导入"));
    let (_, refused) = raw(
        ui.port,
        "POST",
        "/api/stop",
        &[("Host", host), ("X-JDY-Token", token)],
        b"",
    );
    assert!(String::from_utf8(refused).unwrap().contains("Origin"));
    let state = ui.json("GET", "/api/state");
    assert_eq!(state["account"]["source"], "sandbox");
    assert!(!state.to_string().contains("secret"), "no secret: {state}");
}

/// A CSV with good rows, a bad one, a misspelt store and a repeated mobile.
const MEMBERS: &str = "手机号,姓名,性别,开卡门店
13900700001,王一,男,南京西路店
13900700002,王二,女,MD002
1390070003,王三,男,
13900700004,王四,女,南京西路
13900700001,王一又,男,
13900700006,,女,
13900700007,王七,男,
";

#[test]
fn a_file_is_checked_like_validate_imported_once_and_its_rejects_downloaded() {
    let dir = temp_dir("flow");
    let file = dir.join("members.csv");
    std::fs::write(&file, MEMBERS).unwrap();
    let ui = Ui::start(&dir.join("data"), &[]);
    let (status, body) = ui.call(
        "POST",
        "/api/jobs?name=%E4%BC%9A%E5%91%98.csv",
        MEMBERS.as_bytes(),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = ui.wait(&id, &["waiting", "reading", "checking"]);
    assert_eq!(job["phase"], "checked", "{job}");
    assert_eq!(
        (
            job["check"]["valid"].as_u64(),
            job["check"]["to_fix"].as_u64()
        ),
        (Some(3), Some(4))
    );

    // The offline verdicts are validate's, word for word; the misspelt store is the page's
    // one addition, with the library's did-you-mean.
    let output = jdy(&["--json", "validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let validate: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("at").is_some())
        .map(|v| serde_json::json!([v["at"], v["error"]["fields"][0]["message"]]))
        .collect();
    let rows = ui.json("GET", &format!("/api/jobs/{id}/rows?filter=fix&page=0"));
    let (reference, offline): (Vec<&Value>, Vec<&Value>) = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|r| r["kind"] == "reference");
    let page: Vec<Value> = offline
        .iter()
        .map(|r| serde_json::json!([r["at"], r["problems"][0]["message"]]))
        .collect();
    assert_eq!(page, validate);
    assert_eq!(
        offline
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["invalid", "duplicate", "invalid"]
    );
    assert_eq!(reference.len(), 1);
    assert_eq!(reference[0]["at"], "line 5");
    let message = reference[0]["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("did you mean 南京西路店"), "{message}");
    assert_eq!(
        ui.json("GET", &format!("/api/jobs/{id}/rows?filter=all&page=0"))["total"],
        7
    );

    let started = ui.json("POST", &format!("/api/jobs/{id}/import"));
    assert_eq!(started["phase"], "importing");
    let (status, _) = ui.call("POST", &format!("/api/jobs/{id}/import"), b"");
    assert_eq!(status, 409, "one import at a time");
    let done = ui.wait(&id, &["importing"]);
    assert_eq!(done["phase"], "done", "{done}");
    assert_eq!(
        (
            done["import"]["saved"].as_u64(),
            done["import"]["refused"].as_u64()
        ),
        (Some(3), Some(4))
    );
    let stats = get(&format!("{}/__sandbox/stats", ui.sandbox));
    let saves = stats["saves_by_mobile"].as_object().unwrap();
    assert_eq!(saves.len(), 3, "{stats}");
    assert!(saves.values().all(|n| n == 1), "{stats}");

    let (status, workbook) = ui.call("GET", &format!("/api/jobs/{id}/rejects"), b"");
    assert_eq!(status, 200);
    assert!(workbook.starts_with(b"PK"), "an .xlsx");
    let (status, saved) = ui.call("GET", &format!("/api/jobs/{id}/saved"), b"");
    assert_eq!(status, 200);
    let saved = String::from_utf8(saved).unwrap();
    assert_eq!(saved.lines().count(), 4, "{saved}");
    assert!(saved.contains("13900700007,王七,"), "{saved}");
}

#[test]
fn the_first_verdicts_show_while_a_large_file_is_read_in_flat_memory() {
    const ROWS: u64 = 200_000;
    let dir = temp_dir("large");
    let mut text = String::from("手机号,姓名\n");
    for i in 0..ROWS {
        // Every thousandth row is bad, so the rows to fix arrive all along the file.
        let mobile = if i % 1000 == 999 {
            1_360_000_000 + i
        } else {
            13_600_000_000 + i
        };
        text.push_str(&format!("{mobile},会员{i}\n"));
    }
    let ui = Ui::start(&dir.join("data"), &[]);
    let (status, body) = ui.call("POST", "/api/jobs?name=large.csv", text.as_bytes());
    assert_eq!(status, 201);
    drop(text);
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut seen_while_checking = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let job = ui.json("GET", &format!("/api/jobs/{id}"));
        if job["phase"] == "checking" && seen_while_checking.is_none() {
            let rows = ui.json("GET", &format!("/api/jobs/{id}/rows?filter=all&page=0"));
            if !rows["rows"].as_array().unwrap().is_empty() {
                seen_while_checking = Some(job["check"]["read"].as_u64().unwrap());
            }
        }
        if job["phase"] == "checked" {
            assert_eq!(job["check"]["to_fix"], ROWS / 1000);
            break;
        }
        assert!(Instant::now() < deadline, "{job}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let read = seen_while_checking.expect("a page of verdicts while the file was still checked");
    assert!(read < ROWS, "{read}");
    // The last page of the rows to fix is there, and the one after it is empty.
    let last = ui.json("GET", &format!("/api/jobs/{id}/rows?filter=fix&page=3"));
    assert_eq!(last["rows"].as_array().unwrap().len(), 50);
    assert_eq!(last["rows"][49]["n"], ROWS + 1);
    assert!(
        ui.json("GET", &format!("/api/jobs/{id}/rows?filter=fix&page=4"))["rows"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    if let Some(mb) = ui.peak_mb() {
        // The upload is written to disk as it arrives and each verdict as it is made; holding
        // the 200,000 rows would take hundreds of MB.
        assert!(mb < 80.0, "peak {mb:.1} MB for {ROWS} rows");
    }
}

#[test]
fn the_server_stops_when_the_page_asks_or_has_been_gone_a_while() {
    let dir = temp_dir("stop");
    let mut asked = Ui::start(&dir.join("asked"), &[]);
    assert_eq!(asked.json("POST", "/api/stop")["stopping"], true);
    let mut idle = Ui::start(&dir.join("idle"), &["--idle-stop", "5"]);
    for (ui, within) in [(&mut asked, 5), (&mut idle, 12)] {
        let deadline = Instant::now() + Duration::from_secs(within);
        loop {
            if let Some(status) = ui.child.try_wait().unwrap() {
                assert!(status.success());
                break;
            }
            assert!(Instant::now() < deadline, "still running after {within} s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn an_upload_that_is_no_member_list_is_refused_with_what_to_choose() {
    let dir = temp_dir("refused");
    let ui = Ui::start(&dir.join("data"), &[]);
    let (status, body) = ui.call("POST", "/api/jobs?name=photo.png", b"\x89PNG");
    assert_eq!(status, 415);
    assert!(String::from_utf8_lossy(&body).contains(".xlsx"));
    // A workbook that is really text is refused whole, with the reader's own words.
    let (status, body) = ui.call("POST", "/api/jobs?name=a.xlsx", "手机号,姓名\n".as_bytes());
    assert_eq!(status, 201);
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = ui.wait(&id, &["waiting", "reading", "checking"]);
    assert_eq!(job["phase"], "refused", "{job}");
    assert!(
        job["error"]["message"].as_str().unwrap().contains("CSV"),
        "{job}"
    );
}

#[test]
fn rows_that_failed_on_the_network_are_tried_again_from_the_page_once_each() {
    let dir = temp_dir("retry");
    let ui = Ui::start(&dir.join("data"), &[]);
    let members = "手机号,姓名\n13900710001,甲\n13900710002,乙\n13900710003,丙\n";
    let (status, body) = ui.call("POST", "/api/jobs?name=retry.csv", members.as_bytes());
    assert_eq!(status, 201);
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ui.wait(&id, &["waiting", "reading", "checking"])["phase"],
        "checked"
    );
    // Every save is cut off before the gateway sees it, retries included.
    let fault = r#"{"path": "/jdy/v2/ls/member", "method": "POST", "times": 1000,
                   "fault": {"kind": "drop_before_processing"}}"#;
    ureq::post(&format!("{}/__sandbox/faults", ui.sandbox))
        .send(fault)
        .unwrap();
    ui.json("POST", &format!("/api/jobs/{id}/import"));
    let failed = ui.wait(&id, &["importing"]);
    assert_eq!(failed["phase"], "done", "{failed}");
    assert_eq!(failed["import"]["failed"], 3, "{failed}");
    assert_eq!(failed["downloads"]["rejects"], true);

    ureq::delete(&format!("{}/__sandbox/faults", ui.sandbox))
        .call()
        .unwrap();
    ui.json("POST", &format!("/api/jobs/{id}/import"));
    let done = ui.wait(&id, &["importing"]);
    assert_eq!(
        (
            done["import"]["saved"].as_u64(),
            done["import"]["failed"].as_u64()
        ),
        (Some(3), Some(0)),
        "{done}"
    );
    assert_eq!(done["downloads"]["rejects"], false, "nothing left to fix");
    let stats = get(&format!("{}/__sandbox/stats", ui.sandbox));
    let saves = stats["saves_by_mobile"].as_object().unwrap();
    assert_eq!(saves.len(), 3, "{stats}");
    assert!(saves.values().all(|n| n == 1), "{stats}");
}
