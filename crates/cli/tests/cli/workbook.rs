//! Workbooks on the command line: files LibreOffice wrote (tests/fixtures/workbooks, made
//! by its make.sh), workbooks written here for the odd cases, and bad workbooks, each
//! refused with a clear message before anything is sent.

use super::*;
use calamine::{open_workbook, Data, Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Formula, Workbook};
use std::collections::BTreeMap;
use std::io::Read;

pub(super) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/workbooks");

/// A fixture copied into `dir`: an import writes its journal and rejects beside its input.
pub(super) fn fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(format!("{FIXTURES}/{name}"), &path).unwrap();
    path
}

/// `import FILE --json` against `sandbox`: the exit code, the summary and stderr.
pub(super) fn import(
    sandbox: &SandboxProcess,
    dir: &Path,
    file: &Path,
    extra: &[&str],
) -> (i32, Value, String) {
    let config = sandbox.config_file(dir);
    let mut args = vec![
        "--json",
        "--config",
        config.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&mut jdy(&args));
    let summary = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["data"].clone())
        .unwrap_or(Value::Null);
    (code, summary, stderr)
}

/// The sandbox's members by mobile, without what the gateway adds (id, modify time).
pub(super) fn members_by_mobile(sandbox: &SandboxProcess) -> BTreeMap<String, Value> {
    sandbox
        .control("members")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            let object = m.as_object_mut().unwrap();
            object.remove("id");
            object.remove("db_modify_time");
            (m["mobile"].as_str().unwrap().to_string(), m)
        })
        .collect()
}

fn assert_each_saved_once(sandbox: &SandboxProcess) {
    let stats = sandbox.control("stats");
    let twice: Vec<_> = stats["saves_by_mobile"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, n)| **n != 1)
        .collect();
    assert!(twice.is_empty(), "saved more than once: {twice:?}");
}

