//! The readers' tests: every format and header problem through `read_bytes`
//! and `read_file`, as the commands use them.

use super::held::{read_bytes, read_file, read_text_file, Records};
use super::*;
use jdy_member::fields::MEMBER_FIELDS;
use jdy_member::headers;
use jdy_member::ErrorKind;
use serde_json::json;

fn csv(text: &str) -> Vec<FileRecord> {
    read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto)
        .unwrap()
        .records
}

fn csv_error(text: &str) -> String {
    let e = read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    e.message
}

fn member(record: &FileRecord) -> Value {
    Value::Object(record.member.clone().unwrap())
}

#[test]
fn csv_with_api_headers() {
    let records = csv("mobile,name,remark\n13800138000,张三,  老客户 \n");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].number, 2);
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "张三", "remark": "老客户"})
    );
    assert_eq!(
        records[0].source,
        json!({"mobile": "13800138000", "name": "张三", "remark": "  老客户 "})
    );
    // API names are matched case-insensitively and trimmed.
    let records = csv(" Mobile ,NAME\n13800138000,李四\n");
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "李四"})
    );
}

#[test]
fn csv_with_chinese_headers_and_variants() {
    let records = csv(
        "手机号码,会员姓名,会员级别,开卡门店,入会业务员\n13800138000,王五,1,850693217107061760,1\n",
    );
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "王五", "level": "1",
               "shop": "850693217107061760", "referrere_mp": "1"})
    );
    // Every header of the table is taken as its field.
    for field in MEMBER_FIELDS {
        let aliases = headers::aliases(field.name);
        let upper = field.name.to_uppercase();
        for header in [field.label, upper.as_str()]
            .into_iter()
            .chain(aliases.iter().copied())
        {
            let (others, values) = match field.name {
                "mobile" => (",姓名", "13800138000,张三"),
                "name" => (",手机号", "张三,13800138000"),
                _ => (",手机号,姓名", "x,13800138000,张三"),
            };
            let text = format!("{header}{others}\n{values}\n");
            let records = read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto);
            let records = records.unwrap_or_else(|e| panic!("{header}: {}", e.message));
            let taken = member(&records.records[0]);
            assert!(taken.get(field.name).is_some(), "{header}: {taken}");
        }
    }
}

#[test]
fn unknown_headers_are_all_named_with_suggestions() {
    let message =
        csv_error("moblie,name,会员卡号吗,nmae,积分,微信昵称\n13800138000,张三,1,x,10,y\n");
    assert!(
        message.contains(
            "columns look like a typo of a member field: A `moblie` (did you mean mobile?), C `会员卡号吗` (did you mean 会员卡号?), D `nmae` (did you mean name?); correct the header"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "columns are no member field: E `积分`, F `微信昵称`; import without them with --skip-columns 积分,微信昵称 or --skip-unknown-columns"
        ),
        "{message}"
    );
    assert!(message.contains("no column gives `mobile`"), "{message}");
    assert!(message.contains("Accepted headers"), "{message}");
    assert!(message.contains("sex_group (性别)"), "{message}");
}

fn csv_with(text: &str, skip: &[&str], skip_unknown: bool) -> Result<Records, Error> {
    let columns = ColumnChoices {
        skip: skip.iter().map(|s| s.to_string()).collect(),
        skip_unknown,
        map: ColumnMap::default(),
    };
    read_text_file(text.as_bytes(), Format::Csv, TextEncoding::Auto, &columns)
}

