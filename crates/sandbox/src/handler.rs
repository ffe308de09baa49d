//! Every request passes through [`Shared::handle`]: the one place where fault injection
//! decides, per request, whether to answer normally, answer something else, or close the
//! connection. The normal answer is `endpoints`': the gateway's checks, its rate limits and
//! the endpoint.

use crate::endpoints::rate_limited;
use crate::faults::Fault;
use crate::gateway::{self, Route};
use crate::http::{reason_phrase, Request, Response};
use crate::state::{SandboxStats, Shared};
use crate::CONTROL_PREFIX;
use serde_json::Value;
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
/// What the handler decided for one request.
pub(crate) enum Outcome {
    Respond(Response),
    /// Close the connection without answering.
    Close,
    /// Answer 200 with a JSON body of this many bytes, streamed, then close.
    Oversized(u64),
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

impl Shared {
    /// Every request passes here. `conn` is the client's connection, watched while a wait
    /// runs.
    pub fn handle(&self, req: &Request, conn: Option<&TcpStream>) -> Outcome {
        if self.is_stopping() {
            return Outcome::Close;
        }
        if req.path.starts_with(CONTROL_PREFIX) {
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
