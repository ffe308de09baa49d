//! The column headers that shops' member exports use, and what each means: the one table
//! that the command line's header row, its `--map` and the import page read.
//!
//! Drawn from member spreadsheets other Chinese systems wrote (POS member templates, member
//! lists exported from Excel, data migrations, SaaS membership templates). A header is
//! compared after [`normalise`] (full-width to half-width, spaces and decorations such as
//! `（必填）`, `*`, `※`, `【】` dropped), and then means one of:
//!
//! - a field for certain: its API name (any case), the seed's Chinese label
//!   ([`MemberField::label`]) or one of [`ALIASES`], headers whose meaning is clear;
//! - a field perhaps ([`GUESSES`]): `电话` may be a landline, `名称` a shop's name; such a
//!   column is taken only when its own values confirm the guess ([`Confirm`]), else it is
//!   offered as a suggestion, never taken silently;
//! - no field of the member API ([`NOT_MEMBER_FIELDS`]: 积分, 余额, ...), listed so that none
//!   of them is taken for a typo of a field (农历生日 looks like 公历生日 to a string metric);
//! - a typo of a known header (手机号吗), with the header it is closest to.

use super::fields::{MemberField, MEMBER_FIELDS};
use crate::input::nearest;

pub use super::header_text::normalise;

/// The headers, besides the API name and the seed's label, that name each field without
/// doubt, in the seed's order of fields; every one written as [`normalise`] leaves it.
pub const ALIASES: [(&str, &[&str]); 22] = [
    (
        "mobile",
        &[
            "手机",
            "手机号码",
            "移动电话",
            "会员手机",
            "会员手机号",
            "会员手机号码",
            "联系手机",
            "cellphone",
            "mobilephone",
            "mobileno",
        ],
    ),
    (
        "name",
        &[
            "会员姓名",
            "会员名称",
            "会员名",
            "顾客姓名",
            "客户姓名",
            "真实姓名",
            "名字",
            "fullname",
            "membername",
        ],
    ),
    ("address", &["所在地区", "所在区域", "省市区", "地区"]),
    (
        "birthday",
        &[
            "出生日期",
            "公历生日",
            "会员生日",
            "阳历生日",
            "出生年月日",
            "出生年月",
            "生日日期",
            "birthdate",
            "dateofbirth",
        ],
    ),
    (
        "custom_no",
        &[
            "卡号",
            "会员卡号",
            "会员编号",
            "会员卡编号",
            "会员号",
            "卡编号",
            "实体卡号",
            "原卡号",
            "旧卡号",
            "cardno",
            "cardnumber",
        ],
    ),
    // 客户编码 may be the member's own number in the old system: no alias.
    ("customer", &[]),
    (
        "detail_address",
        &[
            "地址",
            "通信地址",
            "通讯地址",
            "联系地址",
            "家庭地址",
            "家庭住址",
            "住址",
            "会员地址",
        ],
    ),
    ("enable", &["会员状态", "卡状态", "是否有效"]),
    (
        "end_date",
        &[
            "到期日期",
            "到期日",
            "有效期至",
            "有效期截止",
            "失效日期",
            "卡到期日期",
        ],
    ),
    ("is_delete", &["删除状态", "已删除"]),
    ("join_way", &["加入方式", "入会途径"]),
    ("label", &["会员标签", "客户标签"]),
    (
        "level",
        &[
            "会员等级",
            "会员级别id",
            "卡类型",
            "会员卡类型",
            "卡类别",
            "会员类型",
            "等级",
            "级别",
            "卡级别",
            "卡等级",
            "会员卡等级",
            "会员卡级别",
        ],
    ),
    (
        "mbcard_id",
        &["推荐人卡号", "推荐人会员卡号", "推荐人会员卡"],
    ),
    ("period", &["有效期类型", "有效期方式"]),
    (
        "referrere_mp",
        &[
            "业务员",
            "推荐业务员",
            "开卡业务员",
            "开卡员工",
            "发展员工",
            "导购",
            "导购员",
        ],
    ),
    ("remark", &["备注信息", "会员备注"]),
    ("sale_shop", &["消费店铺"]),
    ("sex_group", &["会员性别", "gender", "sex"]),
    (
        "shop",
        &[
            "所属门店",
            "门店",
            "门店名称",
            "开卡店铺",
            "所属店铺",
            "归属门店",
            "注册门店",
            "发卡门店",
            "店铺",
        ],
    ),
    ("source", &["来源", "注册来源", "来源渠道", "会员渠道"]),
    ("start_date", &["生效日期", "有效期开始日期", "有效期起"]),
];

