//! Members: what the library knows about the records it saves and reads.
//!
//! Offline: a member is validated and normalised ([`validation`], reading values as
//! [`values`] says), member queries become parameters ([`queries`]), and the references it
//! gives by name or number are found ([`references`]). Online, through the gateway's
//! engine: those references become ids from the account's lists ([`master_data`]), a save
//! whose answer was lost is looked up before it is sent again ([`recovery`]), and the save
//! itself runs the request loop with that recovery ([`save`]). [`Members`] is what a client
//! (and its background flush) does with members.
//!
//! Uses `gateway`, `kingdee`, `sys`, `config`, `log` and the foundation; used by `outbox`
//! and above.

pub(crate) mod master_data;
pub(crate) mod queries;
pub(crate) mod recovery;
pub(crate) mod references;
pub(crate) mod repeated;
pub(crate) mod save;
pub(crate) mod validation;
pub(crate) mod values;

use crate::error::Result;
use crate::gateway::engine::Engine;
use crate::kingdee::api;
use crate::kingdee::labels::Labels;
use crate::members::master_data::MasterData;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// The member operations of one client: its engine, and the master data that references
/// are resolved against (stores, levels, customers and labels, cached per client).
pub(crate) struct Members {
    engine: Arc<Engine>,
    master: MasterData,
}

impl Members {
    /// The member operations over `engine`, with an empty master-data cache.
    pub fn new(engine: Arc<Engine>) -> Members {
        let master = MasterData::new(engine.config().master_data_ttl);
        Members { engine, master }
    }

    /// The engine every request goes through.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// How saves send labels (`labels` in the configuration).
    pub fn labels(&self) -> Labels {
        self.engine.config().labels
    }

    /// Replaces the references of `member` given by name or number by ids (see
    /// [`MasterData::resolve`]).
    pub fn resolve(&self, member: &mut Map<String, Value>) -> Result<()> {
        self.master.resolve(&self.engine, self.labels(), member)
    }

    /// The stored member if `normalised` is already saved as given, in the shape of a save
    /// answer.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        recovery::stored_as_sent(
            &self.engine,
            normalised,
            Instant::now() + self.engine.deadline(),
        )
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`; `null` when there is none.
    pub fn get(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = queries::detail_query(query)?;
        let mobile = params
            .iter()
            .find(|(k, _)| k == "mobile")
            .map(|(_, v)| v.as_str());
        let answer = self.engine.read(
            api::MEMBER_DETAIL,
            &params,
            "member detail",
            mobile,
            Instant::now() + self.engine.deadline(),
        );
        Ok(recovery::found_member(answer)?.unwrap_or(Value::Null))
    }

    /// A page of members.
    pub fn list(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = queries::list_query(query)?;
        self.engine.read(
            api::MEMBER,
            &params,
            "member list",
            None,
            Instant::now() + self.engine.deadline(),
        )
    }
}