#[test]
fn columns_that_are_no_member_field_are_skipped_on_request_but_typos_never_by_the_blanket_flag() {
    let text = "手机号,积分,姓名,余额,微信昵称\n13800138000,10,张三,5.5,zs\n";
    let records = csv_with(text, &[], true).unwrap();
    assert_eq!(records.skipped, ["积分", "余额", "微信昵称"]);
    assert_eq!(
        member(&records.records[0]),
        json!({"mobile": "13800138000", "name": "张三"})
    );
    assert_eq!(
        records.records[0].source["积分"], "10",
        "kept for the rejects file"
    );
    let records = csv_with(text, &["积分", "余额", "微信昵称"], false).unwrap();
    assert_eq!(records.skipped.len(), 3);
    // Exact names only; one that names no column is an error, so a misspelling shows.
    let e = csv_with(text, &["积份"], true).unwrap_err();
    assert!(
        e.message.contains("--skip-columns names `积份`"),
        "{}",
        e.message
    );

    let typo = "手机号吗,姓名,积分\n13800138000,张三,10\n";
    let e = csv_with(typo, &[], true).unwrap_err();
    assert!(
        e.message.contains("A `手机号吗` (did you mean "),
        "{}",
        e.message
    );
    assert!(
        e.message
            .contains("--skip-unknown-columns never skips a column that looks like a typo"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("`积分`"),
        "积分 was skipped: {}",
        e.message
    );
    // Named, a typo-like column is left out like any other.
    let e = csv_with(typo, &["手机号吗"], true).unwrap_err();
    assert!(
        e.message.contains("no column gives `mobile`"),
        "{}",
        e.message
    );
}

#[test]
fn the_reason_column_of_a_rejects_workbook_is_left_out() {
    let text = format!("手机号,姓名,{REJECT_REASON_HEADER}\n13800138000,张三,row 5: mobile: ...\n");
    let records = csv(&text);
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "张三"})
    );
}

#[test]
fn two_columns_for_one_field_are_refused() {
    let message = csv_error("手机号,姓名,手机\n13800138000,张三,13800138001\n");
    assert!(
        message.contains("columns A `手机号` and C `手机` both give `mobile`"),
        "{message}"
    );
}

#[test]
fn missing_name_column_is_refused() {
    let message = csv_error("手机号,备注\n13800138000,x\n");
    assert!(message.contains("no column gives `name`"), "{message}");
    assert!(!message.contains("`mobile` ("), "{message}");
    let message = csv_error("");
    assert!(message.contains("no header row"), "{message}");
}

#[test]
fn empty_trailing_header_columns_are_ignored() {
    let records = csv("手机号,姓名,,\n13800138000,张三,,\n13900139000,李四\n");
    assert_eq!(records.len(), 2);
    assert_eq!(
        member(&records[1]),
        json!({"mobile": "13900139000", "name": "李四"})
    );
    assert_eq!(
        records[0].source,
        json!({"手机号": "13800138000", "姓名": "张三"})
    );
    // ...but not when something is written under them.
    let message = csv_error("手机号,姓名,\n13800138000,张三,\n13900139000,李四,VIP\n");
    assert!(message.contains("column C has no header"), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn ragged_row_is_an_err_record_on_its_line() {
    let records =
        csv("手机号,姓名,备注\n13800138000,张三,x\n13900139000,李四\n13700137000,王五,a,b\n");
    assert_eq!(records.len(), 3);
    assert!(records[0].member.is_ok());
    assert_eq!(records[1].number, 3);
    assert_eq!(
        records[1].member.as_ref().unwrap_err(),
        "has 2 cells, the header has 3"
    );
    assert_eq!(records[2].number, 4);
    assert_eq!(
        records[2].member.as_ref().unwrap_err(),
        "has 4 cells, the header has 3"
    );
    assert_eq!(records[2].source["column D"], json!("b"));
    assert_eq!(records[2].location(Format::Csv), "line 4");
}

#[test]
fn quoted_cells_keep_commas_and_newlines() {
    let text = "手机号,姓名,备注,详细地址\n\
                13800138000,张三,\"第一行\n第二行\n第三行\",\"北京市,朝阳区\"\n\
                13900139000,\"李,四\",,\n";
    let records = csv(text);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].number, 2);
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "张三",
               "remark": "第一行\n第二行\n第三行", "detail_address": "北京市,朝阳区"})
    );
    assert_eq!(records[1].number, 5);
    assert_eq!(records[1].member.as_ref().unwrap()["name"], "李,四");
}

#[test]
fn empty_rows_are_skipped_and_numbering_stays_physical() {
    let records = csv("手机号,姓名\n\n13800138000,张三\n,\n  ,  \n13900139000,李四\n\n");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].number, 3);
    assert_eq!(records[1].number, 6);
    // The same with Windows line ends and a quoted line break.
    let records =
        csv("手机号,姓名\r\n\r\n13800138000,\"张\r\n三\"\r\n\r\n\r\n13900139000,李四\r\n");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].number, 3);
    assert_eq!(records[1].number, 7);
    // Empty cells are left out of the member.
    let records = csv("手机号,姓名,备注,生日\n13800138000,张三,, \n");
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "张三"})
    );
}

