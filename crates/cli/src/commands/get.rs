//! `jdy-member get`: one member by mobile or id; exit 7 when there is none.

use crate::args::GetArgs;
use crate::output::{Exit, Output};
use crate::session::Session;
use jdy_member::{Error, ErrorKind};
use serde_json::Map;

pub fn run(session: &Session, args: &GetArgs, out: &Output) -> Result<Exit, Error> {
    let mut query = Map::new();
    match (&args.mobile, &args.id) {
        (Some(mobile), _) => query.insert("mobile".into(), mobile.as_str().into()),
        (None, Some(id)) => query.insert("id".into(), id.as_str().into()),
        (None, None) => None,
    };
    let data = session.client.get_member(&query)?;
    if data.is_null() {
        out.error(&Error::new(
            ErrorKind::Api,
            "no member matches that query; check the mobile or id",
        ));
        return Ok(Exit::NotFound);
    }
    out.data(&data);
    Ok(Exit::Ok)
}
