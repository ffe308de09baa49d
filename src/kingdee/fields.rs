//! The member fields of "会员保存" (`POST /jdy/v2/ls/member`): the one table that validation,
//! the CSV reader, recovery and the sandbox all read.
//!
//! Each field has its API name (the seed's spelling, `referrere_mp` included), the Chinese
//! label of the seed, its rule, the meaning of each code in English and Chinese, and the name
//! the member list answers it under. The other headers shops' exports give a field are in
//! `headers`.

/// How a field is checked (see `member::validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A mainland mobile number: required.
    Mobile,
    /// The member's name: required.
    Name,
    /// Free text; `trim` is false only for `remark`, whose layout is the caller's.
    Text {
        /// Whether surrounding whitespace is removed.
        trim: bool,
    },
    /// One of the field's [`Code`]s.
    Code,
    /// The id of another record of the account (a store, a member level, a customer).
    Reference(Reference),
    /// A `YYYY-MM-DD` date.
    Date,
    /// A list of labels (names or ids: unknown upstream, see `labels`), or null.
    Label,
}

impl Rule {
    /// Whether a member must give the field: its mobile and its name.
    pub const fn required(self) -> bool {
        matches!(self, Rule::Mobile | Rule::Name)
    }
}

/// What kind of record a reference field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// A store (`GET /jdy/v2/ls/store`).
    Store,
    /// A member level (`GET /jdy/v2/ls/mb_level`).
    Level,
    /// A customer (`GET /jdy/v2/bd/customer`).
    Customer,
}

/// One allowed value of a code field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The value on the wire.
    pub value: &'static str,
    /// What it means, in English (for messages).
    pub english: &'static str,
    /// The words Chinese exports write instead of the code; the first is the seed's.
    pub chinese: &'static [&'static str],
}

/// One member field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberField {
    /// The API name.
    pub name: &'static str,
    /// The seed's Chinese label (CSV header, and the sandbox's error descriptions).
    pub label: &'static str,
    /// How it is checked.
    pub rule: Rule,
    /// The allowed codes of a [`Rule::Code`] field, in the seed's order.
    pub codes: &'static [Code],
    /// The name of this field in the rows of the member list (`GET /jdy/v2/ls/member`), when
    /// the list carries it (notes §6: `shop` comes back as `shop_id`, and so on).
    pub list_name: Option<&'static str>,
}

const fn field(name: &'static str, label: &'static str, rule: Rule) -> MemberField {
    MemberField {
        name,
        label,
        rule,
        codes: &[],
        list_name: None,
    }
}

const TEXT: Rule = Rule::Text { trim: true };

