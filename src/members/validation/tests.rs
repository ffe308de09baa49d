use super::*;
use crate::error::ErrorKind;
use crate::members::queries::{detail_query, list_query};
use serde_json::json;

const SEED: &str = r#"{"address":"410","birthday":"2022-08-01","custom_no":"1","customer":"001","detail_address":"XXX","enable":"1","end_date":"2022-01-01","is_delete":"0","join_way":"1","label":null,"level":"1","mbcard_id":"1","mobile":"13333333333","name":"会员A","period":"1","referrere_mp":"1","remark":"备注","sale_shop":"1","sex_group":"1","shop":"850693217107061760","source":"1","start_date":"2022-01-01"}"#;

/// What a table row expects.
enum Expect {
    /// The whole output, as JSON text.
    Ok(&'static str),
    /// Exactly these errors, in order: (field, a piece of the message).
    Err(&'static [(&'static str, &'static str)]),
}
use Expect::{Err as Bad, Ok as Good};

/// A minimal valid member with `extra` merged over it.
fn base(extra: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("mobile".into(), json!("13333333333"));
    m.insert("name".into(), json!("会员A"));
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            m.insert(k, v);
        }
    }
    m
}

const MIN_OUT: &str = r#"{"mobile":"13333333333","name":"会员A"}"#;