/// What confirms a guessed header from the column's own values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// At least [`CONFIRMING_SHARE_PERCENT`] % of the column's non-empty cells are mainland
    /// mobile numbers (the member rule, `member::normalise_mobile`).
    Mobiles,
    /// Nothing in the values can tell (a person's name from a shop's): only a suggestion.
    Never,
}

/// The share of a column's non-empty cells that must confirm a guess, in percent.
pub const CONFIRMING_SHARE_PERCENT: usize = 95;

/// A header that may name a field, and may name something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    /// As [`normalise`] leaves it.
    pub header: &'static str,
    /// The field it may name.
    pub field: &'static str,
    /// What confirms it.
    pub confirm: Confirm,
}

const fn mobile_guess(header: &'static str) -> Guess {
    Guess {
        header,
        field: "mobile",
        confirm: Confirm::Mobiles,
    }
}

const fn name_guess(header: &'static str) -> Guess {
    Guess {
        header,
        field: "name",
        confirm: Confirm::Never,
    }
}

/// Headers that may name a field: a phone column may hold landlines, a name column a
/// shop's or a company's names.
pub const GUESSES: [Guess; 13] = [
    mobile_guess("电话"),
    mobile_guess("联系电话"),
    mobile_guess("电话号码"),
    mobile_guess("联系方式"),
    mobile_guess("联系号码"),
    mobile_guess("手机/电话"),
    mobile_guess("电话/手机"),
    mobile_guess("phone"),
    mobile_guess("tel"),
    mobile_guess("telephone"),
    name_guess("名称"),
    name_guess("客户名称"),
    name_guess("联系人"),
];

/// Headers of shop and POS exports that name no field of the member API.
pub const NOT_MEMBER_FIELDS: &[&str] = &[
    // Points, balances, counts and sums: the POS's own accounts.
    "积分",
    "可用积分",
    "累计积分",
    "当前积分",
    "剩余积分",
    "会员积分",
    "余额",
    "卡内余额",
    "储值余额",
    "会员余额",
    "账户余额",
    "卡余额",
    "会员卡余额",
    "储值金额",
    "充值金额",
    "累计充值",
    "赠送余额",
    "记次次数",
    "剩余次数",
    "总消费金额",
    "累计消费",
    "累计消费金额",
    "消费金额",
    "消费次数",
    "累计消费次数",
    "总优惠额",
    "折扣",
    "会员折扣",
    // Dates of the POS's own events.
    "最后消费时间",
    "最近消费时间",
    "最后消费日期",
    "最近消费日期",
    "上次消费时间",
    "发卡日期",
    "开卡日期",
    "开卡时间",
    "注册日期",
    "注册时间",
    "入会日期",
    "入会时间",
    "创建时间",
    "作废日期",
    // About the person, with no field in the API.
    "农历生日",
    "年龄",
    "职业",
    "单位",
    "工作单位",
    "公司",
    "证件类型",
    "证件号码",
    "身份证",
    "身份证号",
    "身份证号码",
    "邮箱",
    "电子邮箱",
    "电邮地址",
    "email",
    "e-mail",
    "邮编",
    "邮政编码",
    "国家",
    "省份",
    "城市",
    "推荐人",
    "微信",
    "微信号",
    "微信昵称",
    "qq",
    "qq号",
    // Row numbers, the POS's own ids, who exported.
    "id",
    "会员id",
    "序号",
    "操作员",
    "密码",
    "卡密码",
];

