//! The client: configuration, one connection pool, one token cache, and the member
//! operations. `Client` is `Send + Sync`; share one per process.

use crate::batch::Pacer;
use crate::config::Config;
use crate::error::Result;
use crate::member;
use crate::token::Session;
use crate::transport::{is_token_error, AppRoute, Call, Method, Transport, APP_SECRET_ROTATED};
use serde_json::{Map, Value};

pub const MEMBER_PATH: &str = "/jdy/v2/ls/member";
pub const MEMBER_DETAIL_PATH: &str = "/jdy/v2/ls/member_detail";

pub struct Client {
    transport: Transport,
    session: Session,
}

impl Client {
    pub fn new(config: Config) -> Result<Client> {
        Ok(Client {
            transport: Transport::new(&config)?,
            session: Session::new(config.app_source),
        })
    }

    /// A client from configuration JSON text.
    pub fn from_json(config_json: &str) -> Result<Client> {
        Client::new(Config::from_json(config_json)?)
    }

    /// Validates `member` offline, then saves it; `data` is Kingdee's answer.
    pub fn save_member(&self, member: &Map<String, Value>) -> Result<Value> {
        let normalised = member::validate(member)?;
        self.save_normalised(&normalised, None)
    }

    /// Saves a member that `member::validate` already normalised, waiting for `pacer`
    /// before each request when given.
    pub fn save_normalised(
        &self,
        normalised: &Map<String, Value>,
        pacer: Option<&Pacer>,
    ) -> Result<Value> {
        let body = serde_json::to_string(normalised).map_err(|e| {
            crate::Error::internal(format!("a member could not be serialised: {e}"))
        })?;
        self.business_call(
            Method::Post,
            MEMBER_PATH,
            &[],
            Some(&body),
            "member save",
            pacer,
        )
    }

    /// The stored member if `normalised` is already saved exactly as given: looked up by
    /// mobile, every sent field compared. For saves that may or may not have taken effect
    /// (an import cut off mid-request), so that they are never sent twice.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        let Some(mobile) = normalised.get("mobile") else {
            return Ok(None);
        };
        let mut query = Map::new();
        query.insert("mobile".into(), mobile.clone());
        let stored = self.get_member(&query)?;
        let same = stored.as_object().is_some_and(|stored| {
            normalised.iter().all(|(key, sent)| match stored.get(key) {
                Some(kept) => kept == sent,
                None => sent.is_null(),
            })
        });
        Ok(same.then_some(stored))
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`.
    pub fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::detail_query(query)?;
        self.business_call(
            Method::Get,
            MEMBER_DETAIL_PATH,
            &params,
            None,
            "member detail",
            None,
        )
    }

    /// A page of members.
    pub fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::list_query(query)?;
        self.business_call(Method::Get, MEMBER_PATH, &params, None, "member list", None)
    }

    /// A call with the app-token. A token rejection happens at the gateway, before the call
    /// is routed, so retrying once with a fresh token can never apply a save twice.
    fn business_call(
        &self,
        method: Method,
        path: &str,
        params: &[(String, String)],
        body: Option<&str>,
        what: &str,
        pacer: Option<&Pacer>,
    ) -> Result<Value> {
        let mut token_refreshed = false;
        let mut reauthorized = false;
        loop {
            let token = self.session.token(&self.transport)?;
            if let Some(pacer) = pacer {
                pacer.wait();
            }
            let reply = self.transport.send(&Call {
                method,
                path,
                params,
                body,
                route: Some(AppRoute {
                    token: token.value(),
                    domain: &token.app.domain,
                }),
            })?;
            match reply.into_data(what) {
                Err(e) if e.errcode.is_some_and(is_token_error) && !token_refreshed => {
                    token_refreshed = true;
                    self.session.invalidate_token(&token);
                }
                Err(e)
                    if e.errcode == Some(APP_SECRET_ROTATED)
                        && !reauthorized
                        && self.session.can_reauthorize() =>
                {
                    reauthorized = true;
                    self.session.invalidate_app(&token);
                }
                other => return other,
            }
        }
    }
}
