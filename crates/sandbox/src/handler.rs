//! Every request passes through [`Shared::handle`]: the one place where fault injection
//! decides, per request, whether to answer normally, answer something else, or close the
//! connection; then the gateway's checks, its rate limits and the endpoint.

use crate::controls;
use crate::faults::Fault;
use crate::gateway::{self, MasterList, Route};
use crate::http::{reason_phrase, Request, Response};
use crate::limits::Counter;
use crate::master_data;
use crate::options::{Limit, NotFound, Window};
use crate::state::{Arrival, SandboxStats, Shared, State};
use crate::store::{Filter, ERR_NOT_FOUND};
use crate::tokens::ERR_NOT_AUTHORIZED;
use jdy_member::api;
use jdy_member::codes::GatewayCode;
use serde_json::{json, Value};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

/// The end of a wait slept precisely rather than spent in a tick-granular socket timeout.
const TICK_SLACK: Duration = Duration::from_millis(10);
/// How often a wait wakes up to look at the stop flag and the connection.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Longest wait a delay or the latency makes (longer ones are cut to this).
const MAX_WAIT_MS: u64 = 24 * 60 * 60 * 1000;
/// Unknown upstream: the errcode in the body of a 429.
pub const ERR_RATE_LIMITED: i64 = 429;
const DEFAULT_PAGE_SIZE: u64 = 10;

/// What the handler decided for one request.
pub(crate) enum Outcome {
    Respond(Response),
    /// Close the connection without answering.
    Close,
    /// Answer 200 with a JSON body of this many bytes, streamed, then close.
    Oversized(u64),
}

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