/// What a header means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The field's API name, in any case.
    Name(&'static MemberField),
    /// The seed's Chinese label of the field.
    Label(&'static MemberField),
    /// One of the field's [`ALIASES`].
    Alias(&'static MemberField),
    /// One of [`GUESSES`]: taken only when the values confirm it.
    Guess(&'static Guess),
    /// No member field: in [`NOT_MEMBER_FIELDS`], or close to no known header.
    NotAField,
    /// Close to a known header, `meant` (an API name, a label, an alias or a guess), which
    /// names (or may name) `field`: probably a typo of it.
    Typo {
        /// The field the known header names.
        field: &'static MemberField,
        /// The known header, as the table writes it.
        meant: &'static str,
    },
}

impl Meaning {
    /// The field it names for certain.
    pub fn field(self) -> Option<&'static MemberField> {
        match self {
            Meaning::Name(field) | Meaning::Label(field) | Meaning::Alias(field) => Some(field),
            _ => None,
        }
    }
}

/// What `header` means, after [`normalise`].
pub fn meaning(header: &str) -> Meaning {
    let header = normalise(header);
    if let Some(field) = MEMBER_FIELDS.iter().find(|f| f.name == header) {
        return Meaning::Name(field);
    }
    if let Some(field) = MEMBER_FIELDS.iter().find(|f| f.label == header) {
        return Meaning::Label(field);
    }
    if let Some(field) = ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&header.as_str()))
        .and_then(|(name, _)| field_by_name(name))
    {
        return Meaning::Alias(field);
    }
    if let Some(guess) = GUESSES.iter().find(|g| g.header == header) {
        return Meaning::Guess(guess);
    }
    if header.is_empty() || NOT_MEMBER_FIELDS.contains(&header.as_str()) {
        return Meaning::NotAField;
    }
    typo(&header).unwrap_or(Meaning::NotAField)
}

/// The known header `header` is probably a typo of: an API name, else any other.
fn typo(header: &str) -> Option<Meaning> {
    let names: Vec<&'static str> = MEMBER_FIELDS.iter().map(|f| f.name).collect();
    let others: Vec<(&'static str, &'static str)> = MEMBER_FIELDS
        .iter()
        .map(|f| (f.label, f.name))
        .chain(
            ALIASES
                .iter()
                .flat_map(|(name, aliases)| aliases.iter().map(move |alias| (*alias, *name))),
        )
        .chain(GUESSES.iter().map(|g| (g.header, g.field)))
        .collect();
    let texts: Vec<&'static str> = others.iter().map(|(text, _)| *text).collect();
    let (meant, name) = match nearest(header, &names) {
        Some(name) => (name, name),
        None => {
            let meant = nearest(header, &texts)?;
            let (_, name) = others.iter().find(|(text, _)| *text == meant)?;
            (meant, *name)
        }
    };
    Some(Meaning::Typo {
        field: field_by_name(name)?,
        meant,
    })
}

fn field_by_name(name: &str) -> Option<&'static MemberField> {
    MEMBER_FIELDS.iter().find(|f| f.name == name)
}

/// The field named by its API name (any case) or its Chinese label: how a person names the
/// field a column goes to (`--map 电话=mobile`, `--map 电话=手机号`).
pub fn field_named(text: &str) -> Option<&'static MemberField> {
    let text = text.trim();
    MEMBER_FIELDS
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(text) || f.label == text)
}

/// The field's aliases (none for an unknown name).
pub fn aliases(field: &str) -> &'static [&'static str] {
    ALIASES
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(&[], |(_, aliases)| aliases)
}

#[cfg(test)]
mod tests;