#[test]
fn a_libreoffice_workbook_with_title_rows_imports_like_its_csv_and_keeps_the_long_mobile() {
    let dir = temp_dir("wb-like-csv");
    let from_workbook = SandboxProcess::start();
    let xlsx = fixture(&dir, "members.xlsx");
    let (code, summary, stderr) = import(&from_workbook, &dir, &xlsx, &[]);
    assert_eq!(code, 4, "four rows are refused by validation: {stderr}");
    assert!(
        stderr.contains("20 records (xlsx, sheet `会员资料`, header on row 3)"),
        "the notes sheet and the two title rows are passed over: {stderr}"
    );
    assert_eq!(summary["saved"], 16, "{summary}");
    assert_eq!(summary["refused"], 4, "{summary}");
    // Row numbers are the sheet's, title rows included, as Excel shows them.
    let (_, _, messages) = run(&mut jdy(&["validate", xlsx.to_str().unwrap()]));
    for expected in [
        "row 8: mobile: has 10 digits",
        "row 10: name: is required",
        "row 12: birthday: is not a real calendar date",
        "row 16: sex_group: \"3\" is not an allowed code",
    ] {
        assert!(messages.contains(expected), "{expected} in {messages}");
    }
    assert_eq!(
        summary["rejects"],
        dir.join("members.rejects.xlsx").display().to_string()
    );

    // The same rows as LibreOffice's "save as CSV" wrote them: the narrow column's mobile
    // became 1.38E+10 there and is lost; everything else is saved the same.
    let from_csv = SandboxProcess::start();
    let csv = fixture(&dir, "members.csv");
    let (code, summary, stderr) = import(&from_csv, &dir, &csv, &[]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(summary["saved"], 15, "{summary}");
    let rejects = std::fs::read_to_string(dir.join("members.rejects.jsonl")).unwrap();
    assert!(
        rejects.contains(r#""at":"line 5""#)
            && rejects.contains("mobile was saved by Excel in scientific notation"),
        "{rejects}"
    );
    let workbook_members = members_by_mobile(&from_workbook);
    let csv_members = members_by_mobile(&from_csv);
    for (mobile, member) in &csv_members {
        assert_eq!(
            workbook_members.get(mobile),
            Some(member),
            "member {mobile} the same from the workbook and the CSV"
        );
    }
    let recovered: Vec<&String> = workbook_members
        .keys()
        .filter(|m| !csv_members.contains_key(*m))
        .collect();
    assert_eq!(
        recovered,
        ["13800130004"],
        "all eleven digits from the workbook"
    );
    let liu = &workbook_members["13800130004"];
    assert_eq!(liu["name"], "刘洋");
    assert_eq!(
        liu["birthday"], "2001-05-07",
        "a text date keeps its parsing"
    );
    assert_eq!(workbook_members["13800130001"]["birthday"], "1985-03-12");
    assert_eq!(workbook_members["13800130001"]["sex_group"], "1");
    assert_eq!(workbook_members["13800130001"]["level"], "1");
    assert_each_saved_once(&from_workbook);
}

#[test]
fn xls_and_ods_read_like_the_xlsx_and_the_gbk_example_like_its_csv() {
    let validate = |name: &str| {
        let (code, _, stderr) = run(&mut jdy(&["validate", &format!("{FIXTURES}/{name}")]));
        let errors: Vec<String> = stderr
            .lines()
            .filter(|l| l.starts_with("row ") || l.starts_with("line "))
            .map(|l| l.replacen("line ", "row ", 1))
            .collect();
        (code, errors, stderr)
    };
    let (code, xlsx_errors, stderr) = validate("members.xlsx");
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(xlsx_errors.len(), 4, "{stderr}");
    for other in ["members.xls", "members.ods"] {
        let (code, errors, stderr) = validate(other);
        assert_eq!(code, 4, "{other}: {stderr}");
        assert_eq!(errors, xlsx_errors, "{other}: {stderr}");
        assert!(
            stderr.contains("sheet `会员资料`, header on row 3"),
            "{stderr}"
        );
    }
    // The shop example, saved by Chinese Excel as GBK CSV, and LibreOffice's workbooks
    // of it (numeric mobiles): each row where the CSV has it.
    let (code, csv_errors, stderr) = validate("stores-gbk.csv");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("gb18030"), "{stderr}");
    for other in ["stores.xlsx", "stores.xls"] {
        let (code, errors, stderr) = validate(other);
        assert_eq!(code, 0, "{other}: {stderr}");
        assert_eq!(errors, csv_errors);
        assert!(stderr.contains("4 records"), "{stderr}");
    }

    // The same names resolved as from the CSV (examples/members-stores.csv, row 4 misspelt).
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("wb-stores");
    let xls = fixture(&dir, "stores.xls");
    let (code, summary, stderr) = import(&sandbox, &dir, &xls, &[]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(summary["saved"], 3, "{summary}");
    let rejects = dir.join("stores.rejects.xlsx");
    let mut book: Xlsx<_> = open_workbook(&rejects).unwrap();
    let range = book.worksheet_range("stores").unwrap();
    let reason = range.get_value((1, 7)).unwrap().to_string();
    assert!(
        reason.starts_with("row 4 of sheet stores: shop: no store named \"南京西路\""),
        "{reason}"
    );
    assert_eq!(
        members_by_mobile(&sandbox)["13900600001"]["shop"],
        "850693217107061760"
    );
}

#[test]
fn the_rejects_workbook_corrected_and_imported_as_it_is_saves_the_remaining_rows() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("wb-rejects");
    let xlsx = fixture(&dir, "members.xlsx");
    let (code, summary, stderr) = import(&sandbox, &dir, &xlsx, &[]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(summary["saved"], 16);

    // The staff open the rejects file: the same header row plus the reason, the rows as
    // they were, every cell text.
    let rejects = dir.join("members.rejects.xlsx");
    let mut book: Xlsx<_> = open_workbook(&rejects).unwrap();
    assert_eq!(book.sheet_names(), ["会员资料"]);
    let range = book.worksheet_range("会员资料").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "手机号",
            "姓名",
            "性别",
            "生日",
            "会员级别",
            "标签",
            "备注",
            "会员来源",
            "详细地址",
            "错误原因"
        ]
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    let by_reason = |start: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r[9].starts_with(start))
            .unwrap_or_else(|| panic!("{start} in {rows:?}"))
            .clone()
    };
    assert_eq!(
        by_reason("row 8 of sheet 会员资料: mobile:")[0],
        "1380013005"
    );
    assert_eq!(by_reason("row 10 of sheet 会员资料: name:")[1], "");
    assert_eq!(
        by_reason("row 12 of sheet 会员资料: birthday:")[3],
        "2023-02-30"
    );
    assert_eq!(by_reason("row 16 of sheet 会员资料: sex_group:")[2], "3");
    assert!(
        matches!(range.get_value((1, 0)), Some(Data::String(_))),
        "text cells"
    );

    // ...correct the four rows in place, leave the reasons, and import that very file.
    let mut corrected = rows.clone();
    for row in corrected.iter_mut().skip(1) {
        match row[0].as_str() {
            "1380013005" => row[0] = "13800130005".into(),
            "13900130007" => row[1] = "林七".into(),
            "15000130009" => row[3] = "2023-02-28".into(),
            "17700130013" => row[2] = "男".into(),
            other => panic!("unexpected row {other}"),
        }
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("会员资料").unwrap();
    for (r, row) in corrected.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    workbook.save(&rejects).unwrap();
    let (code, summary, stderr) = import(&sandbox, &dir, &rejects, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 4, "{summary}");
    let members = members_by_mobile(&sandbox);
    assert_eq!(members.len(), 20, "every member of the file");
    assert_eq!(members["13900130007"]["name"], "林七");
    assert_eq!(members["17700130013"]["sex_group"], "1");
    assert_each_saved_once(&sandbox);
}

