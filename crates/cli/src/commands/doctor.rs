//! `jdy-member doctor`: the library's checks as a table (or JSON); the exit code says
//! whether the worst failure is the network's (6) or the account's (5).

use crate::output::{Exit, Output};
use crate::session::Session;
use jdy_member::doctor::Verdict;
use jdy_member::Error;
use serde_json::Value;

pub fn run(session: &Session, out: &Output) -> Result<Exit, Error> {
    let checks = session.client.doctor();
    let mut exit = Exit::Ok;
    for check in &checks {
        if check.verdict == Verdict::Fail {
            let transport = matches!(check.name.as_str(), "dns" | "dns proxy" | "gateway");
            exit = exit.max(if transport {
                Exit::Transport
            } else {
                Exit::Rejected
            });
        }
    }
    if out.json {
        out.data(&serde_json::json!({"checks": checks}));
        return Ok(exit);
    }
    for check in &checks {
        let verdict = serde_json::to_value(check.verdict).unwrap_or(Value::Null);
        let mut line = format!(
            "{:<8} {:<30} {}",
            verdict.as_str().unwrap_or(""),
            check.name,
            check.detail
        );
        if let Some(advice) = &check.advice {
            line.push_str(&format!("\n{:<8} {:<30} -> {advice}", "", ""));
        }
        out.line_text(&line);
    }
    Ok(exit)
}
