//! Columns as real exports name them, on the command line: the header rows of a POS
//! template, a membership template, a migration export and a member list (workbooks
//! LibreOffice wrote, tests/fixtures/workbooks/make-headers.sh), decorated headers, a
//! landline column beside a mobile column, mobiles under a header the table does not know,
//! `--map`, `--map-file`, `--save-map`, and mappings refused before anything is sent.

use super::workbook::{fixture, import, members_by_mobile, FIXTURES};
use super::*;

/// `--json validate FILE ...`: the exit code, the envelope (the last line) and stderr.
fn validate_json(file: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--json", "validate", file];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&mut jdy(&args));
    let envelope = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or(Value::Null);
    (code, envelope, stderr)
}

/// `(column, header, field, how)` of each object of a `columns` list.
fn columns(list: &Value) -> Vec<(String, String, Value, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("no columns: {list}"))
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_string(),
                c["header"].as_str().unwrap().to_string(),
                c["field"].clone(),
                c["how"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn column(
    letter: &str,
    header: &str,
    field: Option<&str>,
    how: &str,
) -> (String, String, Value, String) {
    (
        letter.into(),
        header.into(),
        field.map_or(Value::Null, Value::from),
        how.into(),
    )
}

#[test]
fn a_pos_template_validates_with_its_columns_taken_by_the_table() {
    for name in ["pos-members.xls", "pos-members.xlsx"] {
        let file = format!("{FIXTURES}/{name}");
        let taken = |积分_how: &str| {
            vec![
                column("A", "卡号", Some("custom_no"), "alias"),
                column("B", "姓名", Some("name"), "label"),
                column("C", "性别", Some("sex_group"), "label"),
                column("D", "积分", None, 积分_how),
                column("E", "卡内余额", None, 积分_how),
                column("F", "手机", Some("mobile"), "alias"),
                column("G", "卡类型", Some("level"), "alias"),
                column("H", "生日", Some("birthday"), "label"),
                column("I", "地址", Some("detail_address"), "alias"),
                column("J", "备注", Some("remark"), "label"),
            ]
        };
        // Without the flag the columns of no field stop it, each column reported.
        let (code, envelope, stderr) = validate_json(&file, &[]);
        assert_eq!(code, 3, "{name}: {stderr}");
        assert_eq!(envelope["ok"], false, "{envelope}");
        assert_eq!(
            columns(&envelope["error"]["columns"]),
            taken("unknown"),
            "{name}"
        );
        assert!(
            envelope["error"]["message"]
                .as_str()
                .unwrap()
                .contains("columns are no member field: D `积分`, E `卡内余额`"),
            "{envelope}"
        );
        assert!(
            stderr.contains("D 积分 → unknown (not a member field)"),
            "{stderr}"
        );
        assert!(stderr.contains("F 手机 → mobile (alias)"), "{stderr}");

        let (code, envelope, stderr) = validate_json(&file, &["--skip-unknown-columns"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(envelope["data"]["valid"], 6, "{envelope}");
        assert_eq!(
            columns(&envelope["data"]["columns"]),
            taken("skipped"),
            "{name}"
        );
        assert!(envelope["data"]["columns"][0].get("suggest").is_none());
        assert!(
            stderr.contains("D 积分 → skipped (not a member field)"),
            "{stderr}"
        );
    }
}

#[test]
fn decorated_headers_are_taken_and_a_landline_column_is_never_the_mobile() {
    let dir = temp_dir("columns-template");
    let template = fixture(&dir, "template.xlsx");
    let file = template.to_str().unwrap();
    let (code, envelope, stderr) = validate_json(file, &[]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        columns(&envelope["error"]["columns"])[..3],
        [
            column("A", "姓名（必填）", Some("name"), "label"),
            column("B", "*手机号", Some("mobile"), "label"),
            column("C", "电话", None, "unknown"),
        ]
    );
    assert!(
        stderr.contains("C 电话 → unknown (not a member field: mobile comes from B *手机号)"),
        "{stderr}"
    );
    assert!(stderr.contains("F 会员　等级 → level (alias)"), "{stderr}");

    let sandbox = SandboxProcess::start();
    let (code, summary, stderr) = import(&sandbox, &dir, &template, &["--skip-unknown-columns"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 4, "{summary}");
    let members = members_by_mobile(&sandbox);
    assert!(members.contains_key("13900260003"), "{members:?}");
    assert!(
        !members.contains_key("13900269999"),
        "电话 was taken: {members:?}"
    );
    assert_eq!(members["13900260001"]["birthday"], "1983-04-05");
    assert_eq!(members["13900260001"]["level"], "3", "金卡: {members:?}");

    // Mapped on top of the mobile column, it is two columns for one field.
    let (code, envelope, _) = validate_json(file, &["--map", "电话=mobile"]);
    assert_eq!(code, 3);
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("columns B `*手机号` and C `电话` both give `mobile`"),
        "{message}"
    );
}

#[test]
fn other_systems_exports_validate_and_import_under_their_own_headers() {
    let dir = temp_dir("columns-exports");
    let list = format!("{FIXTURES}/member-list.xlsx");
    let (code, envelope, stderr) = validate_json(&list, &[]);
    assert_eq!(code, 0, "电话（必填） holds mobiles: {stderr}");
    assert_eq!(
        columns(&envelope["data"]["columns"])[2],
        column("C", "电话（必填）", Some("mobile"), "content")
    );
    assert!(
        stderr.contains("C 电话（必填） → mobile (content: 4 of 4 values are mobiles)"),
        "{stderr}"
    );

    let sandbox = SandboxProcess::start();
    let migration = fixture(&dir, "migration.xlsx");
    let (code, summary, stderr) = import(&sandbox, &dir, &migration, &["--skip-unknown-columns"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 3, "{summary}");
    assert!(stderr.contains("C 移动电话 → mobile (alias)"), "{stderr}");
    assert!(stderr.contains("D 出生日期 → birthday (alias)"), "{stderr}");
    let member = &members_by_mobile(&sandbox)["13900270001"];
    assert_eq!(member["name"], "蒋一", "{member}");
    assert_eq!(member["birthday"], "1986-09-10", "{member}");
    assert_eq!(member["sex_group"], "1", "{member}");
    assert_eq!(member["shop"], "850693217107061760", "南京西路店: {member}");
}

#[test]
fn a_mapping_saved_once_imports_the_next_export_without_questions() {
    let dir = temp_dir("columns-save-map");
    let saved_map = dir.join("pos.map.json");
    let first = fixture(&dir, "pos-members.xls");
    let (code, _, stderr) = run(&mut jdy(&[
        "validate",
        first.to_str().unwrap(),
        "--skip-unknown-columns",
        "--save-map",
        saved_map.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("--map-file"), "{stderr}");
    let mapping: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved_map).unwrap()).unwrap();
    assert_eq!(
        mapping,
        json!({"卡号": "custom_no", "姓名": "name", "性别": "sex_group", "积分": null,
               "卡内余额": null, "手机": "mobile", "卡类型": "level", "生日": "birthday",
               "地址": "detail_address", "备注": "remark"})
    );

    // The next export of the same POS: no flag but the mapping.
    let next = fixture(&dir, "pos-members-next.xlsx");
    let sandbox = SandboxProcess::start();
    let map_file = saved_map.to_str().unwrap();
    let again = dir.join("again.map.json");
    let (code, summary, stderr) = import(
        &sandbox,
        &dir,
        &next,
        &[
            "--map-file",
            map_file,
            "--save-map",
            again.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 2, "{summary}");
    assert!(stderr.contains("A 卡号 → custom_no (--map)"), "{stderr}");
    assert!(
        stderr.contains("D 积分 → skipped (--map 积分=-)"),
        "{stderr}"
    );
    let member = &members_by_mobile(&sandbox)["13900250008"];
    assert_eq!(member["name"], "王八", "{member}");
    assert_eq!(member["birthday"], "1992-02-29", "{member}");
    assert_eq!(member["remark"], "新会员", "{member}");
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(&saved_map).unwrap(),
        "the same mapping"
    );
}

#[test]
fn mappings_that_name_no_column_or_give_a_field_twice_are_refused_before_anything_is_sent() {
    let dir = temp_dir("columns-conflicts");
    let file = fixture(&dir, "pos-members.xlsx");
    let map_file = dir.join("typo.map.json");
    std::fs::write(&map_file, r#"{"积份": null, "卡内余额": null}"#).unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--map-file",
                map_file.to_str().unwrap(),
                "--skip-unknown-columns",
            ],
            "the mapping (--map or --map-file) names `积份`, which no column is headed",
        ),
        (
            &["--map", "卡号=mobile", "--skip-unknown-columns"],
            "columns A `卡号` and F `手机` both give `mobile`",
        ),
        (&["--map", "卡号=cardno"], "`cardno` is no member field"),
        (&["--map", "卡号"], "has no `=`"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["--sandbox", "import", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, _, stderr) = run(&mut jdy(&args));
        assert_eq!(code, 3, "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{expected} in {stderr}");
        assert!(stderr.contains(" 0 save,"), "nothing sent: {stderr}");
    }
    let (code, envelope, _) = validate_json(
        file.to_str().unwrap(),
        &["--map", "卡号=mobile", "--skip-unknown-columns"],
    );
    assert_eq!(code, 3);
    assert_eq!(envelope["error"]["columns"][0]["how"], "map", "{envelope}");
    let (code, _, stderr) = run(&mut jdy(&[
        "validate",
        file.to_str().unwrap(),
        "--map-file",
        dir.join("missing.json").to_str().unwrap(),
    ]));
    assert_eq!(code, 3);
    assert!(stderr.contains("the mapping file"), "{stderr}");
}

#[test]
fn mobiles_under_an_unknown_header_are_suggested_and_a_map_takes_them() {
    let dir = temp_dir("columns-suggested");
    let csv = dir.join("members.csv");
    std::fs::write(
        &csv,
        "客户联系,姓名,电话\n13900290001,甲,021-62001234\n13900290002,乙,13900290009\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let (code, envelope, stderr) = validate_json(file, &[]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        envelope["error"]["columns"][0],
        json!({"column": "A", "header": "客户联系", "field": null, "how": "unknown", "suggest": "mobile"})
    );
    assert_eq!(envelope["error"]["columns"][2]["suggest"], "mobile");
    assert!(
        stderr.contains(
            "C 电话 → mobile? (suggested: 1 of 2 values are mobiles; add --map 电话=mobile)"
        ),
        "{stderr}"
    );
    let sandbox = SandboxProcess::start();
    let (code, summary, stderr) = import(
        &sandbox,
        &dir,
        &csv,
        &["--map", "客户联系=手机号", "--map", "电话=-"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 2, "{summary}");
    assert!(members_by_mobile(&sandbox).contains_key("13900290002"));
}

#[test]
fn json_lines_keys_take_the_mapping() {
    let dir = temp_dir("columns-jsonl");
    let jsonl = dir.join("members.jsonl");
    std::fs::write(
        &jsonl,
        "{\"tel\": \"13900300001\", \"name\": \"甲\", \"points\": 3}\n{\"tel\": \"13900300002\", \"name\": \"乙\"}\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&mut jdy(&["validate", jsonl.to_str().unwrap()]));
    assert_eq!(code, 4, "tel and points are no fields: {stderr}");
    let sandbox = SandboxProcess::start();
    let (code, summary, stderr) = import(
        &sandbox,
        &dir,
        &jsonl,
        &["--map", "tel=mobile", "--map", "points=-"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 2, "{summary}");
    let (code, _, stderr) = run(&mut jdy(&[
        "validate",
        jsonl.to_str().unwrap(),
        "--map",
        "phone=mobile",
    ]));
    assert_eq!(code, 3);
    assert!(
        stderr.contains("names `phone`, which no member of the file has as a key"),
        "{stderr}"
    );
}
