//! Points adjustments (`POST /jdy/v2/ls/integral_adjust`): the sandbox's example of a call
//! that is not idempotent unless it carries Kingdee's `src_bill_id`, for the generic signed
//! call. Unknown upstream: the body (`member_id`, `points`, `src_bill_id`) and the answer
//! (`id`, `member_id`, `points`, `balance`) are the sandbox's own.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Every adjustment applied, and the balances.
#[derive(Default)]
pub(crate) struct Points {
    applied: Vec<Value>,
    balances: BTreeMap<String, i64>,
    /// The answers by `src_bill_id`: a bill applied once, however often it is sent.
    by_bill: BTreeMap<String, Value>,
}

impl Points {
    /// Applies an adjustment; a `src_bill_id` seen before answers as it did then.
    pub fn adjust(&mut self, body: &[u8]) -> Result<Value, String> {
        let body: Value =
            serde_json::from_slice(body).map_err(|_| "请求体不是合法的JSON".to_string())?;
        let member = body
            .get("member_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let points = body.get("points").and_then(Value::as_i64);
        let (Some(member), Some(points)) = (member, points) else {
            return Err("member_id和points不能为空".into());
        };
        let bill = body
            .get("src_bill_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(done) = bill.as_ref().and_then(|b| self.by_bill.get(b)) {
            return Ok(done.clone());
        }
        let balance = self.balances.entry(member.to_string()).or_insert(0);
        *balance += points;
        let answer = json!({"id": (self.applied.len() + 1).to_string(), "member_id": member, "points": points, "balance": *balance});
        self.applied.push(answer.clone());
        if let Some(bill) = bill {
            self.by_bill.insert(bill, answer.clone());
        }
        Ok(answer)
    }

    /// The adjustments applied, in order.
    pub fn applied(&self) -> &[Value] {
        &self.applied
    }
}
