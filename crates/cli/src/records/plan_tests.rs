//! The plan of a file's columns, through `ImportFile` as the commands and the import page
//! use it: the header table, guesses and their content, mappings, conflicts, re-planning.

use super::super::{ColumnChoices, ColumnMap, Format, ImportFile, TextEncoding};
use super::*;
use serde_json::{json, Value};

/// A CSV's first pass, its columns planned with `choices` but not necessarily settled.
fn csv_with(text: &str, choices: &ColumnChoices) -> ImportFile {
    let source = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
    ImportFile::from_source(source, Format::Csv, TextEncoding::Auto, choices).unwrap()
}

fn csv(text: &str) -> ImportFile {
    csv_with(text, &ColumnChoices::default())
}

fn mapped(entries: &[&str]) -> ColumnChoices {
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    ColumnChoices {
        map: ColumnMap::from_args(&entries, None).unwrap(),
        ..ColumnChoices::default()
    }
}

/// Each column as (header, field, how, suggest).
fn plan(file: &ImportFile) -> Vec<(String, Option<&'static str>, How, Option<&'static str>)> {
    file.columns()
        .iter()
        .map(|c| (c.header.clone(), c.field, c.how, c.suggest))
        .collect()
}

fn lines(file: &ImportFile) -> Vec<String> {
    file.columns().iter().map(PlannedColumn::line).collect()
}

fn members(file: &mut ImportFile) -> Vec<Value> {
    let records = file.collect().unwrap();
    records
        .into_iter()
        .map(|r| Value::Object(r.member.unwrap()))
        .collect()
}

/// Thirteen rows: `mobiles` of them a mobile under 电话, the rest a landline.
fn phones(mobiles: usize, extra_header: &str) -> String {
    let mut text = format!("姓名,电话{extra_header}\n");
    for i in 0..13 {
        let phone = if i < mobiles {
            format!("139{i:08}")
        } else {
            format!("021-5555{i:04}")
        };
        let extra = if extra_header.is_empty() {
            String::new()
        } else {
            format!(",1380013{i:04}")
        };
        text.push_str(&format!("会员{i},{phone}{extra}\n"));
    }
    text
}

#[test]
fn decorated_headers_are_taken() {
    let mut file = csv(
        "姓名（必填）,*手机号,生日(选填),会员　等级,【备注】\n张三,13800138000,1990/5/7,金卡,x\n",
    );
    assert_eq!(
        lines(&file),
        [
            "A 姓名（必填） → name (label)",
            "B *手机号 → mobile (label)",
            "C 生日(选填) → birthday (label)",
            "D 会员　等级 → level (alias)",
            "E 【备注】 → remark (label)",
        ]
    );
    file.ready().unwrap();
    assert_eq!(
        members(&mut file),
        [
            json!({"name": "张三", "mobile": "13800138000", "birthday": "1990-05-07", "level": "金卡", "remark": "x"})
        ]
    );
}

#[test]
fn a_landline_column_beside_a_mobile_column_is_never_taken_as_mobile() {
    let text = phones(13, ",手机");
    let file = csv(&text);
    assert_eq!(
        lines(&file)[1],
        "B 电话 → unknown (not a member field: mobile comes from C 手机)"
    );
    let e = file.ready().unwrap_err();
    assert!(
        e.message.contains("a column is no member field: B `电话`"),
        "{}",
        e.message
    );
    let skipped = csv_with(
        &text,
        &ColumnChoices {
            skip_unknown: true,
            ..ColumnChoices::default()
        },
    );
    assert_eq!(plan(&skipped)[1].2, How::Skipped);
    assert_eq!(skipped.skipped, ["电话"]);
    // Mapped, it is taken, and the other mobile column must then be left out.
    let e = csv_with(&text, &mapped(&["电话=mobile"]))
        .ready()
        .unwrap_err();
    assert!(
        e.message
            .contains("columns B `电话` and C `手机` both give `mobile`"),
        "{}",
        e.message
    );
    let mut file = csv_with(&text, &mapped(&["电话=mobile", "手机=-"]));
    assert_eq!(members(&mut file)[0]["mobile"], "13900000000");
}

