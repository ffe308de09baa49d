use crate::clock::china_datetime;
use crate::test_client::*;
use crate::{
    Behaviour, DuplicateMobile, LabelReading, NotFound, Sandbox, SandboxOptions, ERR_DUPLICATE,
    ERR_NOT_FOUND,
};
use jdy_member::api;
use serde_json::{json, Value};

fn sandbox_with(behaviour: Behaviour) -> Sandbox {
    Sandbox::start(SandboxOptions {
        behaviour,
        ..options()
    })
    .unwrap()
}

#[test]
fn save_answer_detail_and_list_have_the_documented_shapes() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);

    let saved = save_member(&mut c, &token, &member_a());
    assert_eq!((saved.status, saved.errcode()), (200, 0));
    let data = saved.json["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort();
    let mut expected = api::SAVE_ANSWER_FIELDS.to_vec();
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(data["id"], "1534104111400644608");
    assert_eq!(data["custom_no"], "1");
    assert_eq!(data["enable"], "1");
    assert_ne!(
        data["mobile"], "13333333333",
        "the mobile comes back encrypted"
    );
    assert_eq!(plain(&data["mobile"]), "13333333333");
    assert_eq!(data["name"], "会员A");
    assert!(saved.raw.windows(7).any(|w| w == "会员A".as_bytes()));
    let time = data["db_modify_time"].as_str().unwrap();
    assert_eq!(&time[..13], &china_datetime(now_ms())[..13]);

    let by_id = c.send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("id", "1534104111400644608")],
        &token,
    ));
    let member = by_id.json["data"].as_object().unwrap();
    let mut keys: Vec<&str> = member.keys().map(String::as_str).collect();
    keys.sort();
    let mut expected = api::DETAIL_FIELDS.to_vec();
    expected.sort();
    assert_eq!(keys, expected, "detail answers only its eight fields");
    assert_eq!(member["name"], "会员A");
    assert_eq!(plain(&member["mobile"]), "13333333333");
    assert_eq!(member["card_no"], "1");
    assert_eq!(member["level_name"], "普通会员");
    let by_mobile = c.send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("mobile", "13333333333")],
        &token,
    ));
    assert_eq!(by_mobile.json["data"]["id"], member["id"]);

    let listed = c.send(&Req::business(
        "GET",
        api::MEMBER,
        &[("name", "会员")],
        &token,
    ));
    let page = &listed.json["data"];
    assert_eq!(
        (page["count"].as_u64(), page["page"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(page["page_size"], 10);
    let row = &page["rows"][0];
    assert_eq!(row["shop_id"], "850693217107061760");
    assert_eq!(row["shop_number"], "MD001");
    assert_eq!(row["shop_name"], "南京西路店");
    assert_eq!(row["level_id"], "1");
    assert_eq!(row["level_name"], "普通会员");
    assert_eq!(row["customer_id"], "001");
    assert_eq!(row["mb_card_id"], "1");
    assert_eq!(row["referreremp_id"], "1");
    assert_eq!(row["birthday"], "2022-08-01");
    assert_eq!(row["remark"], "备注");
    assert_eq!(plain(&row["address"]), "410");
    assert_eq!(plain(&row["detail_address"]), "XXX");
    assert!(
        row.get("shop").is_none() && row.get("label").is_none(),
        "{row}"
    );

    // The store's own view is plaintext under the save's names.
    assert_eq!(
        sb.member_by_mobile("13333333333").unwrap()["shop"],
        "850693217107061760"
    );
    assert!(sb.member_by_mobile("10000000000").is_none());
}

#[test]
fn encryption_can_be_switched_off() {
    let sb = sandbox_with(Behaviour {
        encryption: false,
        ..Behaviour::unlimited()
    });
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let saved = save_member(&mut c, &token, &member_a());
    assert_eq!(saved.json["data"]["mobile"], "13333333333");
    let row =
        c.send(&Req::business("GET", api::MEMBER, &[], &token)).json["data"]["rows"][0].clone();
    assert_eq!(row["mobile"], "13333333333");
    assert_eq!(row["address"], "410");
}

#[test]
fn a_duplicate_mobile_is_refused_by_default() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    let again = save_member(
        &mut c,
        &token,
        &json!({"mobile": "13333333333", "name": "会员A改"}),
    );
    assert_eq!((again.status, again.errcode()), (200, ERR_DUPLICATE as u64));
    assert!(again.json["description"]
        .as_str()
        .unwrap()
        .contains("组合值与其他表单重复"));
    assert_eq!(sb.member_by_mobile("13333333333").unwrap()["name"], "会员A");
    assert_eq!(sb.stats().saves_by_mobile["13333333333"], 1);
}

#[test]
fn a_duplicate_mobile_updates_when_switched() {
    let sb = sandbox_with(Behaviour {
        duplicate_mobile: DuplicateMobile::Update,
        ..Behaviour::unlimited()
    });
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let first = save_member(&mut c, &token, &member_a());
    let second = save_member(
        &mut c,
        &token,
        &json!({"mobile": "13333333333", "name": "会员A改", "enable": "0"}),
    );
    assert_eq!(second.errcode(), 0);
    assert_eq!(second.json["data"]["id"], first.json["data"]["id"]);
    assert_eq!(second.json["data"]["name"], "会员A改");
    assert_eq!(second.json["data"]["enable"], "0");
    assert_eq!(
        second.json["data"]["custom_no"], "1",
        "absent fields keep their value"
    );
    assert_eq!(
        sb.member_by_mobile("13333333333").unwrap()["remark"],
        "备注"
    );
    assert_eq!(sb.members().len(), 1);
    let bare = save_member(&mut c, &token, &json!({"mobile": "1", "name": "n"}));
    assert_eq!(bare.json["data"]["id"], "1534104111400644609");
    assert_eq!(bare.json["data"]["custom_no"], "");
    assert_eq!(sb.stats().saves_by_mobile["13333333333"], 2);
}

#[test]
fn save_field_rules() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let cases = [
        (json!({"name": "n"}), "mobile"),
        (json!({"mobile": "", "name": "n"}), "mobile"),
        (json!({"mobile": "  ", "name": "n"}), "mobile"),
        (json!({"mobile": 13333333333u64, "name": "n"}), "mobile"),
        (json!({"mobile": "1"}), "name"),
        (json!({"mobile": "1", "name": null}), "name"),
        (json!({"mobile": "1", "name": "n", "enable": 1}), "enable"),
        (
            json!({"mobile": "1", "name": "n", "remark": null}),
            "remark",
        ),
        (json!({"mobile": "1", "name": "n", "label": "vip"}), "label"),
        (json!({"mobile": "1", "name": "n", "label": [1]}), "label"),
        (json!(["mobile", "name"]), "JSON"),
    ];
    for (body, field) in cases {
        let reply = save_member(&mut c, &token, &body);
        assert_eq!(
            (reply.status, reply.errcode()),
            (200, 2_000_002_000),
            "{body}"
        );
        assert_eq!(reply.json["data"], Value::Null);
        let description = reply.json["description"].as_str().unwrap();
        assert!(description.contains(field), "{body}: {description}");
    }
    let mut not_json = Req::business("POST", api::MEMBER, &[], &token);
    not_json.body = b"{mobile: 1".to_vec();
    assert_eq!(c.send(&not_json).errcode(), 2_000_002_000);
    assert!(sb.members().is_empty());
    assert_eq!(sb.stats().rejections["2000002000"], 12);

    // Labels as strings or null are fine; unknown fields are ignored and not stored.
    let ok = json!({"mobile": "1", "name": "n", "label": ["vip", "老客"], "color": 7, "id": "9"});
    assert_eq!(save_member(&mut c, &token, &ok).errcode(), 0);
    let stored = sb.member_by_mobile("1").unwrap();
    assert_eq!(stored["label"], json!(["vip", "老客"]));
    assert!(stored.get("color").is_none());
    assert_eq!(stored["id"], "1534104111400644608");
}

