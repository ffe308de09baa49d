//! The decoding of text files, through the readers as the commands use them.

use super::super::held::read_bytes;
use super::super::{FileRecord, Format};
use super::*;
use jdy_member::ErrorKind;
use serde_json::{json, Value};

fn member(record: &FileRecord) -> Value {
    Value::Object(record.member.clone().unwrap())
}

#[test]
fn utf8_bom_is_stripped() {
    let mut bytes = UTF8_BOM.to_vec();
    bytes.extend_from_slice("手机号,姓名\n13800138000,张三\n".as_bytes());
    for encoding in [TextEncoding::Auto, TextEncoding::Utf8] {
        let records = read_bytes(&bytes, Format::Csv, encoding).unwrap();
        assert_eq!(records.encoding, "utf-8 (BOM)");
        assert_eq!(
            member(&records.records[0]),
            json!({"mobile": "13800138000", "name": "张三"})
        );
    }
    let plain = read_bytes(b"mobile,name\n", Format::Csv, TextEncoding::Auto).unwrap();
    assert_eq!(plain.encoding, "utf-8");
}

#[test]
fn gbk_bytes_keep_their_names() {
    let text = "手机号,姓名,性别\n13800138000,欧阳娜娜,女\n13900139000,张伟,男\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    for encoding in [TextEncoding::Auto, TextEncoding::Gb18030] {
        let records = read_bytes(&bytes, Format::Csv, encoding).unwrap();
        assert_eq!(records.encoding, "gb18030");
        assert_eq!(records.records.len(), 2);
        assert_eq!(
            member(&records.records[0]),
            json!({"mobile": "13800138000", "name": "欧阳娜娜", "sex_group": "2"})
        );
        assert_eq!(records.records[1].source["姓名"], json!("张伟"));
    }
    // A UTF-8 BOM in front of GB18030 text is dropped when the caller says GBK.
    let mut with_bom = UTF8_BOM.to_vec();
    with_bom.extend_from_slice(&bytes);
    let records = read_bytes(&with_bom, Format::Csv, TextEncoding::Gb18030).unwrap();
    assert_eq!(
        records.records[0].member.as_ref().unwrap()["name"],
        "欧阳娜娜"
    );
}

#[test]
fn explicit_utf8_refuses_gbk_with_the_offset() {
    let (bytes, _, _) = encoding_rs::GB18030.encode("mobile,name\n13800138000,张三\n");
    let e = read_bytes(&bytes, Format::Csv, TextEncoding::Utf8).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
    assert!(e.message.contains("offset 24"), "{}", e.message);
    assert!(e.message.contains("--encoding"), "{}", e.message);
}

#[test]
fn undecodable_bytes_are_refused() {
    // 0x80 alone and 0xFF are malformed in both UTF-8 and GB18030.
    let bytes = b"mobile,name\n13800138000,\xFF\xFF\n";
    let e = read_bytes(bytes, Format::Csv, TextEncoding::Auto).unwrap_err();
    assert_eq!(
        e.message,
        "the file is neither UTF-8 nor GBK/GB18030; save it as UTF-8 or pass --encoding"
    );
    let e = read_bytes(bytes, Format::Csv, TextEncoding::Gb18030).unwrap_err();
    assert!(e.message.contains("offset 24"), "{}", e.message);
    let e = read_bytes(b"m\0o\0", Format::Csv, TextEncoding::Auto).unwrap_err();
    assert!(e.message.contains("UTF-16"), "{}", e.message);
}

#[test]
fn utf16_with_bom() {
    let text = "手机号\t姓名\n13800138000\t张三\n";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        le.extend_from_slice(&unit.to_le_bytes());
        be.extend_from_slice(&unit.to_be_bytes());
    }
    for (bytes, name) in [(le, "utf-16le"), (be, "utf-16be")] {
        let records = read_bytes(&bytes, Format::Csv, TextEncoding::Auto).unwrap();
        assert_eq!(records.encoding, name);
        assert_eq!(
            member(&records.records[0]),
            json!({"mobile": "13800138000", "name": "张三"})
        );
    }
}

