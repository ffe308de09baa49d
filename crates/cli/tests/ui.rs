//! `jdy-member ui`'s server, driven over HTTP without a browser, as the page drives it: the
//! guard (token, Host, Origin), a file checked, imported and its rejects downloaded through
//! the endpoints with the same verdicts as `validate`, a large file whose first verdicts
//! show while it is still read in flat memory, and the ways the server stops; the column
//! step (`columns_http`) and a first run without settings (`setup_http`). The page
//! itself is driven in headless Chromium by `crates/cli/tests/ui/` (`scripts/test-ui`).

#[path = "ui/harness.rs"]
mod harness;

#[path = "ui/columns_http.rs"]
mod columns_http;
#[path = "ui/setup_http.rs"]
mod setup_http;

use harness::{get, jdy, raw, temp_dir, Ui};
use serde_json::Value;
use std::time::{Duration, Instant};

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
    // The page is sent in chunks (it is over tiny_http's 32 KB), which `raw` leaves in.
    assert!(String::from_utf8_lossy(&page).contains("<title>会员导入"));
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
    let id = ui.upload_checked("%E4%BC%9A%E5%91%98.csv", MEMBERS.as_bytes());
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
    let id = ui.upload_checked("large.csv", text.as_bytes());
    drop(text);
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
    let id = ui.upload_checked("retry.csv", members.as_bytes());
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
