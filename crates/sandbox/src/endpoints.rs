//! The Kingdee-path requests, once the handler has counted them and no fault replaced the
//! answer: routing, the gateway's checks (signature, app-token, permission, the account's
//! rate limit), then each endpoint's answer.

use crate::gateway::{self, MasterList, Route};
use crate::http::{Request, Response};
use crate::limits::Counter;
use crate::master_data;
use crate::options::{Behaviour, Limit, NotFound, Window};
use crate::state::{Arrival, Shared, State};
use crate::store::{Filter, ERR_NOT_FOUND};
use crate::tokens::ERR_NOT_AUTHORIZED;
use jdy_member::api;
use jdy_member::codes::GatewayCode;
use serde_json::{json, Value};

/// Unknown upstream: the errcode in the body of a 429.
pub const ERR_RATE_LIMITED: i64 = 429;
const DEFAULT_PAGE_SIZE: u64 = 10;

/// Builds an answer and counts a non-zero errcode as a rejection.
fn reply(state: &mut State, status: u16, body: Value) -> Response {
    if let Some(code) = body.get("errcode").and_then(Value::as_i64) {
        if code != 0 {
            *state.stats.rejections.entry(code.to_string()).or_insert(0) += 1;
        }
    }
    Response::json(status, &body)
}

fn success(state: &mut State, data: Value) -> Response {
    reply(
        state,
        200,
        json!({"errcode": 0, "description": "success", "data": data}),
    )
}

fn business_error(state: &mut State, code: i64, description: &str) -> Response {
    reply(
        state,
        200,
        json!({"errcode": code, "description": description, "data": null}),
    )
}

fn gateway_reject(state: &mut State, code: i64) -> Response {
    reply(state, 519, gateway::gateway_body(code))
}

/// The gateway's 429. Unknown upstream: the body's shape and errcode; documented: its
/// description says 已被限流.
pub(crate) fn rate_limited(retry_after_ms: Option<u64>) -> Response {
    let response = Response::json(
        429,
        &json!({
            "errcode": ERR_RATE_LIMITED,
            "description": "请求已被限流，请稍后再试",
            "description_cn": "请求已被限流",
        }),
    );
    match retry_after_ms {
        Some(ms) => response.with_header("Retry-After", ms.div_ceil(1000).max(1).to_string()),
        None => response,
    }
}

/// A page of `rows` by the request's `page` and `page_size` (unknown upstream: non-positive
/// paging is errcode 2000002000; a page size above 100 is cut to 100).
fn page_of(
    params: &std::collections::HashMap<String, String>,
    rows: Vec<Value>,
) -> Result<Value, String> {
    let (page, size) = paging(params, DEFAULT_PAGE_SIZE)?;
    let count = rows.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let rows: Vec<Value> = rows.into_iter().skip(skip).take(size as usize).collect();
    Ok(
        json!({"count": count, "page": page, "page_size": size, "total_page": count.div_ceil(size), "rows": rows}),
    )
}

/// A request's `page` (1 unless given) and `page_size` (`default_size` unless given, cut
/// to 100), or the description of the gateway's refusal of a non-positive one.
fn paging(
    params: &std::collections::HashMap<String, String>,
    default_size: u64,
) -> Result<(u64, u64), String> {
    let positive = |key: &str, default: u64| match params.get(key).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => match gateway::parse_digits(text, 19) {
            Some(n) if n > 0 => Ok(n),
            _ => Err(format!("{key}必须是正整数")),
        },
    };
    let page = positive("page", 1)?;
    let size = positive("page_size", default_size)?;
    Ok((page, size.min(api::MAX_PAGE_SIZE)))
}

/// Takes one request from a limit; the 429 to answer when there is no room.
fn limited(
    counter: &mut Counter,
    limit: Option<Limit>,
    window: Window,
    retry_after: bool,
    now: u64,
) -> Option<Response> {
    let limit = limit?;
    match counter.take(limit, window, now) {
        Ok(()) => None,
        Err(wait_ms) => Some(rate_limited(retry_after.then_some(wait_ms))),
    }
}

impl Shared {
    /// A Kingdee-path request, already counted by `handle`.
    pub(crate) fn kingdee(&self, req: &Request, route: Result<Route, i64>) -> Response {
        let now = self.clock.now_ms();
        let mut guard = self.lock();
        let state = &mut *guard;
        match self.admit(state, req, route, now) {
            Ok(route) => self.answer(state, req, route, now),
            Err(refusal) => refusal,
        }
    }

