//! `jdy-member list`: one page of members, or (`--all`) every page joined.

use crate::args::ListArgs;
use crate::output::{Exit, Output};
use crate::session::Session;
use jdy_member::{api, Error};
use serde_json::{Map, Value};

pub fn run(session: &Session, args: &ListArgs, out: &Output) -> Result<Exit, Error> {
    let mut query = Map::new();
    if let Some(name) = &args.name {
        query.insert("name".into(), name.as_str().into());
    }
    if !args.all {
        if let Some(page) = args.page {
            query.insert("page".into(), page.into());
        }
        if let Some(size) = args.page_size {
            query.insert("page_size".into(), size.into());
        }
        out.data(&session.client.list_members(&query)?);
        return Ok(Exit::Ok);
    }
    query.insert(
        "page_size".into(),
        args.page_size.unwrap_or(api::MAX_PAGE_SIZE).into(),
    );
    out.data(&Value::Array(every_page(session, query)?));
    Ok(Exit::Ok)
}

/// The rows of every page, until an empty page or the last one the gateway counts.
fn every_page(session: &Session, mut query: Map<String, Value>) -> Result<Vec<Value>, Error> {
    let mut rows = Vec::new();
    for page in 1u64.. {
        query.insert("page".into(), page.into());
        let data = session.client.list_members(&query)?;
        let (page_rows, last) = api::page_rows(&data, page);
        rows.extend_from_slice(page_rows);
        if last {
            break;
        }
    }
    Ok(rows)
}
