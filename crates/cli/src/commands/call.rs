//! `jdy-member call`: any other JDY API through the same signed client, its query given as
//! key=value pairs and a POST's body as a JSON file.

use crate::args::CallArgs;
use crate::commands::read_input;
use crate::output::{Exit, Output};
use crate::session::Session;
use jdy_member::Error;
use serde_json::{Map, Value};

pub fn run(session: &Session, args: &CallArgs, out: &Output) -> Result<Exit, Error> {
    let mut query = Map::new();
    for pair in &args.params {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::invalid_argument(format!(
                "query parameter `{pair}` is not key=value; write them like page=1"
            )));
        };
        query.insert(key.to_string(), Value::from(value));
    }
    let mut request = serde_json::json!({"method": args.method, "path": args.path, "query": query, "idempotent": args.idempotent});
    if let Some(file) = &args.body {
        let text = read_input(file)?;
        let body: Value =
            serde_json::from_str(jdy_member::input::without_bom(&text)).map_err(|e| {
                Error::invalid_argument(format!("the body in {file} is not JSON ({e})"))
            })?;
        request["body"] = body;
    }
    let data = session
        .client
        .call(request.as_object().unwrap_or(&Map::new()))?;
    out.data(&data);
    Ok(Exit::Ok)
}
