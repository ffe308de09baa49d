//! The gateway's own checks, in Kingdee's order, and its rejections (HTTP 519 with
//! `{"errcode", "description", "description_cn"}`).
//!
//! Routing comes before authentication (unknown upstream: API gateways route first, then
//! run the route's auth), then the five signature checks, then on business paths the
//! app-token and the router header. The English and Chinese texts are the sandbox's own;
//! only the codes are Kingdee's.

use crate::http::Request;
use crate::SANDBOX_CLIENT_ID;
use crate::SANDBOX_CLIENT_SECRET;
use jdy_member::api;
use jdy_member::codes::GatewayCode;
use jdy_member::signing;
use serde_json::{json, Value};

/// The endpoints the sandbox serves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Route {
    Authorize,
    Token,
    Save,
    List,
    Detail,
    /// A master-data list: stores, member levels, customers, labels.
    MasterData(MasterList),
    /// A points adjustment (POST): the sandbox's example of a non-idempotent call.
    PointsAdjust,
}

/// The master-data lists the sandbox serves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MasterList {
    Stores,
    Levels,
    Customers,
    Labels,
}

/// The points-adjustment endpoint (notes §6).
pub(crate) const POINTS_ADJUST: &str = "/jdy/v2/ls/integral_adjust";

impl Route {
    /// The route of a request, or the gateway code for an unknown path (5001) or a wrong
    /// method on a known one (5002).
    pub fn find(method: &str, path: &str) -> Result<Route, i64> {
        let route = match (path, method) {
            (api::AUTHORIZE, "POST") => Route::Authorize,
            (api::TOKEN, "GET") => Route::Token,
            (api::MEMBER, "POST") => Route::Save,
            (api::MEMBER, "GET") => Route::List,
            (api::MEMBER_DETAIL, "GET") => Route::Detail,
            (api::STORE, "GET") => Route::MasterData(MasterList::Stores),
            (api::MEMBER_LEVEL, "GET") => Route::MasterData(MasterList::Levels),
            (api::CUSTOMER, "GET") => Route::MasterData(MasterList::Customers),
            (api::LABEL, "GET") => Route::MasterData(MasterList::Labels),
            (POINTS_ADJUST, "POST") => Route::PointsAdjust,
            (
                api::AUTHORIZE
                | api::TOKEN
                | api::MEMBER
                | api::MEMBER_DETAIL
                | api::STORE
                | api::MEMBER_LEVEL
                | api::CUSTOMER
                | api::LABEL
                | POINTS_ADJUST,
                _,
            ) => return Err(GatewayCode::MethodNotAllowed.number()),
            _ => return Err(GatewayCode::ApiNotFound.number()),
        };
        Ok(route)
    }

    /// The business calls: they need an app-token, count against the account's budget and
    /// get the latency.
    pub fn is_business(self) -> bool {
        !matches!(self, Route::Authorize | Route::Token)
    }
}

/// `X-Api-SignHeaders` must name exactly the timestamp and the nonce, any order and case.
fn sign_headers_valid(value: &str) -> bool {
    let mut names: Vec<String> = value
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    names.sort();
    names == ["x-api-nonce", "x-api-timestamp"]
}

/// ASCII digits only (no sign, no spaces), at most `max_digits`, fitting a u64.
pub(crate) fn parse_digits(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The five signature checks, in Kingdee's order. Unknown upstream: `X-Api-Nonce` must be 1
/// to 20 ASCII digits, value at least 1; `X-Api-TimeStamp` ASCII digits only.
pub(crate) fn check_signature(req: &Request, now: u64, window_ms: u64) -> Result<(), i64> {
    if req.header("x-api-auth-version") != Some(signing::AUTH_VERSION) {
        return Err(4001);
    }
    if req.header("x-api-clientid") != Some(SANDBOX_CLIENT_ID) {
        return Err(4002);
    }
    if !sign_headers_valid(req.header("x-api-signheaders").unwrap_or("")) {
        return Err(GatewayCode::SignHeaders.number());
    }
    let timestamp = req.header("x-api-timestamp").unwrap_or("");
    let Some(ts) = parse_digits(timestamp, 19) else {
        return Err(GatewayCode::Timestamp.number());
    };
    if ts.abs_diff(now) > window_ms {
        return Err(GatewayCode::Timestamp.number());
    }
    let nonce = req.header("x-api-nonce").unwrap_or("");
    if !matches!(parse_digits(nonce, 20), Some(n) if n > 0) {
        return Err(GatewayCode::Signature.number());
    }
    let to_sign = signing::string_to_sign(
        &req.method,
        &req.path,
        &signing::signed_line_from_wire(&req.query),
        nonce,
        timestamp,
    );
    let expected = signing::signature(SANDBOX_CLIENT_SECRET, &to_sign);
    let given = req.header("x-api-signature").unwrap_or("");
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(GatewayCode::Signature.number());
    }
    Ok(())
}