#[test]
fn labels_are_split() {
    let records = csv(
        "手机号,姓名,标签\n13800138000,张三,\"VIP, 老客户；会员日、生日|周末;\"\n13900139000,李四,\"，；\"\n",
    );
    assert_eq!(
        records[0].member.as_ref().unwrap()["label"],
        json!(["VIP", "老客户", "会员日", "生日", "周末"])
    );
    assert!(!records[1].member.as_ref().unwrap().contains_key("label"));
}

#[test]
fn chinese_code_values_become_codes() {
    let records = csv(
        "手机号,姓名,性别,状态,是否删除,入会方式,有效期管理,会员来源\n\
         13800138001,甲,男,有效,否,营业员发展,长期有效,门店\n\
         13800138002,乙,女,失效,是,会员推荐,限期有效,微信\n\
         13800138003,丙,1,无效,未删除,2,1,电商\n\
         13800138004,丁,未知,1,已删除,1,2,微商城\n\
         13800138005,戊,2,0,0,1,1,自建商城\n",
    );
    let codes: Vec<Vec<&str>> = records
        .iter()
        .map(|r| {
            let m = r.member.as_ref().unwrap();
            [
                "sex_group",
                "enable",
                "is_delete",
                "join_way",
                "period",
                "source",
            ]
            .iter()
            .map(|f| m[*f].as_str().unwrap())
            .collect()
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            vec!["1", "1", "0", "1", "1", "1"],
            vec!["2", "0", "1", "2", "2", "2"],
            vec!["1", "0", "0", "2", "1", "3"],
            vec!["未知", "1", "1", "1", "2", "4"],
            vec!["2", "0", "0", "1", "1", "5"],
        ]
    );
    // Meanings only count in their own column.
    let records = csv("手机号,姓名,备注\n13800138000,男,有效\n");
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "男", "remark": "有效"})
    );
}

#[test]
fn dates_are_zero_padded() {
    let records = csv("手机号,姓名,生日,有效开始日期,有效结束日期\n\
         13800138000,张三,2001/5/7,2022-1-1,2023.12.31\n\
         13900139000,李四,2023-02-30,2022/01/1,5/7/2001\n\
         13700137000,王五,2001/5/7/1,2022年1月1日,20220101\n");
    let dates = |i: usize| {
        let m = records[i].member.as_ref().unwrap();
        (
            m["birthday"].clone(),
            m["start_date"].clone(),
            m["end_date"].clone(),
        )
    };
    assert_eq!(
        dates(0),
        (
            json!("2001-05-07"),
            json!("2022-01-01"),
            json!("2023-12-31")
        )
    );
    assert_eq!(
        dates(1),
        (json!("2023-02-30"), json!("2022-01-01"), json!("5/7/2001"))
    );
    assert_eq!(
        dates(2),
        (
            json!("2001/5/7/1"),
            json!("2022年1月1日"),
            json!("20220101")
        )
    );
    // Only date columns are rewritten.
    let records = csv("手机号,姓名,备注\n13800138000,张三,2001/5/7\n");
    assert_eq!(records[0].member.as_ref().unwrap()["remark"], "2001/5/7");
}

#[test]
fn mobile_stays_text_and_scientific_notation_is_refused() {
    let records = csv("手机号,姓名\n013800138000,张三\n1.38001E+10,李四\n");
    assert_eq!(
        records[0].member.as_ref().unwrap()["mobile"],
        "013800138000"
    );
    let err = records[1].member.as_ref().unwrap_err();
    assert!(err.contains("scientific notation"), "{err}");
    assert!(!err.contains("1.38001"), "{err}");
}