#[test]
fn text_encoding_from_str() {
    for (name, encoding) in [
        ("auto", TextEncoding::Auto),
        ("AUTO", TextEncoding::Auto),
        ("utf-8", TextEncoding::Utf8),
        ("UTF8", TextEncoding::Utf8),
        ("gbk", TextEncoding::Gb18030),
        ("GB18030", TextEncoding::Gb18030),
        ("gb2312", TextEncoding::Gb18030),
    ] {
        assert_eq!(name.parse::<TextEncoding>(), Ok(encoding));
    }
    let e = "latin1".parse::<TextEncoding>().unwrap_err();
    for accepted in ["auto", "utf-8", "utf8", "gbk", "gb18030", "gb2312"] {
        assert!(e.contains(accepted), "{e}");
    }
}

/// A CSV of `rows` members whose names are `name`, after a long ASCII start, so that the
/// first non-ASCII byte comes long after the prefix the guess looks at and characters
/// straddle the decoder's chunks.
fn long_csv(rows: usize, name: &str) -> String {
    let mut text = String::from("mobile,name,remark\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},member{i},{}\n",
            13_800_000_000u64 + i as u64,
            "x".repeat(40)
        ));
    }
    for i in 0..rows {
        text.push_str(&format!("{},{name}{i},\n", 13_900_000_000u64 + i as u64));
    }
    text
}

#[test]
fn characters_across_chunks_and_a_late_gbk_byte_decode_as_a_whole_file_would() {
    // About 130 KB of ASCII, then two-, three- and four-byte characters across the chunks.
    let text = long_csv(2_000, "欧阳𠀀é");
    assert!(text.len() > 2 * super::PREFIX_BYTES);
    let records = read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto).unwrap();
    assert_eq!(records.encoding, "utf-8");
    assert_eq!(records.records.len(), 4_000);
    assert_eq!(records.records[3_999].source["name"], "欧阳𠀀é1999");

    // The same in GBK: the guess of UTF-8 is overturned at the first Chinese name, long
    // after the prefix, and the file is read again from the start as GB18030.
    let text = long_csv(2_000, "欧阳娜娜");
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    let records = read_bytes(&gbk, Format::Csv, TextEncoding::Auto).unwrap();
    assert_eq!(records.encoding, "gb18030");
    assert_eq!(records.records.len(), 4_000);
    assert_eq!(records.records[2_000].source["name"], "欧阳娜娜0");
    assert_eq!(records.records[2_000].number, 2_002);
}

#[test]
fn bad_bytes_after_the_prefix_are_refused_with_their_offset() {
    let mut bytes = long_csv(2_000, "a").into_bytes();
    let at = bytes.len() - 10;
    bytes[at] = 0xFF;
    let e = read_bytes(&bytes, Format::Csv, TextEncoding::Utf8).unwrap_err();
    assert!(e.message.contains(&format!("offset {at}")), "{}", e.message);
    let e = read_bytes(&bytes, Format::Csv, TextEncoding::Gb18030).unwrap_err();
    assert!(e.message.contains(&format!("offset {at}")), "{}", e.message);
    let e = read_bytes(&bytes, Format::Csv, TextEncoding::Auto).unwrap_err();
    assert!(e.message.contains("neither UTF-8 nor GBK"), "{}", e.message);
    // Behind a UTF-8 byte-order mark, the offset counts the mark.
    let mut with_bom = UTF8_BOM.to_vec();
    with_bom.extend_from_slice(&bytes);
    let e = read_bytes(&with_bom, Format::Csv, TextEncoding::Auto).unwrap_err();
    assert!(
        e.message.contains("byte-order mark") && e.message.contains(&format!("offset {}", at + 3)),
        "{}",
        e.message
    );
    // A character cut off by the end of the file.
    let mut cut = "mobile,name\n13800138000,张".as_bytes().to_vec();
    cut.pop();
    let e = read_bytes(&cut, Format::Csv, TextEncoding::Utf8).unwrap_err();
    assert!(e.message.contains("offset 24"), "{}", e.message);
    // A NUL byte long after the prefix, and one after a byte that decodes as neither.
    let mut nul = long_csv(2_000, "a").into_bytes();
    let at = nul.len() - 10;
    nul[at] = 0;
    let e = read_bytes(&nul, Format::Csv, TextEncoding::Auto).unwrap_err();
    assert!(e.message.contains("NUL"), "{}", e.message);
    nul[at - 50_000] = 0xFF;
    let e = read_bytes(&nul, Format::Csv, TextEncoding::Auto).unwrap_err();
    assert!(e.message.contains("NUL"), "{}", e.message);
}
