//! The column step over HTTP, as the page drives it: a file whose header needs decisions
//! stops there, its decisions are the command line's `--map` words (the mapping downloads as
//! `--save-map` writes it, and loads back as `--map-file` reads it), and a workbook with two
//! sheets of members offers both.

use super::harness::{jdy, temp_dir, Ui};
use serde_json::{json, Value};

/// A 电话 column of mobiles and one landline (a suggestion, not taken by itself), a column
/// of no member field, and two known ones.
const PHONES: &str = "电话,姓名,积分,备注
13900720001,甲,10,a
02188886666,乙,20,b
13900720003,丙,30,c
";

fn upload(ui: &Ui, name: &str, body: &[u8]) -> String {
    let (status, answer) = ui.call("POST", &format!("/api/jobs?name={name}"), body);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    serde_json::from_slice::<Value>(&answer).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn post(ui: &Ui, path: &str, body: &[u8]) -> (u16, Value) {
    let (status, answer) = ui.call("POST", path, body);
    (
        status,
        serde_json::from_slice(&answer).unwrap_or(Value::Null),
    )
}

/// Each column's (header, field, how, suggest).
fn plan(job: &Value) -> Vec<(String, Value, String, Value)> {
    job["columns"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["header"].as_str().unwrap().to_string(),
                c["field"].clone(),
                c["how"].as_str().unwrap().to_string(),
                c.get("suggest").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

#[test]
fn the_column_step_settles_with_the_command_lines_words_and_its_mapping_reads_back() {
    let dir = temp_dir("columns");
    let file = dir.join("phones.csv");
    std::fs::write(&file, PHONES).unwrap();
    let ui = Ui::start(&dir.join("data"), &[]);
    let id = upload(&ui, "phones.csv", PHONES.as_bytes());
    let job = ui.wait(&id, &["waiting", "reading"]);
    assert_eq!(job["phase"], "columns", "{job}");
    assert_eq!(job["columns"]["settled"], false);
    let suggested = (
        "电话".into(),
        Value::Null,
        "unknown".into(),
        json!("mobile"),
    );
    assert_eq!(
        plan(&job)[0],
        suggested,
        "a suggestion, never taken by itself"
    );
    assert_eq!(plan(&job)[2].2, "unknown");
    let (status, refused) = post(&ui, &format!("/api/jobs/{id}/check"), b"");
    assert_eq!(
        status, 409,
        "no verdicts before the columns are settled: {refused}"
    );
    let (status, _) = ui.call("GET", &format!("/api/jobs/{id}/mapping"), b"");
    assert_eq!(status, 409, "no mapping to download while unsettled");

    let decisions = json!({"map": [["电话", "mobile"], ["积分", null]]}).to_string();
    let (status, job) = post(
        &ui,
        &format!("/api/jobs/{id}/columns"),
        decisions.as_bytes(),
    );
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["columns"]["settled"], true, "{job}");
    assert_eq!(
        (plan(&job)[0].1.clone(), plan(&job)[0].2.as_str()),
        (json!("mobile"), "map")
    );
    assert_eq!(plan(&job)[2].2, "skipped");

    // The mapping downloads exactly as `--save-map` writes it after the same --map words.
    let (status, mapping) = ui.call("GET", &format!("/api/jobs/{id}/mapping"), b"");
    assert_eq!(status, 200);
    let saved = dir.join("cli.map.json");
    let (csv, kept) = (file.to_str().unwrap(), saved.to_str().unwrap());
    jdy(&[
        "validate",
        csv,
        "--map",
        "电话=mobile",
        "--map",
        "积分=-",
        "--save-map",
        kept,
    ])
    .output()
    .unwrap();
    assert_eq!(
        String::from_utf8(mapping.clone()).unwrap(),
        std::fs::read_to_string(&saved).unwrap()
    );

    // A bad mapping file is refused in the command line's words and changes nothing.
    let bad = r#"{"电话": "moblie"}"#.as_bytes();
    let (status, refused) = post(&ui, &format!("/api/jobs/{id}/mapping?name=bad.json"), bad);
    assert_eq!(status, 400);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("did you mean `mobile`"), "{message}");

    let second = mapping_loaded_on_the_next_file(&ui, &mapping);
    checked_as_validate_checks(&ui, &second, csv, kept);
}

/// Confirmed, the check of job `id` is `validate`'s of `csv` with the mapping file `kept`.
fn checked_as_validate_checks(ui: &Ui, id: &str, csv: &str, kept: &str) {
    let (status, _) = post(ui, &format!("/api/jobs/{id}/check"), b"");
    assert_eq!(status, 202);
    let checked = ui.wait(id, &["waiting", "reading", "checking"]);
    assert_eq!(checked["phase"], "checked", "{checked}");
    let output = jdy(&["--json", "validate", csv, "--map-file", kept])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(
        checked["check"]["valid"], summary["data"]["valid"],
        "{summary}"
    );
    assert_eq!(checked["check"]["to_fix"], summary["data"]["invalid"]);
    assert_eq!(checked["plan"]["skipped"], json!(["积分"]));
}

/// The downloaded `mapping`, loaded on the same kind of file, settles it with no decision;
/// a mapping naming a column the file lacks settles nothing; forgotten, the file is open
/// again. Returns the second file's job, its mapping loaded again.
fn mapping_loaded_on_the_next_file(ui: &Ui, mapping: &[u8]) -> String {
    let second = upload(ui, "phones2.csv", PHONES.as_bytes());
    let job = ui.wait(&second, &["waiting", "reading"]);
    assert_eq!(job["columns"]["settled"], false);
    let path = format!("/api/jobs/{second}/mapping?name=phones.map.json");
    let (status, job) = post(ui, &path, mapping);
    assert_eq!(status, 200, "{job}");
    let loaded = (job["columns"]["settled"].clone(), job["map_file"].clone());
    assert_eq!(loaded, (json!(true), json!("phones.map.json")));
    assert!(
        plan(&job).iter().all(|c| c.2 == "map" || c.2 == "skipped"),
        "{job}"
    );
    let foreign = r#"{"电话": "mobile", "积分": null, "会员卡": null}"#.as_bytes();
    let (_, job) = post(ui, &path, foreign);
    assert_eq!(job["columns"]["unused"], json!(["会员卡"]));
    assert_eq!(job["columns"]["settled"], false);
    let (status, answer) = ui.call("DELETE", &format!("/api/jobs/{second}/mapping"), b"");
    assert_eq!(status, 200);
    let job: Value = serde_json::from_slice(&answer).unwrap();
    let forgotten = (job["map_file"].clone(), job["columns"]["settled"].clone());
    assert_eq!(forgotten, (Value::Null, json!(false)));
    post(ui, &path, mapping);
    second
}

#[test]
fn a_workbook_with_two_sheets_of_members_offers_both() {
    let dir = temp_dir("sheets");
    let path = dir.join("two.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [("门店一", 2u64), ("门店二", 3)] {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        sheet.write_string(0, 0, "手机号").unwrap();
        sheet.write_string(0, 1, "姓名").unwrap();
        for row in 1..=rows {
            sheet
                .write_string(row as u32, 0, (13900730000 + row).to_string())
                .unwrap();
            sheet
                .write_string(row as u32, 1, format!("{name}{row}"))
                .unwrap();
        }
    }
    book.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "导出说明")
        .unwrap();
    book.save(&path).unwrap();
    let ui = Ui::start(&dir.join("data"), &[]);
    let id = upload(&ui, "two.xlsx", &std::fs::read(&path).unwrap());
    let job = ui.wait(&id, &["waiting", "reading"]);
    assert_eq!(
        job["columns"]["sheets"],
        json!(["门店一", "门店二"]),
        "{job}"
    );
    assert_eq!(
        (
            job["columns"]["sheet"].clone(),
            job["plan"]["records"].clone()
        ),
        (json!("门店一"), json!(2))
    );
    let chosen = json!({"sheet": "门店二"}).to_string();
    let (status, _) = post(&ui, &format!("/api/jobs/{id}/columns"), chosen.as_bytes());
    assert_eq!(status, 200);
    let job = ui.wait(&id, &["waiting", "reading"]);
    assert_eq!(job["phase"], "columns", "{job}");
    assert_eq!(
        (
            job["columns"]["sheet"].clone(),
            job["plan"]["records"].clone()
        ),
        (json!("门店二"), json!(3))
    );
    assert_eq!(job["sheet"], "门店二");
    let (status, _) = post(&ui, &format!("/api/jobs/{id}/check"), b"");
    assert_eq!(status, 202);
    assert_eq!(
        ui.wait(&id, &["waiting", "reading", "checking"])["check"]["valid"],
        3
    );
    let unknown = json!({"sheet": "没有"}).to_string();
    let (status, refused) = post(&ui, &format!("/api/jobs/{id}/columns"), unknown.as_bytes());
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`没有`"),
        "{refused}"
    );
    assert_eq!(
        ui.json("GET", &format!("/api/jobs/{id}"))["phase"],
        "checked",
        "unchanged"
    );
}