#[test]
fn json_lines_with_a_bad_line() {
    let text = "{\"mobile\":\"13800138000\",\"name\":\"张三\"}\r\n\n   \n{not json}\n[1,2]\n{\"mobile\":13900139000,\"name\":\"李四\",\"sex_group\":\"男\"}\n";
    let records = read_bytes(text.as_bytes(), Format::JsonLines, TextEncoding::Auto)
        .unwrap()
        .records;
    assert_eq!(
        records.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![1, 4, 5, 6]
    );
    assert!(records[0].member.is_ok());
    let bad = records[1].member.as_ref().unwrap_err();
    assert!(bad.contains("not valid JSON"), "{bad}");
    assert_eq!(records[1].source, json!("{not json}"));
    let array = records[2].member.as_ref().unwrap_err();
    assert!(array.contains("is an array, not a JSON object"), "{array}");
    assert_eq!(records[2].source, json!([1, 2]));
    // JSON values are passed through untouched: no conveniences.
    assert_eq!(
        member(&records[3]),
        json!({"mobile": 13900139000u64, "name": "李四", "sex_group": "男"})
    );
    assert_eq!(records[3].location(Format::JsonLines), "line 6");
}

#[test]
fn json_array_with_a_non_object() {
    let text = r#"[{"mobile":"13800138000","name":"张三","label":"a,b"}, "x", null]"#;
    let records = read_bytes(text.as_bytes(), Format::Json, TextEncoding::Auto)
        .unwrap()
        .records;
    assert_eq!(records.len(), 3);
    assert_eq!(
        member(&records[0]),
        json!({"mobile": "13800138000", "name": "张三", "label": "a,b"})
    );
    assert_eq!(records[1].number, 2);
    assert!(records[1]
        .member
        .as_ref()
        .unwrap_err()
        .contains("is a string, not a JSON object"));
    assert_eq!(records[2].source, Value::Null);
    assert_eq!(records[2].location(Format::Json), "item 3");
}

#[test]
fn json_single_object_and_bad_files() {
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seed-member.json"
    ))
    .unwrap();
    let records = read_bytes(&seed, Format::Json, TextEncoding::Auto).unwrap();
    assert_eq!(records.records.len(), 1);
    let m = records.records[0].member.as_ref().unwrap();
    assert_eq!(m.len(), 22);
    assert_eq!(m["name"], "会员A");
    assert_eq!(m["label"], Value::Null);
    assert!(jdy_member::member::validate(m).is_ok());

    for bad in ["42", "\"x\"", "", "{\"a\":1}\n{\"b\":2}"] {
        let e = read_bytes(bad.as_bytes(), Format::Json, TextEncoding::Auto).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad}");
    }
}

#[test]
fn example_members_csv() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/members.csv");
    let records = read_file(&path, &options()).unwrap();
    assert_eq!(records.format, Format::Csv);
    assert_eq!(records.encoding, "utf-8");
    assert_eq!(records.records.len(), 20);
    let mut without_name = 0;
    for record in &records.records {
        let m = record.member.as_ref().unwrap();
        assert!(m.contains_key("mobile"), "{}", record.number);
        if !m.contains_key("name") {
            without_name += 1;
        }
    }
    assert_eq!(without_name, 1);
    let refused: Vec<Vec<String>> = records
        .records
        .iter()
        .filter_map(|r| jdy_member::member::validate(r.member.as_ref().unwrap()).err())
        .map(|e| e.fields.into_iter().map(|f| f.field).collect())
        .collect();
    assert_eq!(
        refused,
        vec![
            vec!["mobile".to_string()],
            vec!["name".to_string()],
            vec!["birthday".to_string()],
            vec!["sex_group".to_string()],
        ]
    );
}

fn options() -> ReadOptions {
    ReadOptions {
        format: None,
        encoding: TextEncoding::Auto,
        sheet: None,
        columns: ColumnChoices::default(),
    }
}

#[test]
fn read_file_needs_a_known_extension_and_a_readable_file() {
    let e = read_file(Path::new("members.xlsb"), &options()).unwrap_err();
    assert!(e.message.contains(".jsonl"), "{}", e.message);
    assert!(e.message.contains(".xlsx"), "{}", e.message);
    let e = read_file(Path::new("/nonexistent/members.csv"), &options()).unwrap_err();
    assert!(e.message.contains("cannot read"), "{}", e.message);
    let e = read_file(Path::new("/nonexistent/members.xlsx"), &options()).unwrap_err();
    assert!(e.message.contains("cannot read"), "{}", e.message);
}

#[test]
fn an_import_file_can_be_read_on_another_thread() {
    // A page (issue 23) reads a large file on a worker thread and shows its verdicts as they
    // come.
    fn send<T: Send>() {}
    send::<ImportFile>();
}