/// A `status` fault: the given body (JSON if it parses as JSON), or an HTML error page as a
/// proxy in front of the gateway would send.
fn status_fault(status: u16, body: Option<String>) -> Response {
    match body {
        Some(body) if serde_json::from_str::<Value>(&body).is_ok() => Response {
            body: body.into_bytes(),
            ..Response::json(status, &Value::Null)
        },
        Some(body) => Response::html(status, body),
        None => {
            let title = format!("{status} {}", reason_phrase(status));
            Response::html(
                status,
                format!(
                    "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                ),
            )
        }
    }
}

/// A `not_json` fault: a page such as a captive portal or a proxy's login page.
fn not_json(status: u16) -> Response {
    Response::html(
        status,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>金蝶精斗云</title></head>\n<body><p>jdy sandbox: this page is not JSON</p></body></html>\n".to_string(),
    )
}

fn count(route: Route, stats: &mut SandboxStats) {
    let counter = match route {
        Route::Authorize => &mut stats.authorize_calls,
        Route::Token => &mut stats.token_calls,
        Route::Save => &mut stats.save_calls,
        Route::List => &mut stats.list_calls,
        Route::Detail => &mut stats.detail_calls,
        Route::MasterData(_) => &mut stats.master_data_calls,
        Route::PointsAdjust => &mut stats.points_calls,
    };
    *counter += 1;
}

/// A page of `rows` by the request's `page` and `page_size` (unknown upstream: non-positive
/// paging is errcode 2000002000; a page size above 100 is cut to 100).
fn page_of(
    params: &std::collections::HashMap<String, String>,
    rows: Vec<Value>,
) -> Result<Value, String> {
    let given = |key: &str| {
        params
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let positive = |key: &str, default: u64| match given(key) {
        None => Ok(default),
        Some(text) => match gateway::parse_digits(text, 19) {
            Some(n) if n > 0 => Ok(n),
            _ => Err(format!("{key}必须是正整数")),
        },
    };
    let page = positive("page", 1)?;
    let size = positive("page_size", DEFAULT_PAGE_SIZE)?.min(api::MAX_PAGE_SIZE);
    let count = rows.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let rows: Vec<Value> = rows.into_iter().skip(skip).take(size as usize).collect();
    Ok(
        json!({"count": count, "page": page, "page_size": size, "total_page": count.div_ceil(size), "rows": rows}),
    )
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
    /// Every request passes here. `conn` is the client's connection, watched while a wait
    /// runs.
    pub fn handle(&self, req: &Request, conn: Option<&TcpStream>) -> Outcome {
        if self.is_stopping() {
            return Outcome::Close;
        }
        if req.path.starts_with(controls::CONTROL_PREFIX) {
            return Outcome::Respond(self.control(req));
        }
        let route = Route::find(&req.method, &req.path);
        let fault = {
            let mut state = self.lock();
            state.stats.requests += 1;
            if let Ok(route) = route {
                count(route, &mut state.stats);
            }
            let fault = state.faults.take(req);
            if fault.is_some() {
                state.stats.faults_fired += 1;
            }
            fault
        };
        let process = || self.process(req, route, conn);
        let Some(fault) = fault else {
            return process().map_or(Outcome::Close, Outcome::Respond);
        };
        // For the faults that replace the answer: process first if asked, then answer.
        let replace = |after_processing: bool, response: Response| {
            if after_processing && process().is_none() {
                return Outcome::Close;
            }
            Outcome::Respond(response)
        };
        match fault {
            Fault::Status {
                status,
                body,
                after_processing,
            } => replace(after_processing, status_fault(status, body)),
            Fault::Gateway {
                errcode,
                after_processing,
            } => replace(
                after_processing,
                Response::json(519, &gateway::gateway_body(errcode as i64)),
            ),
            Fault::RateLimited => Outcome::Respond(rate_limited(Some(1000))),
            Fault::NotJson {
                status,
                after_processing,
            } => replace(after_processing, not_json(status.unwrap_or(200))),
            Fault::DropBeforeProcessing => Outcome::Close,
            Fault::DropAfterProcessing => {
                let _ = process();
                Outcome::Close
            }
            Fault::Delay {
                ms,
                after_processing: false,
            } => {
                if !self.wait(ms, conn) {
                    return Outcome::Close;
                }
                process().map_or(Outcome::Close, Outcome::Respond)
            }
            Fault::Delay {
                ms,
                after_processing: true,
            } => match process() {
                Some(response) if self.wait(ms, conn) => Outcome::Respond(response),
                _ => Outcome::Close,
            },
            Fault::Oversized { bytes } => match process() {
                Some(_) => Outcome::Oversized(bytes),
                None => Outcome::Close,
            },
        }
    }

    /// The normal handling, after the latency of business calls; None when the client left
    /// or the sandbox stops during that wait (the request is then not processed).
    fn process(
        &self,
        req: &Request,
        route: Result<Route, i64>,
        conn: Option<&TcpStream>,
    ) -> Option<Response> {
        let latency = self.latency_ms();
        if latency > 0 && route.is_ok_and(Route::is_business) && !self.wait(latency, conn) {
            return None;
        }
        Some(self.kingdee(req, route))
    }

    /// A Kingdee-path request, already counted by `handle`.
    fn kingdee(&self, req: &Request, route: Result<Route, i64>) -> Response {
        let now = self.clock.now_ms();
        let mut guard = self.lock();
        let state = &mut *guard;
        let route = match route {
            // Routing comes first: an API the gateway does not offer here is unknown to it.
            Ok(_) if state.behaviour.missing_paths.contains(&req.path) => {
                return gateway_reject(state, GatewayCode::ApiNotFound.number())
            }
            Ok(route) => route,
            Err(code) => return gateway_reject(state, code),
        };
        if let Err(code) = gateway::check_signature(req, now, self.options.timestamp_window_ms) {
            return gateway_reject(state, code);
        }
        let behaviour = state.behaviour.clone();
        if route.is_business() {
            let token_serial = match state.tokens.check(req, now) {
                Ok(serial) => serial,
                Err(code) => return gateway_reject(state, code),
            };
            if behaviour.denied_paths.contains(&req.path) {
                return gateway_reject(state, GatewayCode::NoPermission.number());
            }
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
                return response;
            }
        }
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
            Route::Detail => match state.store.detail(&req.params(), &behaviour) {
                Ok(Some(member)) => success(state, member),
                Ok(None) => match behaviour.detail_not_found {
                    NotFound::Null => success(state, Value::Null),
                    NotFound::Empty => success(state, json!({})),
                    NotFound::Errcode => business_error(state, ERR_NOT_FOUND, "会员不存在"),
                },
                Err((code, description)) => business_error(state, code, &description),
            },
            Route::MasterData(list) => {
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
                    Err(description) => {
                        business_error(state, GatewayCode::SystemError.number(), &description)
                    }
                }
            }
            Route::PointsAdjust => match state.points.adjust(&req.body) {
                Ok(data) => success(state, data),
                Err(description) => {
                    business_error(state, GatewayCode::SystemError.number(), &description)
                }
            },
            Route::List => {
                let params = req.params();
                let given = |key: &str| {
                    params
                        .get(key)
                        .map(String::as_str)
                        .filter(|v| !v.is_empty())
                };
                // Unknown upstream: non-positive paging is errcode 2000002000; a page size
                // above 100 is cut to 100 and the answer says so.
                let positive = |key: &str, default: u64| match given(key) {
                    None => Ok(default),
                    Some(text) => match gateway::parse_digits(text, 19) {
                        Some(n) if n > 0 => Ok(n),
                        _ => Err(format!("{key}必须是正整数")),
                    },
                };
                match (
                    positive("page", 1),
                    positive("page_size", DEFAULT_PAGE_SIZE),
                ) {
                    (Ok(page), Ok(size)) => {
                        let page = state.store.list(
                            &Filter::from_params(&params),
                            page,
                            size.min(api::MAX_PAGE_SIZE),
                            &behaviour,
                        );
                        success(state, page)
                    }
                    (Err(description), _) | (_, Err(description)) => {
                        business_error(state, GatewayCode::SystemError.number(), &description)
                    }
                }
            }
        }
    }

    /// Waits `ms` in short steps without holding the state lock. False when the sandbox is
    /// stopping or the client has closed the connection meanwhile (its answer is not wanted).
    pub(crate) fn wait(&self, ms: u64, conn: Option<&TcpStream>) -> bool {
        let start = Instant::now();
        let total = Duration::from_millis(ms.min(MAX_WAIT_MS));
        let mut probe = [0u8; 1];
        let mut gone = false;
        loop {
            if self.is_stopping() {
                gone = true;
                break;
            }
            let elapsed = start.elapsed();
            if elapsed >= total {
                break;
            }
            let left = total - elapsed;
            // Socket read timeouts run on the kernel tick and overshoot by up to a tick; the
            // last stretch is slept with the precise timer of thread::sleep instead.
            let (Some(conn), true) = (conn, left > TICK_SLACK) else {
                thread::sleep(left.min(POLL_INTERVAL));
                continue;
            };
            let step = (left - TICK_SLACK).min(POLL_INTERVAL);
            // Peeking waits up to the read timeout and tells a closed connection (EOF, reset)
            // from a silent one; bytes already waiting (a pipelined request) say nothing.
            if conn.set_read_timeout(Some(step)).is_err() {
                thread::sleep(step);
                continue;
            }
            match conn.peek(&mut probe) {
                Ok(0) => gone = true,
                Ok(_) => thread::sleep(step),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => gone = true,
            }
            if gone {
                break;
            }
        }
        if let Some(conn) = conn {
            let _ = conn.set_read_timeout(Some(POLL_INTERVAL));
        }
        !gone
    }
}

#[cfg(test)]
mod tests;