/// A workbook of `rows` members under a title row, mobiles as numbers.
fn generated_workbook(path: &Path, rows: u32) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("会员").unwrap();
    sheet.write_string(0, 0, "会员资料导出").unwrap();
    sheet.write_string(1, 0, "手机号").unwrap();
    sheet.write_string(1, 1, "姓名").unwrap();
    for i in 0..rows {
        sheet
            .write_number(i + 2, 0, 13_700_000_000.0 + f64::from(i))
            .unwrap();
        sheet.write_string(i + 2, 1, format!("会员{i}")).unwrap();
    }
    workbook.save(path).unwrap();
}

#[test]
fn an_interrupted_workbook_import_resumes_and_saves_nobody_twice() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("wb-resume");
    let config = sandbox.config_file(&dir);
    let xlsx = dir.join("big.xlsx");
    let total = 120u64;
    generated_workbook(&xlsx, total as u32);
    let args = |rate: &'static str, resume: bool| {
        let mut args = vec![
            "--config".to_string(),
            config.display().to_string(),
            "import".into(),
            xlsx.display().to_string(),
            "--rate".into(),
            rate.into(),
        ];
        if resume {
            args.push("--resume".into());
        }
        args
    };
    let first_args = args("40", false);
    let mut first = jdy(&first_args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if sandbox.control("stats")["save_calls"].as_u64().unwrap() >= 30 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let saved_before = sandbox.control("members").as_array().unwrap().len() as u64;
    assert!(saved_before > 0 && saved_before < total, "{saved_before}");
    let journal = std::fs::read_to_string(dir.join("big.xlsx.journal.jsonl")).unwrap();
    // Rows are sent by several workers, so the journal's lines need not be in row order.
    let lines: Vec<Value> = journal
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        lines.iter().all(|line| line["sheet"] == "会员"),
        "{journal}"
    );
    assert_eq!(
        lines.iter().filter_map(|line| line["line"].as_u64()).min(),
        Some(3),
        "the sheet's rows, the first below the title and header: {journal}"
    );

    let resume = args("1000", true);
    let (code, _, stderr) = run(&mut jdy(&resume
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped"), "{stderr}");
    assert_eq!(members_by_mobile(&sandbox).len() as u64, total);
    assert_each_saved_once(&sandbox);
}

/// Days from Excel's 1900 epoch to 1990-05-07, and the same day in the 1904 system.
const MAY_7_1990_1900: f64 = 33_000.0;
const MAY_7_1990_1904: f64 = MAY_7_1990_1900 - 1_462.0;

#[test]
fn cells_as_excel_stores_them_formulas_dates_and_numbers() {
    let dir = temp_dir("wb-odd");
    let path = dir.join("odd.xlsx");
    let mut workbook = Workbook::new();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet().set_name("会员").unwrap();
    for (c, h) in ["手机号", "姓名", "生日", "性别", "会员级别", "备注"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: formulas give their cached values; a date with a time is its day; numbers
    // in code columns are their digits; a fraction where any text goes stays as it is.
    sheet
        .write_formula(
            1,
            0,
            Formula::new("=13800000000+1").set_result("13800000001"),
        )
        .unwrap();
    sheet
        .write_formula(1, 1, Formula::new("=\"王\"&\"一\"").set_result("王一"))
        .unwrap();
    let birthday = ExcelDateTime::from_ymd(1990, 5, 7)
        .unwrap()
        .and_hms(8, 30, 0)
        .unwrap();
    sheet
        .write_datetime_with_format(1, 2, &birthday, &date)
        .unwrap();
    sheet.write_number(1, 3, 2.0).unwrap();
    sheet.write_number(1, 4, 3.0).unwrap();
    sheet.write_number(1, 5, 3.5).unwrap();
    // Row 3: a number where a date belongs.
    sheet.write_number(2, 0, 13_800_000_002.0).unwrap();
    sheet.write_string(2, 1, "王二").unwrap();
    sheet.write_number(2, 2, 19_900_507.0).unwrap();
    // Rows 4-6: a fraction, a number too large to be exact, a date where the mobile goes.
    sheet.write_number(3, 0, 13_800_000_003.5).unwrap();
    sheet.write_string(3, 1, "王三").unwrap();
    sheet.write_number(4, 0, 1e20).unwrap();
    sheet.write_string(4, 1, "王四").unwrap();
    sheet
        .write_number_with_format(5, 0, MAY_7_1990_1900, &date)
        .unwrap();
    sheet.write_string(5, 1, "王五").unwrap();
    // Row 7 is empty; row 8: text cells keep today's parsing; row 9: a failed formula.
    sheet.write_string(7, 0, "13800000008").unwrap();
    sheet.write_string(7, 1, "王八").unwrap();
    sheet.write_string(7, 2, "1990/5/7").unwrap();
    sheet.write_string(7, 3, "女").unwrap();
    sheet.write_number(8, 0, 13_800_000_009.0).unwrap();
    sheet.write_string(8, 1, "王九").unwrap();
    sheet
        .write_formula(8, 4, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    workbook.save(&path).unwrap();

    let sandbox = SandboxProcess::start();
    let (code, summary, stderr) = import(&sandbox, &dir, &path, &[]);
    assert_eq!(code, 3, "rows that cannot be read, as with a CSV: {stderr}");
    assert_eq!(summary["records"], 7, "the empty row is skipped: {summary}");
    assert_eq!(summary["saved"], 2, "{summary}\n{stderr}");
    let (_, _, stderr) = run(&mut jdy(&["validate", path.to_str().unwrap()]));
    for expected in [
        "row 3: birthday holds the number 19900507, not a date; format the cell as a date",
        "row 4: mobile holds the number 13800000003.5, which is not a whole number",
        "row 5: mobile holds a number too large to be exact",
        "row 6: mobile holds a date (1990-05-07)",
        "row 9: level holds the spreadsheet error #DIV/0!",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    let members = members_by_mobile(&sandbox);
    let first = &members["13800000001"];
    assert_eq!(first["name"], "王一");
    assert_eq!(first["birthday"], "1990-05-07");
    assert_eq!(first["sex_group"], "2");
    assert_eq!(first["level"], "3");
    assert_eq!(first["remark"], "3.5");
    let eighth = &members["13800000008"];
    assert_eq!(eighth["birthday"], "1990-05-07");
    assert_eq!(eighth["sex_group"], "2");
}

/// Rewrites the workbook at `path` into the 1904 date system (as Excel for Mac wrote them):
/// the flag in workbook.xml; the cells must hold 1904 serial days.
fn into_1904_system(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "xl/workbook.xml" {
            let text = String::from_utf8(data).unwrap();
            assert!(text.contains("<workbookPr "), "{text}");
            data = text
                .replacen("<workbookPr ", "<workbookPr date1904=\"1\" ", 1)
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn dates_of_the_1904_system_are_the_same_days() {
    let dir = temp_dir("wb-1904");
    let path = dir.join("mac.xlsx");
    let mut workbook = Workbook::new();
    let date = CellFormat::new().set_num_format("yyyy/m/d");
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "mobile").unwrap();
    sheet.write_string(0, 1, "name").unwrap();
    sheet.write_string(0, 2, "birthday").unwrap();
    sheet.write_number(1, 0, 13_800_000_001.0).unwrap();
    sheet.write_string(1, 1, "麦一").unwrap();
    sheet
        .write_number_with_format(1, 2, MAY_7_1990_1904, &date)
        .unwrap();
    workbook.save(&path).unwrap();
    into_1904_system(&path);

    let sandbox = SandboxProcess::start();
    let (code, summary, stderr) = import(&sandbox, &dir, &path, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["saved"], 1);
    assert_eq!(
        members_by_mobile(&sandbox)["13800000001"]["birthday"],
        "1990-05-07"
    );
}

#[test]
fn the_sheet_is_the_first_with_member_headers_or_the_one_named() {
    let notes = format!("{FIXTURES}/members.xlsx");
    let (code, _, stderr) = run(&mut jdy(&["validate", &notes, "--sheet", "填写说明"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("sheet `填写说明` of"), "{stderr}");
    assert!(stderr.contains("holds row 1: 会员导入说明"), "{stderr}");
    let (code, _, stderr) = run(&mut jdy(&["validate", &notes, "--sheet", "会员"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("has no sheet named `会员`; its sheets are `填写说明`, `会员资料`"),
        "{stderr}"
    );

    // Two member sheets: the first, or the one named.
    let dir = temp_dir("wb-sheets");
    let path = dir.join("two.xlsx");
    let mut workbook = Workbook::new();
    for (name, mobile) in [("一店", 13_800_000_001.0), ("二店", 13_800_000_002.0)] {
        let sheet = workbook.add_worksheet().set_name(name).unwrap();
        sheet.write_string(0, 0, "手机号").unwrap();
        sheet.write_string(0, 1, "姓名").unwrap();
        sheet.write_number(1, 0, mobile).unwrap();
        sheet.write_string(1, 1, name).unwrap();
    }
    workbook.save(&path).unwrap();
    let (code, stdout, stderr) = run(&mut jdy(&["--json", "validate", path.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["sheet"], "一店");
    assert_eq!(summary["data"]["header_row"], 1);
    let (code, stdout, _) = run(&mut jdy(&[
        "--json",
        "validate",
        path.to_str().unwrap(),
        "--sheet",
        "二店",
    ]));
    assert_eq!(code, 0);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["data"]["sheet"], "二店");

    // No sheet with member headers: refused before anything is sent, naming each sheet
    // and what it holds.
    let path = dir.join("none.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Sheet1").unwrap();
    sheet.write_string(0, 0, "会员资料").unwrap();
    sheet.write_string(2, 0, "编码").unwrap();
    sheet.write_string(2, 1, "昵称").unwrap();
    workbook.add_worksheet().set_name("Sheet2").unwrap();
    workbook.save(&path).unwrap();
    let (code, _, stderr) = run(&mut jdy(&["--sandbox", "import", path.to_str().unwrap()]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no sheet of"), "{stderr}");
    assert!(
        stderr.contains("`Sheet1` (row 1: 会员资料); `Sheet2` (empty)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at least 手机号 (mobile) and 姓名 (name)"),
        "{stderr}"
    );
    assert!(stderr.contains(" 0 save,"), "nothing sent: {stderr}");
}

#[test]
fn columns_that_are_no_member_field_are_told_from_typos_and_skipped_on_request() {
    let dir = temp_dir("wb-columns");
    let path = dir.join("export.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["手机号", "姓名", "积分", "余额", "最后消费时间"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 13_800_000_001.0).unwrap();
    sheet.write_string(1, 1, "积一").unwrap();
    sheet.write_number(1, 2, 120.0).unwrap();
    sheet.write_number(1, 3, 35.5).unwrap();
    workbook.save(&path).unwrap();
    let file = path.to_str().unwrap();

    let (code, _, stderr) = run(&mut jdy(&["validate", file]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("the header row (row 1 of sheet `Sheet1`) is not usable: columns are no member field: C `积分`, D `余额`, E `最后消费时间`; import without them with --skip-columns 积分,余额,最后消费时间 or --skip-unknown-columns"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&mut jdy(&["validate", file, "--skip-unknown-columns"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("columns left out: 积分, 余额, 最后消费时间"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&mut jdy(&[
        "validate",
        file,
        "--skip-columns",
        "积分,余额",
        "--skip-columns",
        "最后消费时间",
    ]));
    assert_eq!(code, 0, "{stderr}");

    // A typo of a member field is never left out by the blanket flag.
    let path = dir.join("typo.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["手机号吗", "姓名", "积分"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 13_800_000_001.0).unwrap();
    sheet.write_string(1, 1, "积一").unwrap();
    workbook.save(&path).unwrap();
    let (code, _, stderr) = run(&mut jdy(&[
        "validate",
        path.to_str().unwrap(),
        "--skip-unknown-columns",
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(
            "a column looks like a typo of a member field: A `手机号吗` (did you mean 手机号?)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("never skips a column that looks like a typo"),
        "{stderr}"
    );
}

// --- bad workbooks --------------------------------------------------------------------

/// Runs `command`: its exit code, stderr, peak resident memory in MB (on Linux) and wall
/// time. The peak is the kernel's high-water mark of the process (`VmHWM`), sampled every
/// 2 ms while it runs: `wait4`'s figure would count this test process's own memory too,
/// since a spawned child inherits its parent's high-water mark at `exec`.
pub(super) fn run_measured(command: &mut Command) -> (i32, String, Option<f64>, Duration) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb: Option<u64> = None;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let high_water = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
        if let Some(kb) = high_water {
            peak_kb = Some(peak_kb.unwrap_or(0).max(kb));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stderr = reader.join().unwrap();
    (
        status.code().unwrap_or(-1),
        stderr,
        peak_kb.map(|kb| kb as f64 / 1024.0),
        started.elapsed(),
    )
}

/// A bitwise CRC-32 (zip's), for the few small parts of the hand-made archives.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One part of a hand-made zip: its data as stored (deflated or not), and what the zip's
/// headers declare about it.
struct Part {
    name: &'static str,
    deflated: bool,
    data: Vec<u8>,
    crc: u32,
    declared_size: u32,
}

impl Part {
    fn stored(name: &'static str, text: &str) -> Part {
        Part {
            name,
            deflated: false,
            data: text.as_bytes().to_vec(),
            crc: crc32(text.as_bytes()),
            declared_size: text.len() as u32,
        }
    }
}

/// A zip archive of `parts`, written field by field, so its headers can say what a real
/// writer never would.
fn zip_of(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for part in parts {
        let offset = out.len() as u32;
        let method: u16 = if part.deflated { 8 } else { 0 };
        let header = |signature: u32, central_entry: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&signature.to_le_bytes());
            if central_entry {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes()); // time, date
            h.extend_from_slice(&part.crc.to_le_bytes());
            h.extend_from_slice(&(part.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&part.declared_size.to_le_bytes());
            h.extend_from_slice(&(part.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_entry {
                h.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(part.name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(&part.data);
        central.extend(header(0x0201_4b50, true));
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A raw deflate stream that inflates to `b'a'` repeated 1 + 258 × `runs` times: one
/// literal, then `runs` copies of "258 bytes from 1 back", 13 bits each in the fixed
/// Huffman code (a ratio of about 160:1, without compressing anything here).
fn deflate_bomb(runs: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (mut current, mut used) = (0u8, 0u8);
    let mut bit = |b: u32| {
        current |= (b as u8) << used;
        used += 1;
        if used == 8 {
            bytes.push(current);
            current = 0;
            used = 0;
        }
    };
    // Huffman codes go most significant bit first; header fields least significant first.
    let code = |value: u32, length: u32, bit: &mut dyn FnMut(u32)| {
        for i in (0..length).rev() {
            bit((value >> i) & 1);
        }
    };
    bit(1); // the last block
    bit(1); // type 01: fixed Huffman codes (written least significant bit first)
    bit(0);
    code(0x30 + u32::from(b'a'), 8, &mut bit);
    for _ in 0..runs {
        code(0b1100_0101, 8, &mut bit); // length 258
        code(0, 5, &mut bit); // distance 1
    }
    code(0, 7, &mut bit); // end of block
    for _ in 0..7 {
        bit(0);
    }
    bytes
}

/// The parts of a minimal .xlsx around `shared_strings` (one sheet, no cells).
fn xlsx_parts(shared_strings: Part) -> Vec<Part> {
    vec![
        Part::stored(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#,
        ),
        Part::stored(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        Part::stored(
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="会员" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        Part::stored(
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
        ),
        shared_strings,
        Part::stored(
            "xl/worksheets/sheet1.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>"#,
        ),
    ]
}

#[test]
fn bad_workbooks_are_refused_with_a_clear_message_and_nothing_sent() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("wb-bad");
    let config = sandbox.config_file(&dir);
    let good = std::fs::read(format!("{FIXTURES}/members.xlsx")).unwrap();
    // 130 MiB of shared strings, 0.8 MB packed: over what the reader holds in memory.
    let runs = 130 * (1 << 20) / 258;
    let bomb = deflate_bomb(runs);
    let inflated = 1 + 258 * runs as u32;
    let bomb_part = |declared_size: u32| Part {
        name: "xl/sharedStrings.xml",
        deflated: true,
        data: bomb.clone(),
        // Never checked: the reader must stop before the end, where the check would come.
        crc: 0,
        declared_size,
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.xlsx",
            good[..good.len() / 2].to_vec(),
            "is damaged or incomplete",
        ),
        (
            "members-password.xlsx",
            std::fs::read(format!("{FIXTURES}/members-password.xlsx")).unwrap(),
            "is protected by a password",
        ),
        (
            "members-password.xls",
            std::fs::read(format!("{FIXTURES}/members-password.xls")).unwrap(),
            "is protected by a password",
        ),
        (
            "really-a-csv.xlsx",
            std::fs::read(format!("{EXAMPLES}/members.csv")).unwrap(),
            "holds plain text (CSV?) under a workbook's name; rename it to .csv, or pass --format csv",
        ),
        (
            "web-page.xls",
            b"<html><body><table><tr><td>13800000001</td></tr></table></body></html>".to_vec(),
            "a web page or XML named like one",
        ),
        ("empty.xlsx", Vec::new(), "is empty"),
        (
            "bomb.xlsx",
            zip_of(&xlsx_parts(bomb_part(inflated))),
            "is refused without being unpacked: its part xl/sharedStrings.xml unpacks to 129 MB",
        ),
        (
            "lying-bomb.xlsx",
            zip_of(&xlsx_parts(bomb_part(4096))),
            "is damaged or incomplete",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, stderr, peak_mb, took) = run_measured(&mut jdy(&[
            "--config",
            config.to_str().unwrap(),
            "import",
            path.to_str().unwrap(),
        ]));
        assert_eq!(code, 3, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {expected} in {stderr}");
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
        if let Some(mb) = peak_mb {
            assert!(mb < 64.0, "{name}: peak {mb:.1} MB");
        }
    }
    let stats = sandbox.control("stats");
    assert_eq!(stats["requests"], 0, "nothing sent: {stats}");
}

/// An .xlsx whose only sheet has `rows` rows, as Excel counts them: the header, a member
/// in row 2 and one in the last row, and empty rows between (Excel leaves such rows when a
/// whole column is formatted). The sheet is stored unpacked, so writing it here is quick.
fn sheet_to_the_last_row(path: &Path, rows: u32) {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for part in xlsx_parts(Part::stored(
        "xl/sharedStrings.xml",
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"/>",
    )) {
        if part.name == "xl/worksheets/sheet1.xml" {
            continue;
        }
        zip.start_file(part.name, options).unwrap();
        zip.write_all(&part.data).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let member = |row: u32, mobile: &str, name: &str| {
        format!(
            r#"<row r="{row}"><c r="A{row}"><v>{mobile}</v></c><c r="B{row}" t="inlineStr"><is><t>{name}</t></is></c></row>"#
        )
    };
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B{rows}"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>手机号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>{}"#,
        member(2, "13800000002", "首行")
    );
    for row in 3..rows {
        xml.push_str(&format!(r#"<row r="{row}"/>"#));
        if xml.len() > 1 << 20 {
            zip.write_all(xml.as_bytes()).unwrap();
            xml.clear();
        }
    }
    xml.push_str(&member(rows, "138000000", "末行"));
    xml.push_str("</sheetData></worksheet>");
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn a_sheet_of_1048576_rows_is_read_as_a_stream() {
    let dir = temp_dir("wb-rows");
    let path = dir.join("tall.xlsx");
    sheet_to_the_last_row(&path, 1_048_576);
    let (code, stderr, peak_mb, took) =
        run_measured(&mut jdy(&["validate", path.to_str().unwrap()]));
    assert_eq!(code, 4, "the last row's mobile is short: {stderr}");
    assert!(stderr.contains("2 records"), "{stderr}");
    assert!(
        stderr.contains("row 1048576: mobile: has 9 digits"),
        "the last row, numbered as Excel shows it: {stderr}"
    );
    // A debug build on a shared CPU: generous bounds that a sheet held whole would break.
    assert!(took < Duration::from_secs(60), "took {took:?}");
    if let Some(mb) = peak_mb {
        assert!(mb < 64.0, "peak {mb:.1} MB for a sheet of 1,048,576 rows");
    }
}