#[test]
fn labels_are_stored_as_given_by_default() {
    let sb = sandbox();
    assert_eq!(sb.behaviour().labels, LabelReading::Names);
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let member =
        json!({"mobile": "1", "name": "n", "label": ["VIP", "老客户", "2", "从未建过的标签"]});
    assert_eq!(save_member(&mut c, &token, &member).errcode(), 0);
    assert_eq!(
        sb.member_by_mobile("1").unwrap()["label"],
        json!(["VIP", "老客户", "2", "从未建过的标签"])
    );
}

#[test]
fn labels_must_be_label_ids_when_switched() {
    let sb = sandbox_with(Behaviour {
        labels: LabelReading::Ids,
        ..Behaviour::unlimited()
    });
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let ids = json!({"mobile": "1", "name": "n", "label": ["1", "2"]});
    assert_eq!(save_member(&mut c, &token, &ids).errcode(), 0);
    assert_eq!(
        sb.member_by_mobile("1").unwrap()["label"],
        json!(["1", "2"])
    );
    for (labels, named) in [
        (json!(["VIP"]), "VIP"),
        (json!(["1", "老客户"]), "老客户"),
        (json!(["9"]), "9"),
        (json!(["BQ001"]), "BQ001"),
    ] {
        let reply = save_member(
            &mut c,
            &token,
            &json!({"mobile": "2", "name": "n", "label": labels}),
        );
        assert_eq!(
            (reply.status, reply.errcode()),
            (200, 2_000_002_000),
            "{labels}"
        );
        assert_eq!(
            reply.json["description"],
            format!("标签不存在: {named}"),
            "{labels}"
        );
    }
    assert!(sb.member_by_mobile("2").is_none(), "nothing stored");
    // No labels, or none at all, is fine under either reading.
    for member in [
        json!({"mobile": "3", "name": "n", "label": []}),
        json!({"mobile": "4", "name": "n", "label": null}),
        json!({"mobile": "5", "name": "n"}),
    ] {
        assert_eq!(
            save_member(&mut c, &token, &member).errcode(),
            0,
            "{member}"
        );
    }
    // Switched back over HTTP, names are stored again.
    let set = control_post(&mut c, "behaviour", r#"{"labels": "names"}"#);
    assert_eq!(set.json["behaviour"]["labels"], "names");
    let named = json!({"mobile": "2", "name": "n", "label": ["VIP"]});
    assert_eq!(save_member(&mut c, &token, &named).errcode(), 0);
    assert_eq!(sb.member_by_mobile("2").unwrap()["label"], json!(["VIP"]));
}

#[test]
fn detail_says_not_found_in_the_switched_form() {
    for (form, expect) in [
        (NotFound::Null, json!({"errcode": 0, "data": null})),
        (NotFound::Empty, json!({"errcode": 0, "data": {}})),
        (
            NotFound::Errcode,
            json!({"errcode": ERR_NOT_FOUND, "data": null}),
        ),
    ] {
        let sb = sandbox_with(Behaviour {
            detail_not_found: form,
            ..Behaviour::unlimited()
        });
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        for params in [[("id", "42")], [("mobile", "13900000000")]] {
            let reply = c.send(&Req::business("GET", api::MEMBER_DETAIL, &params, &token));
            assert_eq!(reply.status, 200);
            assert_eq!(reply.json["errcode"], expect["errcode"], "{form:?}");
            assert_eq!(reply.json["data"], expect["data"], "{form:?}");
        }
        let neither = c.send(&Req::business("GET", api::MEMBER_DETAIL, &[], &token));
        assert_eq!(neither.errcode(), 2_000_002_000);
        let empty = c.send(&Req::business(
            "GET",
            api::MEMBER_DETAIL,
            &[("id", "")],
            &token,
        ));
        assert_eq!(empty.errcode(), 2_000_002_000);
    }
}

#[test]
fn list_pages_filters_and_caps_page_size() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    for i in 0..105u32 {
        let member = json!({
            "mobile": format!("1380000{i:04}"),
            "name": if i % 2 == 0 { format!("偶数{i}") } else { format!("odd{i}") },
            "custom_no": format!("C{i}"),
            "enable": if i < 100 { "1" } else { "0" },
        });
        assert_eq!(save_member(&mut c, &token, &member).errcode(), 0);
    }
    let list = |c: &mut Conn, params: &[(&str, &str)]| {
        c.send(&Req::business("GET", api::MEMBER, params, &token))
    };

    let capped = list(&mut c, &[("page_size", "500")]);
    let data = &capped.json["data"];
    assert_eq!(data["count"], 105);
    assert_eq!(data["page_size"], 100);
    assert_eq!(data["total_page"], 2);
    assert_eq!(data["rows"].as_array().unwrap().len(), 100);
    assert_eq!(data["rows"][0]["id"], "1534104111400644608");
    let second = list(&mut c, &[("page_size", "500"), ("page", "2")]);
    assert_eq!(second.json["data"]["rows"].as_array().unwrap().len(), 5);
    let default = list(&mut c, &[]);
    assert_eq!(default.json["data"]["rows"].as_array().unwrap().len(), 10);
    assert_eq!(default.json["data"]["total_page"], 11);
    assert!(list(&mut c, &[("page", "99")]).json["data"]["rows"]
        .as_array()
        .unwrap()
        .is_empty());

    assert_eq!(
        list(&mut c, &[("name", "偶数"), ("page_size", "100")]).json["data"]["count"],
        53
    );
    let by_number = list(&mut c, &[("number", "C7")]);
    assert_eq!(by_number.json["data"]["count"], 1);
    assert_eq!(by_number.json["data"]["rows"][0]["name"], "odd7");
    let by_id = list(&mut c, &[("id", "1534104111400644610")]);
    assert_eq!(by_id.json["data"]["rows"][0]["name"], "偶数2");
    assert_eq!(list(&mut c, &[("enable", "0")]).json["data"]["count"], 5);
    let today = &china_datetime(now_ms())[..10];
    assert_eq!(
        list(
            &mut c,
            &[("start_modified", today), ("end_modified", today)]
        )
        .json["data"]["count"],
        105
    );
    let future = (now_ms() + 60_000).to_string();
    assert_eq!(
        list(&mut c, &[("start_modified", &future)]).json["data"]["count"],
        0
    );
    for bad in ["0", "-1", "x"] {
        assert_eq!(
            list(&mut c, &[("page", bad)]).errcode(),
            2_000_002_000,
            "page={bad}"
        );
        assert_eq!(
            list(&mut c, &[("page_size", bad)]).errcode(),
            2_000_002_000,
            "page_size={bad}"
        );
    }
}