    /// What the gateway checks before an endpoint sees the request: the route, the
    /// signature, and for business calls the app-token, the permission and the account's
    /// rate limit. The route to answer, or the gateway's refusal.
    fn admit(
        &self,
        state: &mut State,
        req: &Request,
        route: Result<Route, i64>,
        now: u64,
    ) -> Result<Route, Response> {
        let route = match route {
            // Routing comes first: an API the gateway does not offer here is unknown to it.
            Ok(_) if state.behaviour.missing_paths.contains(&req.path) => {
                return Err(gateway_reject(state, GatewayCode::ApiNotFound.number()))
            }
            Ok(route) => route,
            Err(code) => return Err(gateway_reject(state, code)),
        };
        if let Err(code) = gateway::check_signature(req, now, self.options.timestamp_window_ms) {
            return Err(gateway_reject(state, code));
        }
        if !route.is_business() {
            return Ok(route);
        }
        let token_serial = match state.tokens.check(req, now) {
            Ok(serial) => serial,
            Err(code) => return Err(gateway_reject(state, code)),
        };
        if state.behaviour.denied_paths.contains(&req.path) {
            return Err(gateway_reject(state, GatewayCode::NoPermission.number()));
        }
        let behaviour = &state.behaviour;
        let refused = limited(
            &mut state.budget,
            behaviour.account_budget,
            behaviour.window,
            behaviour.retry_after,
            now,
        );
        state.record_arrival(Arrival {
            at_ms: now,
            rate_limited: refused.is_some(),
            token_serial,
        });
        if let Some(response) = refused {
            state.stats.rate_limited += 1;
            return Err(response);
        }
        Ok(route)
    }

    /// The endpoint's answer to an admitted request.
    fn answer(&self, state: &mut State, req: &Request, route: Route, now: u64) -> Response {
        let behaviour = state.behaviour.clone();
        match route {
            Route::Authorize => match state.tokens.authorization_rows(req) {
                Some(rows) => success(state, rows),
                None => business_error(
                    state,
                    ERR_NOT_AUTHORIZED,
                    "外部实例未授权或不存在(outerInstanceId)",
                ),
            },
            Route::Token => {
                let refused = limited(
                    &mut state.token_limit,
                    behaviour.token_limit,
                    behaviour.window,
                    behaviour.retry_after,
                    now,
                );
                if let Some(response) = refused {
                    state.stats.rate_limited += 1;
                    return response;
                }
                match state.tokens.issue(req, now, self.options.token_ttl_ms) {
                    Ok(data) => success(state, data),
                    Err((code, description)) => business_error(state, code, description),
                }
            }
            Route::Save => match state.store.save(&req.body, now, &behaviour) {
                Ok((data, mobile)) => {
                    *state.stats.saves_by_mobile.entry(mobile).or_insert(0) += 1;
                    success(state, data)
                }
                Err((code, description)) => business_error(state, code, &description),
            },
            Route::Detail => member_detail(state, req, &behaviour),
            Route::MasterData(list) => master_data_page(state, req, list),
            Route::PointsAdjust => match state.points.adjust(&req.body) {
                Ok(data) => success(state, data),
                Err(description) => {
                    business_error(state, GatewayCode::SystemError.number(), &description)
                }
            },
            Route::List => member_list(state, req, &behaviour),
        }
    }
}

/// One member by `id` or `mobile`, "not found" in the way the behaviour says.
fn member_detail(state: &mut State, req: &Request, behaviour: &Behaviour) -> Response {
    match state.store.detail(&req.params(), behaviour) {
        Ok(Some(member)) => success(state, member),
        Ok(None) => match behaviour.detail_not_found {
            NotFound::Null => success(state, Value::Null),
            NotFound::Empty => success(state, json!({})),
            NotFound::Errcode => business_error(state, ERR_NOT_FOUND, "会员不存在"),
        },
        Err((code, description)) => business_error(state, code, &description),
    }
}

/// A page of stores, levels, customers or labels, filtered by `id`, `number` and `name`.
fn master_data_page(state: &mut State, req: &Request, list: MasterList) -> Response {
    let params = req.params();
    let filter = |key: &str| params.get(key).filter(|v| !v.is_empty()).cloned();
    let (id, number, name) = (filter("id"), filter("number"), filter("name"));
    let keep = |r: &master_data::Record| {
        id.as_deref().is_none_or(|v| r.id == v)
            && number.as_deref().is_none_or(|v| r.number == v)
            && name.as_deref().is_none_or(|v| r.name.contains(v))
    };
    let rows: Vec<Value> = match list {
        MasterList::Stores => master_data::STORES
            .iter()
            .filter(|r| keep(r))
            .map(master_data::store_row)
            .collect(),
        MasterList::Levels => master_data::LEVELS
            .iter()
            .enumerate()
            .filter(|(_, r)| keep(r))
            .map(|(i, r)| master_data::level_row(r, i))
            .collect(),
        MasterList::Customers => master_data::CUSTOMERS
            .iter()
            .filter(|r| keep(r))
            .map(master_data::plain_row)
            .collect(),
        MasterList::Labels => master_data::LABELS
            .iter()
            .filter(|r| keep(r))
            .map(master_data::plain_row)
            .collect(),
    };
    match page_of(&params, rows) {
        Ok(page) => success(state, page),
        Err(description) => business_error(state, GatewayCode::SystemError.number(), &description),
    }
}

/// A page of the member list. Unknown upstream: non-positive paging is errcode
/// 2000002000; a page size above 100 is cut to 100 and the answer says so.
fn member_list(state: &mut State, req: &Request, behaviour: &Behaviour) -> Response {
    let params = req.params();
    match paging(&params, DEFAULT_PAGE_SIZE) {
        Ok((page, size)) => {
            let page = state
                .store
                .list(&Filter::from_params(&params), page, size, behaviour);
            success(state, page)
        }
        Err(description) => business_error(state, GatewayCode::SystemError.number(), &description),
    }
}
