//! Kingdee's open-API endpoints and the shapes of their answers: the one place that names
//! them (notes §2, §4 and §6).

use serde_json::Value;

/// Where every call goes; the tenant's `domain` only travels in the `X-GW-Router-Addr`
/// header (calling the domain itself answers 404).
pub const DEFAULT_BASE_URL: &str = "https://api.kingdee.com";

/// Authorization: app key, app secret and domain for an outer instance id (POST).
pub const AUTHORIZE: &str = "/jdyconnector/app_management/push_app_authorize";
/// The app-token (GET); rate limited to about two calls a minute.
pub const TOKEN: &str = "/jdyconnector/app_management/kingdee_auth_token";
/// Member save (POST, the seed) and member list (GET).
pub const MEMBER: &str = "/jdy/v2/ls/member";
/// One member by `id` or `mobile` (GET).
pub const MEMBER_DETAIL: &str = "/jdy/v2/ls/member_detail";
/// Stores (GET).
pub const STORE: &str = "/jdy/v2/ls/store";
/// Member levels (GET).
pub const MEMBER_LEVEL: &str = "/jdy/v2/ls/mb_level";
/// Labels (GET).
pub const LABEL: &str = "/jdy/v2/bd/label";
/// Customers (GET).
pub const CUSTOMER: &str = "/jdy/v2/bd/customer";

/// The keys of a save answer's `data`.
pub const SAVE_ANSWER_FIELDS: [&str; 6] = [
    "id",
    "custom_no",
    "db_modify_time",
    "enable",
    "mobile",
    "name",
];

/// The keys of a detail answer's `data`: all member_detail returns (notes §6), none of the
/// other saved fields.
pub const DETAIL_FIELDS: [&str; 8] = [
    "id",
    "mobile",
    "name",
    "card_no",
    "card_id",
    "level_name",
    "usable",
    "available",
];

/// The filters of the member list (there is no mobile filter).
pub const LIST_FILTERS: [&str; 6] = [
    "id",
    "number",
    "name",
    "enable",
    "start_modified",
    "end_modified",
];

/// The filters of the member list, then its paging parameters.
pub const LIST_QUERY_KEYS: [&str; 8] = {
    let [id, number, name, enable, start, end] = LIST_FILTERS;
    [id, number, name, enable, start, end, "page", "page_size"]
};

/// The largest `page_size` a list serves.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The rows of page `page` of a list answer's `data`, and whether it is the last page: an
/// empty one, or the last that the answer's `total_page` counts (a missing count ends it).
pub fn page_rows(data: &Value, page: u64) -> (&[Value], bool) {
    let rows = data
        .get("rows")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let pages = data.get("total_page").and_then(Value::as_u64).unwrap_or(0);
    (rows, rows.is_empty() || page >= pages)
}

/// A field of an answer as text: Kingdee writes ids, numbers and codes as strings (trimmed
/// here) or as JSON numbers; None for anything else.
pub fn answer_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The default request budget of one account: about 500 requests a minute across all its
/// clients (notes §6); beyond it the gateway answers HTTP 429 (已被限流).
pub const ACCOUNT_BUDGET_REQUESTS: u32 = 500;
/// The window of [`ACCOUNT_BUDGET_REQUESTS`], in seconds.
pub const ACCOUNT_BUDGET_WINDOW_S: u32 = 60;
/// The token endpoint allows about two calls a minute.
pub const TOKEN_CALLS_PER_MINUTE: u32 = 2;
/// The gateway accepts `X-Api-TimeStamp` within this distance of its clock.
pub const TIMESTAMP_WINDOW_MS: u64 = 5 * 60 * 1000;
/// An app-token lives this long.
pub const TOKEN_LIFETIME_MS: u64 = 24 * 60 * 60 * 1000;