#[test]
fn a_phone_column_is_taken_only_when_its_values_are_mobiles() {
    let all = csv(&phones(13, ""));
    assert_eq!(
        lines(&all)[1],
        "B 电话 → mobile (content: 13 of 13 values are mobiles)"
    );
    all.ready().unwrap();
    // 12 of 13 is under 95 %: a suggestion, never taken silently.
    let most = csv(&phones(12, ""));
    assert_eq!(
        plan(&most)[1],
        ("电话".into(), None, How::Unknown, Some("mobile"))
    );
    assert_eq!(
        lines(&most)[1],
        "B 电话 → mobile? (suggested: 12 of 13 values are mobiles; add --map 电话=mobile)"
    );
    let e = most.ready().unwrap_err();
    assert!(
        e.message.contains("a column may be a member field"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("B `电话` may: add --map 电话=mobile"),
        "{}",
        e.message
    );
    let landlines = csv(&phones(0, ""));
    assert_eq!(
        lines(&landlines)[1],
        "B 电话 → unknown (not a member field: none of its 13 values is a mobile)"
    );
    // The required mark of a template does not change what the header means.
    let decorated = csv(&phones(13, "").replacen("电话", "电话（必填）", 1));
    assert_eq!(plan(&decorated)[1].2, How::Content);
}

#[test]
fn mobiles_under_an_unknown_header_and_a_name_guess_are_suggested() {
    let file = csv("客户联系,名称\n13800138000,张三\n13900139000,李四\n");
    assert_eq!(
        lines(&file),
        [
            "A 客户联系 → mobile? (suggested: 2 of 2 values are mobiles; add --map 客户联系=mobile)",
            "B 名称 → name? (suggested: 名称 may name the member or something else (a shop, a company); add --map 名称=name)",
        ]
    );
    assert!(file.ready().is_err());
    let mut file = csv_with(
        "客户联系,名称\n13800138000,张三\n",
        &mapped(&["客户联系=mobile", "名称=姓名"]),
    );
    assert_eq!(plan(&file)[0].2, How::Map);
    assert_eq!(
        members(&mut file),
        [json!({"mobile": "13800138000", "name": "张三"})]
    );
}

#[test]
fn a_mapping_wins_over_the_table_and_must_name_columns_of_the_file() {
    let text = "手机,姓名,积分,手机号吗\n13800138000,张三,10,x\n";
    let mut file = csv_with(
        text,
        &mapped(&["积分=-", "手机号吗=remark", "姓名=-", "手机=name"]),
    );
    assert_eq!(
        plan(&file),
        [
            ("手机".into(), Some("name"), How::Map, None),
            ("姓名".into(), None, How::Skipped, None),
            ("积分".into(), None, How::Skipped, None),
            ("手机号吗".into(), Some("remark"), How::Map, None),
        ]
    );
    let e = file.ready().unwrap_err();
    assert!(
        e.message.contains("no column gives `mobile`"),
        "{}",
        e.message
    );
    file.replan(&mapped(&["积分=-", "手机号吗=remark"]))
        .unwrap();
    assert_eq!(
        members(&mut file),
        [json!({"mobile": "13800138000", "name": "张三", "remark": "x"})]
    );
    let e = csv_with(text, &mapped(&["积份=-", "手机号吗=-", "积分=-"]))
        .ready()
        .unwrap_err();
    assert!(
        e.message
            .contains("the mapping (--map or --map-file) names `积份`, which no column is headed"),
        "{}",
        e.message
    );
    let e = csv_with(text, &mapped(&["积分=mobile", "手机号吗=-"]))
        .ready()
        .unwrap_err();
    assert!(
        e.message
            .contains("columns A `手机` and C `积分` both give `mobile`"),
        "{}",
        e.message
    );
}

#[test]
fn the_plan_is_made_again_without_reading_the_file_and_gives_its_mapping() {
    let mut file = csv("电话,姓名,积分\n021-5555 1234,张三,10\n13800138000,李四,5\n");
    assert!(file.ready().is_err());
    assert_eq!(file.columns()[0].values, ["021-5555 1234", "13800138000"]);
    file.replan(&ColumnChoices {
        skip_unknown: true,
        map: mapped(&["电话=mobile"]).map,
        ..ColumnChoices::default()
    })
    .unwrap();
    file.ready().unwrap();
    assert_eq!(file.skipped, ["积分"]);
    assert_eq!(
        file.mapping().to_json_text(),
        "{\n  \"电话\": \"mobile\",\n  \"姓名\": \"name\",\n  \"积分\": null\n}\n"
    );
    assert_eq!(
        file.columns()[0].to_json(),
        json!({"column": "A", "header": "电话", "field": "mobile", "how": "map"})
    );
    assert_eq!(
        csv("电话,姓名\n021-5555 1234,张三\n13800138000,李四\n").columns()[0].to_json(),
        json!({"column": "A", "header": "电话", "field": null, "how": "unknown", "suggest": "mobile"})
    );
    let records = file.collect().unwrap();
    assert!(
        records[0].member.is_ok(),
        "the landline is the row's problem, later"
    );
}

#[test]
fn json_keys_take_the_mapping() {
    let text = "{\"tel\": \"13800138000\", \"name\": \"张三\", \"积分\": 1}\n{\"tel\": \"13900139000\", \"mobile\": \"13700137000\", \"name\": \"李四\"}\n";
    let read = |choices: &ColumnChoices| {
        let source = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        ImportFile::from_source(source, Format::JsonLines, TextEncoding::Auto, choices).unwrap()
    };
    let e = read(&mapped(&["tel=mobile", "积分=-"]))
        .ready()
        .unwrap_err();
    assert!(
        e.message
            .contains("line 2: `mobile` and `tel` both give `mobile`"),
        "{}",
        e.message
    );
    let e = read(&mapped(&["phone=mobile"])).ready().unwrap_err();
    assert!(
        e.message.contains("names `phone`, which no member"),
        "{}",
        e.message
    );
    let mut file = read(&mapped(&["tel=mobile", "mobile=-", "积分=-"]));
    assert!(file.columns().is_empty());
    assert_eq!(
        members(&mut file),
        [
            json!({"mobile": "13800138000", "name": "张三"}),
            json!({"mobile": "13900139000", "name": "李四"})
        ]
    );
    let mut file = read(&ColumnChoices::default());
    file.replan(&mapped(&["tel=mobile", "mobile=-"])).unwrap();
    assert_eq!(members(&mut file)[0]["mobile"], "13800138000");
}