/// The three-key body of a gateway rejection.
pub(crate) fn gateway_body(code: i64) -> Value {
    let (english, chinese) = match GatewayCode::from_number(code) {
        Some(GatewayCode::Credentials(4001)) => {
            ("auth version invalid, expected 2.0", "认证版本无效")
        }
        Some(GatewayCode::Credentials(4002)) => {
            ("client id missing or invalid", "ClientID缺失或无效")
        }
        Some(GatewayCode::Credentials(_)) => ("client credentials invalid", "客户端凭证无效"),
        Some(GatewayCode::Timestamp) => ("timestamp invalid or expired", "时间戳无效或已过期"),
        Some(GatewayCode::SignHeaders) => ("sign headers invalid", "签名头无效"),
        Some(GatewayCode::Signature) => ("signature invalid", "签名无效"),
        Some(GatewayCode::TokenEmpty) => ("app-token is empty", "app-token为空"),
        Some(GatewayCode::TokenInvalid) => ("app-token invalid", "app-token无效"),
        Some(GatewayCode::TokenExpired) => ("app-token expired", "app-token已过期"),
        Some(GatewayCode::NoPermission) => ("no permission for this api", "无权限访问该接口"),
        Some(GatewayCode::ApiNotFound) => ("api not found", "接口不存在"),
        Some(GatewayCode::MethodNotAllowed) => ("method not allowed", "请求方法不允许"),
        Some(GatewayCode::AppSecretRotated) => ("app secret check failed", "应用密钥校验失败"),
        Some(GatewayCode::Internal) => ("gateway internal error", "网关内部错误"),
        Some(GatewayCode::Unavailable) => ("service unavailable", "服务不可用"),
        Some(GatewayCode::Timeout) => ("service timeout", "服务调用超时"),
        Some(GatewayCode::Cancelled) => ("request cancelled", "请求已取消"),
        Some(GatewayCode::CircuitOpen) => ("circuit breaker open", "服务熔断"),
        Some(GatewayCode::Overloaded) => ("service overloaded", "服务过载"),
        _ => ("gateway error", "网关错误"),
    };
    json!({"errcode": code, "description": english, "description_cn": chinese})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_client::*;
    use crate::{Sandbox, SandboxOptions, SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_DOMAIN};

    #[test]
    fn gateway_rejections_in_order() {
        let sb = sandbox();
        let mut c = Conn::new(&sb);
        let token = || token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);

        c.send(&token().remove("X-Api-Auth-Version"))
            .assert_gateway(4001);
        c.send(&token().set("X-Api-Auth-Version", "1.0"))
            .assert_gateway(4001);
        c.send(&token().remove("X-Api-ClientID"))
            .assert_gateway(4002);
        c.send(&token().set("X-Api-ClientID", "205022"))
            .assert_gateway(4002);
        c.send(&token().set("X-Api-SignHeaders", "X-Api-TimeStamp"))
            .assert_gateway(4007);
        c.send(&token().set(
            "X-Api-SignHeaders",
            "X-Api-TimeStamp,X-Api-Nonce,X-Api-ClientID",
        ))
        .assert_gateway(4007);
        c.send(&token().remove("X-Api-SignHeaders"))
            .assert_gateway(4007);
        // Order and case of the list do not matter.
        let ok = c.send(&token().set("x-api-signheaders", "x-api-nonce , X-API-TIMESTAMP"));
        assert_eq!(ok.status, 200, "{ok:?}");

        let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
        let params = [
            ("app_key", SANDBOX_APP_KEY),
            ("app_signature", sig.as_str()),
        ];
        c.send(&Req::signed_at(
            "GET",
            api::TOKEN,
            &params,
            now_ms() - 301_000,
        ))
        .assert_gateway(4006);
        c.send(&Req::signed_at(
            "GET",
            api::TOKEN,
            &params,
            now_ms() + 301_000,
        ))
        .assert_gateway(4006);
        c.send(&token().set("X-Api-TimeStamp", "soon"))
            .assert_gateway(4006);
        c.send(&token().remove("X-Api-TimeStamp"))
            .assert_gateway(4006);

        c.send(&token().set("X-Api-Nonce", "0"))
            .assert_gateway(4008);
        c.send(&token().set("X-Api-Nonce", "-5"))
            .assert_gateway(4008);
        let bad_sig = signing::signature("not-the-secret", "anything");
        c.send(&token().set("X-Api-Signature", &bad_sig))
            .assert_gateway(4008);
        // The signature covers the query...
        let mut tampered = token();
        tampered.query = tampered.query.replace("app_key=", "app_key=x");
        c.send(&tampered).assert_gateway(4008);
        // ...and the method and path.
        let mut moved = Req::signed("GET", api::MEMBER_DETAIL, &[("id", "1")]);
        moved.path = api::MEMBER.into();
        c.send(&moved).assert_gateway(4008);

        let stats = sb.stats();
        assert_eq!(stats.rejections["4001"], 2);
        assert_eq!(stats.rejections["4002"], 2);
        assert_eq!(stats.rejections["4007"], 3);
        assert_eq!(stats.rejections["4006"], 4);
        assert_eq!(stats.rejections["4008"], 5);
    }

    #[test]
    fn checks_run_in_gateway_order() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        let stale_ts = (now_ms() - 600_000).to_string();
        // Each request breaks every check from one point on; the first broken one answers.
        let broken = |from: usize| {
            let mut req = Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], &token);
            let steps: [(&str, &str); 8] = [
                ("X-Api-Auth-Version", "3.0"),
                ("X-Api-ClientID", "nobody"),
                ("X-Api-SignHeaders", "X-Api-Nonce"),
                ("X-Api-TimeStamp", stale_ts.as_str()),
                ("X-Api-Signature", "AAAA"),
                ("app-token", "unknown-token"),
                ("X-GW-Router-Addr", "https://tf.jdy.com"),
                ("X-Unused", ""),
            ];
            for (name, value) in &steps[from..] {
                req = req.set(name, value);
            }
            req
        };
        for (from, code) in [4001, 4002, 4007, 4006, 4008, 4010, 4012]
            .into_iter()
            .enumerate()
        {
            c.send(&broken(from)).assert_gateway(code);
        }
        assert_eq!(c.send(&broken(7)).errcode(), 0);
        // An expired token is reported before a wrong router, and before a rotated secret.
        sb.expire_tokens();
        sb.rotate_app_secret("rotated");
        c.send(&broken(6)).assert_gateway(4011);
    }

    #[test]
    fn timestamp_window_follows_the_options() {
        let sb = Sandbox::start(SandboxOptions {
            timestamp_window_ms: 1_000,
            ..options()
        })
        .unwrap();
        let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
        let params = [
            ("app_key", SANDBOX_APP_KEY),
            ("app_signature", sig.as_str()),
        ];
        let mut c = Conn::new(&sb);
        c.send(&Req::signed_at(
            "GET",
            api::TOKEN,
            &params,
            now_ms() - 5_000,
        ))
        .assert_gateway(4006);
        let fine = c.send(&Req::signed_at("GET", api::TOKEN, &params, now_ms()));
        assert_eq!(fine.errcode(), 0);
    }

    #[test]
    fn unknown_path_and_wrong_method() {
        let sb = sandbox();
        let mut c = Conn::new(&sb);
        c.send(&Req::signed("GET", "/jdy/v2/ls/nothing", &[]))
            .assert_gateway(5001);
        c.send(&Req::unsigned("GET", "/")).assert_gateway(5001);
        c.send(&Req::signed("DELETE", api::MEMBER, &[]))
            .assert_gateway(5002);
        c.send(&Req::signed("POST", api::TOKEN, &[]))
            .assert_gateway(5002);
        c.send(&Req::signed("GET", api::AUTHORIZE, &[]))
            .assert_gateway(5002);
        let stats = sb.stats();
        assert_eq!(stats.rejections["5001"], 2);
        assert_eq!(stats.rejections["5002"], 3);
        assert_eq!(stats.requests, 5);
    }

    #[test]
    fn router_header_is_compared_exactly() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        let detail = |domain: &str| {
            Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], &token)
                .set("X-GW-Router-Addr", domain)
        };
        c.send(&detail("https://tf.jdy.com")).assert_gateway(4012);
        c.send(&detail(&format!("{SANDBOX_DOMAIN}/")))
            .assert_gateway(4012);
        assert_eq!(c.send(&detail(SANDBOX_DOMAIN)).errcode(), 0);
    }
}