/// The 22 fields, in the seed's order.
pub const MEMBER_FIELDS: [MemberField; 22] = [
    MemberField {
        list_name: Some("mobile"),
        ..field("mobile", "手机号", Rule::Mobile)
    },
    MemberField {
        list_name: Some("name"),
        ..field("name", "姓名", Rule::Name)
    },
    MemberField {
        list_name: Some("address"),
        ..field("address", "行政区域", TEXT)
    },
    MemberField {
        list_name: Some("birthday"),
        ..field("birthday", "生日", Rule::Date)
    },
    field("custom_no", "自定义卡号", TEXT),
    MemberField {
        list_name: Some("customer_id"),
        ..field("customer", "关联客户", Rule::Reference(Reference::Customer))
    },
    MemberField {
        list_name: Some("detail_address"),
        ..field("detail_address", "详细地址", TEXT)
    },
    MemberField {
        codes: &[
            Code {
                value: "1",
                english: "valid",
                chinese: &["有效"],
            },
            Code {
                value: "0",
                english: "invalid",
                chinese: &["失效", "无效"],
            },
        ],
        list_name: Some("enable"),
        ..field("enable", "状态", Rule::Code)
    },
    field("end_date", "有效结束日期", Rule::Date),
    MemberField {
        codes: &[
            Code {
                value: "0",
                english: "not deleted",
                chinese: &["否", "未删除"],
            },
            Code {
                value: "1",
                english: "deleted",
                chinese: &["是", "已删除"],
            },
        ],
        list_name: Some("is_delete"),
        ..field("is_delete", "是否删除", Rule::Code)
    },
    MemberField {
        codes: &[
            Code {
                value: "1",
                english: "developed by a clerk",
                chinese: &["营业员发展"],
            },
            Code {
                value: "2",
                english: "member referral",
                chinese: &["会员推荐"],
            },
        ],
        list_name: Some("join_way"),
        ..field("join_way", "入会方式", Rule::Code)
    },
    field("label", "标签", Rule::Label),
    MemberField {
        list_name: Some("level_id"),
        ..field("level", "会员级别", Rule::Reference(Reference::Level))
    },
    MemberField {
        list_name: Some("mb_card_id"),
        ..field("mbcard_id", "入会推荐人会员卡", TEXT)
    },
    MemberField {
        codes: &[
            Code {
                value: "1",
                english: "long-term",
                chinese: &["长期有效"],
            },
            Code {
                value: "2",
                english: "limited period",
                chinese: &["限期有效"],
            },
        ],
        ..field("period", "有效期管理", Rule::Code)
    },
    MemberField {
        list_name: Some("referreremp_id"),
        ..field("referrere_mp", "入会业务员", TEXT)
    },
    MemberField {
        list_name: Some("remark"),
        ..field("remark", "备注", Rule::Text { trim: false })
    },
    field("sale_shop", "消费门店", Rule::Reference(Reference::Store)),
    MemberField {
        codes: &[
            Code {
                value: "1",
                english: "male",
                chinese: &["男", "男性"],
            },
            Code {
                value: "2",
                english: "female",
                chinese: &["女", "女性"],
            },
        ],
        list_name: Some("sex_group"),
        ..field("sex_group", "性别", Rule::Code)
    },
    MemberField {
        list_name: Some("shop_id"),
        ..field("shop", "开卡门店", Rule::Reference(Reference::Store))
    },
    MemberField {
        codes: &[
            Code {
                value: "1",
                english: "store",
                chinese: &["门店"],
            },
            Code {
                value: "2",
                english: "WeChat",
                chinese: &["微信"],
            },
            Code {
                value: "3",
                english: "e-commerce",
                chinese: &["电商"],
            },
            Code {
                value: "4",
                english: "micro-mall",
                chinese: &["微商城"],
            },
            Code {
                value: "5",
                english: "own mall",
                chinese: &["自建商城"],
            },
        ],
        list_name: Some("source"),
        ..field("source", "会员来源", Rule::Code)
    },
    field("start_date", "有效开始日期", Rule::Date),
];

/// The field named `name` (exact API name).
pub fn member_field(name: &str) -> Option<&'static MemberField> {
    MEMBER_FIELDS.iter().find(|f| f.name == name)
}

/// The API names, in the seed's order (for did-you-mean suggestions).
pub fn member_field_names() -> [&'static str; 22] {
    MEMBER_FIELDS.map(|f| f.name)
}

/// The code a Chinese word stands for in a code column (`男` → `1` for `sex_group`).
pub fn code_for_word(field: &MemberField, word: &str) -> Option<&'static str> {
    field
        .codes
        .iter()
        .find(|c| c.chinese.contains(&word))
        .map(|c| c.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_the_seeds_fields_once_each() {
        let names = member_field_names();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} twice");
        }
        assert!(names.contains(&"referrere_mp"), "the API's own spelling");
        for f in &MEMBER_FIELDS {
            assert_eq!(f.rule == Rule::Code, !f.codes.is_empty(), "{}", f.name);
        }
    }

    #[test]
    fn code_words() {
        let sex = member_field("sex_group").unwrap();
        assert_eq!(code_for_word(sex, "女性"), Some("2"));
        assert_eq!(code_for_word(sex, "未知"), None);
        assert_eq!(member_field("shop").unwrap().list_name, Some("shop_id"));
    }
}
