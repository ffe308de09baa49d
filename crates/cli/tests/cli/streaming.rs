//! Files of any size in flat memory: `validate` of 200,000 rows (CSV and .xlsx) stays far
//! below what holding the rows would take, and an import killed in the middle of its stream
//! (rows spread over several chunks) resumes without saving anybody twice or skipping
//! anybody.

use super::workbook::run_measured;
use super::*;

/// Rows of the memory tests: held whole, as before streaming, they took about 2.5 KB each
/// (500 MB here).
const ROWS: u64 = 200_000;

/// The bound of the memory tests, for the debug build the tests run. Streaming, its peak is
/// about 18 MB for the CSV and 31 MB for the .xlsx (whose shared strings, the names, are
/// held while it is read); the rows held whole took 590 and 510 MB. A reader that keeps
/// more than about 250 bytes a row again fails.
const PEAK_MB: f64 = 80.0;

fn mobile(i: u64) -> u64 {
    13_600_000_000 + i
}

fn members_csv(path: &Path, rows: u64) {
    let mut text = String::from("手机号,姓名,性别,生日\n");
    for i in 0..rows {
        let sex = if i % 2 == 0 { "男" } else { "女" };
        text.push_str(&format!("{},会员{i},{sex},1990-05-07\n", mobile(i)));
    }
    std::fs::write(path, text).unwrap();
}

/// An .xlsx of `rows` members as Excel writes one: a title row, the header, mobiles as
/// numbers and names in the shared strings. Stored unpacked, so it is quick to write.
fn members_xlsx(path: &Path, rows: u64) {
    use std::io::Write as _;
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
            String::from(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#,
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="会员" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
            ),
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    // Shared strings: the title, the two headers, then one name per member.
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>会员资料导出</t></si><si><t>手机号</t></si><si><t>姓名</t></si>"#
    );
    for i in 0..rows {
        xml.push_str(&format!("<si><t>会员{i}</t></si>"));
    }
    xml.push_str("</sst>");
    zip.write_all(xml.as_bytes()).unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row>"#
    );
    for i in 0..rows {
        let row = i + 3;
        xml.push_str(&format!(
            r#"<row r="{row}"><c r="A{row}"><v>{}</v></c><c r="B{row}" t="s"><v>{}</v></c></row>"#,
            mobile(i),
            i + 3
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn validating_200000_rows_takes_a_flat_amount_of_memory() {
    let dir = temp_dir("stream-validate");
    let csv = dir.join("members.csv");
    let xlsx = dir.join("members.xlsx");
    members_csv(&csv, ROWS);
    members_xlsx(&xlsx, ROWS);
    for file in [&csv, &xlsx] {
        let (code, stderr, peak_mb, _) =
            run_measured(&mut jdy(&["validate", file.to_str().unwrap()]));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(&format!("{ROWS} records"))
                && stderr.contains(&format!("{ROWS} valid")),
            "{stderr}"
        );
        if let Some(mb) = peak_mb {
            assert!(
                mb < PEAK_MB,
                "{}: peak {mb:.1} MB for {ROWS} rows; the rows are held again?",
                file.display()
            );
        }
    }
}

#[test]
fn an_import_killed_in_the_middle_of_its_stream_resumes_without_a_duplicate() {
    let sandbox = SandboxProcess::start();
    let dir = temp_dir("stream-resume");
    let config = sandbox.config_file(&dir);
    let csv = dir.join("stream.csv");
    // Several chunks of rows; the last row repeats the mobile of an early one, in the
    // first chunk, and is refused however far apart they are.
    let total = 4_000u64;
    let mut text = String::from("手机号,姓名\n");
    for i in 0..total {
        text.push_str(&format!("{},流{i}\n", mobile(i)));
    }
    text.push_str(&format!("{},重复\n", mobile(9)));
    std::fs::write(&csv, text).unwrap();
    let import = |extra: &[&str]| {
        let mut command = jdy(&["--config", config.to_str().unwrap(), "import"]);
        command.arg(&csv).args(extra);
        command
    };

    let mut first = import(&["--rate", "1500", "--concurrency", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if sandbox.control("stats")["save_calls"].as_u64().unwrap() >= total / 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL: no chance to write anything more.
    first.kill().unwrap();
    first.wait().unwrap();
    let saved_before = sandbox.control("members").as_array().unwrap().len() as u64;
    assert!(
        saved_before > 1_000 && saved_before < total,
        "killed after the first chunk and before the end: {saved_before}"
    );

    let (code, stdout, stderr) = run(&mut import(&["--resume", "--json"]));
    assert_eq!(code, 4, "the repeated mobile is refused: {stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let data = &summary["data"];
    assert_eq!(data["refused"], 1, "{summary}");
    assert_eq!(data["failed"], 0, "{summary}");
    let skipped = data["skipped"].as_u64().unwrap();
    assert!(skipped > 0 && skipped <= saved_before, "{summary}");
    let rejects = std::fs::read_to_string(dir.join("stream.rejects.jsonl")).unwrap();
    assert!(
        rejects.contains(&format!("same mobile as line {}", 9 + 2)),
        "{rejects}"
    );

    let stats = sandbox.control("stats");
    let per_mobile = stats["saves_by_mobile"].as_object().unwrap();
    assert_eq!(per_mobile.len() as u64, total, "nobody skipped");
    let twice: Vec<_> = per_mobile.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "saved more than once: {twice:?}");
    let members = sandbox.control("members");
    let repeated = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mobile"].as_str() == Some(mobile(9).to_string().as_str()))
        .unwrap();
    assert_eq!(repeated["name"], "流9", "the first row is the one saved");
}