fn rows() -> Vec<(&'static str, Map<String, Value>, Expect)> {
    let seed: Map<String, Value> = serde_json::from_str(SEED).unwrap();
    let raw = |v: Value| match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    vec![
        ("seed example", seed, Good(SEED)),
        ("minimal", base(json!({})), Good(MIN_OUT)),
        (
            "+86 prefix",
            base(json!({"mobile": "+8613333333333"})),
            Good(MIN_OUT),
        ),
        (
            "0086 prefix",
            base(json!({"mobile": "0086 13333333333"})),
            Good(MIN_OUT),
        ),
        (
            "spaces and hyphens",
            base(json!({"mobile": " 133-3333 3333 "})),
            Good(MIN_OUT),
        ),
        (
            "+86 with spaces",
            base(json!({"mobile": "+86 133 3333 3333"})),
            Good(MIN_OUT),
        ),
        (
            "integer mobile",
            base(json!({"mobile": 13333333333u64})),
            Good(MIN_OUT),
        ),
        (
            "10-digit mobile",
            base(json!({"mobile": "1333333333"})),
            Bad(&[("mobile", "has 10 digits")]),
        ),
        (
            "12-digit mobile",
            base(json!({"mobile": "133333333333"})),
            Bad(&[("mobile", "has 12 digits")]),
        ),
        (
            "mobile starting with 2",
            base(json!({"mobile": "23333333333"})),
            Bad(&[("mobile", "does not start with 1")]),
        ),
        (
            "mobile with letters",
            base(json!({"mobile": "1333333333a"})),
            Bad(&[("mobile", "other than digits")]),
        ),
        (
            "mobile as bool",
            base(json!({"mobile": true})),
            Bad(&[("mobile", "not a boolean")]),
        ),
        (
            "mobile as float",
            base(json!({"mobile": 13333333333.0})),
            Bad(&[("mobile", "not a whole")]),
        ),
        (
            "missing mobile and name",
            raw(json!({"remark": "x"})),
            Bad(&[("mobile", "is required"), ("name", "is required")]),
        ),
        (
            "null mobile and name",
            raw(json!({"mobile": null, "name": null})),
            Bad(&[("mobile", "is required"), ("name", "is required")]),
        ),
        (
            "whitespace-only name",
            base(json!({"name": "  \u{3000} "})),
            Bad(&[("name", "empty")]),
        ),
        (
            "name trimmed",
            base(json!({"name": "  会员A\t"})),
            Good(MIN_OUT),
        ),
        (
            "name with control char",
            base(json!({"name": "会员\u{7}A"})),
            Bad(&[("name", "control characters")]),
        ),
        (
            "name as integer",
            base(json!({"name": 5})),
            Bad(&[("name", "must be a string")]),
        ),
        (
            "codes as integers",
            base(
                json!({"enable": 0, "is_delete": 1, "join_way": 2, "period": 2, "sex_group": 2, "source": 5}),
            ),
            Good(
                r#"{"mobile":"13333333333","name":"会员A","enable":"0","is_delete":"1","join_way":"2","period":"2","sex_group":"2","source":"5"}"#,
            ),
        ),
        (
            "codes as padded strings",
            base(json!({"enable": " 1 ", "source": "3"})),
            Good(r#"{"mobile":"13333333333","name":"会员A","enable":"1","source":"3"}"#),
        ),
        (
            "codes out of range",
            base(
                json!({"enable": 2, "is_delete": "2", "join_way": 0, "period": "3", "sex_group": 3, "source": "6"}),
            ),
            Bad(&[
                ("enable", "1 (valid) or 0 (invalid)"),
                ("is_delete", "0 (not deleted) or 1 (deleted)"),
                (
                    "join_way",
                    "1 (developed by a clerk) or 2 (member referral)",
                ),
                ("period", "1 (long-term) or 2 (limited period)"),
                ("sex_group", "1 (male) or 2 (female)"),
                (
                    "source",
                    "1 (store), 2 (WeChat), 3 (e-commerce), 4 (micro-mall) or 5 (own mall)",
                ),
            ]),
        ),
        (
            "codes of the wrong type",
            base(json!({"enable": true, "sex_group": 1.0, "source": [1]})),
            Bad(&[
                ("enable", "not a boolean"),
                ("sex_group", "not a whole number"),
                ("source", "not an array"),
            ]),
        ),
        (
            "level string and integer",
            base(json!({"level": 7})),
            Good(r#"{"mobile":"13333333333","name":"会员A","level":"7"}"#),
        ),
        (
            "level as object",
            base(json!({"level": {}})),
            Bad(&[("level", "not an object")]),
        ),
        (
            "date without padding",
            base(json!({"birthday": "2022-8-1"})),
            Bad(&[("birthday", "YYYY-MM-DD")]),
        ),
        (
            "date with slashes",
            base(json!({"birthday": "2022/08/01"})),
            Bad(&[("birthday", "YYYY-MM-DD")]),
        ),
        (
            "date with signed year",
            base(json!({"birthday": "+2022-08-01"})),
            Bad(&[("birthday", "YYYY-MM-DD")]),
        ),
        (
            "date with time",
            base(json!({"start_date": "2022-08-01 00:00:00"})),
            Bad(&[("start_date", "YYYY-MM-DD")]),
        ),
        (
            "date as integer",
            base(json!({"birthday": 20220801})),
            Bad(&[("birthday", "not a number")]),
        ),
        (
            "impossible dates",
            base(
                json!({"birthday": "2023-02-29", "start_date": "2022-13-01", "end_date": "2022-04-31"}),
            ),
            Bad(&[
                ("birthday", "not a real calendar date"),
                ("end_date", "not a real calendar date"),
                ("start_date", "not a real calendar date"),
            ]),
        ),
        (
            "leap day",
            base(json!({"birthday": "2024-02-29"})),
            Good(r#"{"mobile":"13333333333","name":"会员A","birthday":"2024-02-29"}"#),
        ),
        (
            "end before start",
            base(json!({"start_date": "2022-02-01", "end_date": "2022-01-31"})),
            Bad(&[("end_date", "not be before start_date")]),
        ),
        (
            "end equals start",
            base(json!({"start_date": "2022-02-01", "end_date": "2022-02-01"})),
            Good(
                r#"{"mobile":"13333333333","name":"会员A","start_date":"2022-02-01","end_date":"2022-02-01"}"#,
            ),
        ),
        (
            "end only",
            base(json!({"end_date": "2022-01-31"})),
            Good(r#"{"mobile":"13333333333","name":"会员A","end_date":"2022-01-31"}"#),
        ),
        (
            "label null kept",
            base(json!({"label": null})),
            Good(r#"{"mobile":"13333333333","name":"会员A","label":null}"#),
        ),
        (
            "label strings trimmed",
            base(json!({"label": [" vip ", "新客"]})),
            Good(r#"{"mobile":"13333333333","name":"会员A","label":["vip","新客"]}"#),
        ),
        (
            "label empty array",
            base(json!({"label": []})),
            Good(r#"{"mobile":"13333333333","name":"会员A","label":[]}"#),
        ),
        (
            "label as string",
            base(json!({"label": "vip"})),
            Bad(&[("label", "array of strings")]),
        ),
        (
            "label blank string dropped",
            base(json!({"label": " "})),
            Good(MIN_OUT),
        ),
        (
            "label bad items",
            base(json!({"label": ["a", 1, " "]})),
            Bad(&[("label[1]", "not a number"), ("label[2]", "empty")]),
        ),
        (
            "unknown field suggestion",
            base(json!({"referrer_mp": "1"})),
            Bad(&[("referrer_mp", "did you mean `referrere_mp`?")]),
        ),
        (
            "unknown field no suggestion",
            base(json!({"zzzz": 1})),
            Bad(&[("zzzz", "known fields: mobile")]),
        ),
        (
            "five distinct errors",
            raw(
                json!({"mobile": "123", "name": "", "enable": 9, "birthday": "2022-02-30", "moblie": "x"}),
            ),
            Bad(&[
                ("mobile", "has 3 digits"),
                ("name", "empty"),
                ("birthday", "calendar"),
                ("enable", "allowed code"),
                ("moblie", "did you mean `mobile`?"),
            ]),
        ),
        (
            "empty strings dropped",
            base(
                json!({"address": "", "remark": "  ", "shop": null, "enable": "", "birthday": " ", "level": "", "customer": "\t"}),
            ),
            Good(MIN_OUT),
        ),
        (
            "big integer shop exact",
            base(json!({"shop": 850693217107061760u64, "customer": -5})),
            Good(
                r#"{"mobile":"13333333333","name":"会员A","shop":"850693217107061760","customer":"-5"}"#,
            ),
        ),
        (
            "float shop refused",
            base(json!({"shop": 1.5})),
            Bad(&[("shop", "as a string")]),
        ),
        (
            "text trimmed except remark",
            base(json!({"address": " 410 ", "remark": " 备注\n第二行 "})),
            Good(
                r#"{"mobile":"13333333333","name":"会员A","address":"410","remark":" 备注\n第二行 "}"#,
            ),
        ),
        (
            "text as bool",
            base(json!({"custom_no": false})),
            Bad(&[("custom_no", "not a boolean")]),
        ),
    ]
}

#[test]
fn member_table() {
    let rows = rows();
    assert!(rows.len() >= 30);
    for (label, input, expect) in rows {
        let got = validate(&input);
        match expect {
            Good(expected) => {
                let expected: Map<String, Value> = serde_json::from_str(expected).unwrap();
                match got {
                    Ok(out) => assert_eq!(out, expected, "row `{label}`"),
                    Err(e) => panic!("row `{label}`: expected success, got {:?}", e.fields),
                }
            }
            Bad(expected) => {
                let e = match got {
                    Err(e) => e,
                    Ok(out) => panic!("row `{label}`: expected errors, got {out:?}"),
                };
                assert_eq!(e.kind, ErrorKind::Validation, "row `{label}`");
                let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
                let wanted: Vec<&str> = expected.iter().map(|(f, _)| *f).collect();
                assert_eq!(fields, wanted, "row `{label}`: {:?}", e.fields);
                for (f, (_, piece)) in e.fields.iter().zip(expected) {
                    assert!(
                        f.message.contains(piece),
                        "row `{label}`: message for {} is {:?}, wanted it to contain {piece:?}",
                        f.field,
                        f.message
                    );
                }
            }
        }
    }
}

#[test]
fn seed_passes_through_json_entry_point_byte_identical() {
    let out = validate_json(SEED).unwrap();
    assert_eq!(out.len(), 22);
    assert_eq!(out["name"].as_str().unwrap().as_bytes(), "会员A".as_bytes());
    assert_eq!(out["label"], Value::Null);
    let seed: Value = serde_json::from_str(SEED).unwrap();
    assert_eq!(Value::Object(out), seed);
}

#[test]
fn validate_json_refuses_non_objects() {
    assert_eq!(
        validate_json("[]").unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        validate_json("{").unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn mobile_messages_never_echo_the_number() {
    for bad in [
        "1333333333",
        "133333333333",
        "23333333333",
        "1333333333x",
        "+861333333333",
    ] {
        let e = validate(&base(json!({"mobile": bad}))).unwrap_err();
        assert!(!e.message.contains("333333"), "{}", e.message);
        for f in &e.fields {
            assert!(!f.message.contains("333333"), "{}", f.message);
        }
        assert!(!e.to_json().to_string().contains("333333"));
    }
}

#[test]
fn normalise_mobile_cases() {
    assert_eq!(
        normalise_mobile(&json!("0086-133-3333-3333")).unwrap(),
        "13333333333"
    );
    assert_eq!(
        normalise_mobile(&json!(13333333333u64)).unwrap(),
        "13333333333"
    );
    assert!(normalise_mobile(&json!(-13333333333i64)).is_err());
    assert!(normalise_mobile(&json!("")).unwrap_err().contains("empty"));
    assert!(normalise_mobile(&json!("+86"))
        .unwrap_err()
        .contains("empty"));
    assert!(normalise_mobile(&json!("１３３３３３３３３３３")).is_err());
    assert!(normalise_mobile(&json!(null)).is_err());
    // Only one prefix is removed.
    assert!(normalise_mobile(&json!("+86+8613333333333")).is_err());
}

#[test]
fn odd_values_in_any_field_are_normalised_or_named() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e300),
        json!(""),
        json!("\u{0}"),
        json!("9999-99-99"),
        json!("0000-00-00"),
        json!("２０２２-０８-０１"),
        json!("é€€€€€€€€"),
        json!([null, [], {}]),
        json!({"a": 1}),
    ];
    for field in MEMBER_FIELDS
        .iter()
        .map(|f| f.name)
        .chain(["x", "", "标签"])
    {
        for value in &odd {
            let mut m = base(json!({}));
            m.insert(field.to_string(), value.clone());
            let context = format!("{field:?} = {value}");
            match validate(&m) {
                // Accepted: sent as a string (a list or null for labels), or dropped.
                Ok(out) => {
                    let sent = out.get(field);
                    assert!(
                        sent.is_none_or(|v| v.is_string()
                            || (field == "label" && (v.is_array() || v.is_null()))),
                        "{context}: {sent:?}"
                    );
                }
                // Refused: naming this field (or one of its elements).
                Err(e) => {
                    assert_eq!(e.kind, ErrorKind::Validation, "{context}");
                    assert!(
                        e.fields
                            .iter()
                            .any(|f| f.field == field || f.field.starts_with(&format!("{field}["))),
                        "{context}: {e:?}"
                    );
                }
            }
            for query in [detail_query(&m).err(), list_query(&m).err()]
                .into_iter()
                .flatten()
            {
                assert_eq!(query.kind, ErrorKind::Validation, "{context}");
                assert!(!query.fields.is_empty(), "{context}");
            }
        }
    }
}
