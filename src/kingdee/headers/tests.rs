use super::*;

fn field_of(header: &str) -> Option<&'static str> {
    meaning(header).field().map(|f| f.name)
}

#[test]
fn the_aliases_follow_the_field_table() {
    let names: Vec<&str> = ALIASES.iter().map(|(name, _)| *name).collect();
    let fields: Vec<&str> = MEMBER_FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(names, fields, "one entry a field, in the seed's order");
}

#[test]
fn every_header_is_written_normalised_and_in_one_place_only() {
    let mut all: Vec<&str> = MEMBER_FIELDS
        .iter()
        .flat_map(|f| [f.name, f.label])
        .collect();
    all.extend(
        ALIASES
            .iter()
            .flat_map(|(_, aliases)| aliases.iter().copied()),
    );
    all.extend(GUESSES.iter().map(|g| g.header));
    all.extend(NOT_MEMBER_FIELDS.iter().copied());
    for (i, header) in all.iter().enumerate() {
        assert_eq!(normalise(header), *header, "written as normalise leaves it");
        assert!(!all[..i].contains(header), "{header} is in two places");
    }
    for guess in &GUESSES {
        assert!(field_by_name(guess.field).is_some(), "{}", guess.field);
    }
}

#[test]
fn the_headers_real_exports_use() {
    for (header, field) in [
        ("手机", "mobile"),
        ("手机号码", "mobile"),
        ("移动电话", "mobile"),
        ("手机号", "mobile"),
        ("*手机号", "mobile"),
        ("姓名", "name"),
        ("会员姓名", "name"),
        ("姓名（必填）", "name"),
        ("生日", "birthday"),
        ("出生日期", "birthday"),
        ("公历生日", "birthday"),
        ("会员生日", "birthday"),
        ("性别", "sex_group"),
        ("会员性别", "sex_group"),
        ("卡类型", "level"),
        ("会员卡类型", "level"),
        ("会员等级", "level"),
        ("会员级别ID", "level"),
        ("卡号", "custom_no"),
        ("会员卡号", "custom_no"),
        ("会员编号", "custom_no"),
        ("地址", "detail_address"),
        ("通信地址", "detail_address"),
        ("联系地址", "detail_address"),
        ("开卡门店", "shop"),
        ("所属门店", "shop"),
        ("门店", "shop"),
        ("备注", "remark"),
        (" Sex_Group ", "sex_group"),
    ] {
        assert_eq!(field_of(header), Some(field), "{header}");
    }
    assert!(matches!(meaning("mobile"), Meaning::Name(f) if f.name == "mobile"));
    assert!(matches!(meaning("姓名"), Meaning::Label(f) if f.name == "name"));
    assert!(matches!(meaning("移动电话"), Meaning::Alias(f) if f.name == "mobile"));
}

#[test]
fn guesses_are_no_field_for_certain() {
    for header in ["电话", "电话（必填）", "联系电话", "名称", "Phone"] {
        assert!(
            matches!(meaning(header), Meaning::Guess(_)),
            "{header}: {:?}",
            meaning(header)
        );
        assert_eq!(field_of(header), None, "{header}");
    }
    let Meaning::Guess(guess) = meaning("电话") else {
        unreachable!()
    };
    assert_eq!((guess.field, guess.confirm), ("mobile", Confirm::Mobiles));
    let Meaning::Guess(guess) = meaning("名称") else {
        unreachable!()
    };
    assert_eq!((guess.field, guess.confirm), ("name", Confirm::Never));
}

#[test]
fn columns_of_no_field_and_typos() {
    for header in [
        "积分",
        "卡内余额",
        "记次次数",
        "总消费金额",
        "总优惠额",
        "发卡日期",
        "作废日期",
        "单位",
        "证件类型",
        "证件号码",
        "邮箱",
        "电邮地址",
        "国家",
        "推荐人",
        "余额",
        "ID",
        "农历生日",
        "微信昵称",
        "",
        "（必填）",
    ] {
        assert_eq!(meaning(header), Meaning::NotAField, "{header}");
    }
    let typo = |header: &str| match meaning(header) {
        Meaning::Typo { field, meant } => Some((field.name, meant)),
        _ => None,
    };
    assert_eq!(typo("手机号吗").map(|t| t.0), Some("mobile"));
    assert_eq!(typo("moblie"), Some(("mobile", "mobile")));
    assert_eq!(typo("referrer_mp"), Some(("referrere_mp", "referrere_mp")));
    assert_eq!(typo("会员姓命"), Some(("name", "会员姓名")));
}

#[test]
fn fields_are_named_by_api_name_or_label() {
    assert_eq!(field_named("mobile").map(|f| f.name), Some("mobile"));
    assert_eq!(field_named(" Mobile ").map(|f| f.name), Some("mobile"));
    assert_eq!(field_named("手机号").map(|f| f.name), Some("mobile"));
    assert_eq!(field_named("开卡门店").map(|f| f.name), Some("shop"));
    assert_eq!(
        field_named("手机"),
        None,
        "an alias names a column, not a field"
    );
    assert_eq!(aliases("birthday")[0], "出生日期");
    assert!(aliases("nothing").is_empty());
}
