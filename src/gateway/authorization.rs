//! Authorization: the app key, app secret and routing domain of an outer instance id, from
//! the rows of `push_app_authorize` (one per authorized account; `status` 1 is valid).

use crate::config::AppCredentials;
use crate::error::{Error, ErrorKind, Result};
use crate::gateway::transport::{HttpRequest, Method, Transport};
use crate::kingdee::api;
use crate::log::LogLevel;
use serde_json::Value;
use std::time::Instant;

/// One authorized account as the authorization answer lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorizedAccount {
    /// `accountId`.
    pub account_id: String,
    /// `accountName`.
    pub account_name: String,
    /// Whether its `status` is 1 (valid).
    pub valid: bool,
}

/// The accounts of an authorization answer's rows.
pub(crate) fn authorized_accounts(rows: &[Value]) -> Vec<AuthorizedAccount> {
    rows.iter()
        .map(|row| AuthorizedAccount {
            account_id: text_of(row, "accountId").unwrap_or_default(),
            account_name: text_of(row, "accountName").unwrap_or_default(),
            valid: row_is_valid(row),
        })
        .collect()
}

/// A string or number field of a row, as text.
fn text_of(row: &Value, key: &str) -> Option<String> {
    row.get(key).and_then(api::answer_text)
}

fn row_is_valid(row: &Value) -> bool {
    match row.get("status") {
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => s.trim() == "1",
        _ => false,
    }
}

/// The authorization rows for an outer instance id (`push_app_authorize`).
pub(crate) fn authorization_rows(
    transport: &Transport,
    outer_instance_id: &str,
    deadline: Option<Instant>,
) -> Result<Vec<Value>> {
    let params = [("outerInstanceId".to_string(), outer_instance_id.to_string())];
    let data = transport
        .send(&HttpRequest {
            body: Some("{}"),
            deadline,
            ..HttpRequest::new(Method::Post, api::AUTHORIZE, &params)
        })?
        .into_data("authorization (push_app_authorize)")?;
    Ok(match data {
        Value::Array(rows) => rows,
        Value::Object(_) => vec![data],
        _ => Vec::new(),
    })
}

/// Fetches the app key, secret and domain for an outer instance id: from the valid row, or
/// with several valid rows from the one of `account_id`.
pub(crate) fn authorize(
    transport: &Transport,
    outer_instance_id: &str,
    account_id: Option<&str>,
    deadline: Option<Instant>,
) -> Result<AppCredentials> {
    let rows = authorization_rows(transport, outer_instance_id, deadline)?;
    let valid: Vec<&Value> = rows.iter().filter(|row| row_is_valid(row)).collect();
    let describe = |rows: &[&Value]| {
        rows.iter()
            .map(|row| {
                format!(
                    "{} ({})",
                    text_of(row, "accountId").unwrap_or_else(|| "?".into()),
                    text_of(row, "accountName").unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let row = match (account_id, valid.as_slice()) {
        (_, []) => {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the authorization answer lists {} row(s) and none is valid (status 1) for this outer_instance_id; check that the app is authorized for this account in Kingdee",
                    rows.len()
                ),
            ))
        }
        (Some(wanted), _) => match valid
            .iter()
            .find(|row| text_of(row, "accountId").as_deref() == Some(wanted))
        {
            Some(row) => *row,
            None => {
                return Err(Error::config(format!(
                    "`account_id` {wanted} is not among the accounts authorized for this outer_instance_id: {}; set `account_id` to one of them",
                    describe(&valid)
                )))
            }
        },
        (None, [only]) => *only,
        (None, several) => {
            return Err(Error::config(format!(
                "{} accounts are authorized for this outer_instance_id: {}; set `account_id` to the one this till saves members into",
                several.len(),
                describe(several)
            )))
        }
    };
    let field = |key: &str| -> Result<String> {
        match row.get(key).and_then(Value::as_str).map(str::trim) {
            Some(s) if !s.is_empty() && s.len() <= 1024 && s.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(s.to_string())
            }
            Some(s) if !s.is_empty() => Err(Error::new(
                ErrorKind::Server,
                format!("the authorization answer's `{key}` is not printable ASCII, so it cannot be sent; report this to Kingdee"),
            )),
            _ => Err(Error::new(
                ErrorKind::Server,
                format!("the authorization answer's valid row has no `{key}`; try again later"),
            )),
        }
    };
    transport.log(LogLevel::Debug, "app credentials fetched by authorization");
    Ok(AppCredentials {
        app_key: field("appKey")?,
        app_secret: field("appSecret")?,
        domain: field("domain")?,
    })
}
