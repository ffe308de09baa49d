//! The offline check of every record of a file, as it would be sent: the library's member
//! rules, and a later record with the mobile of an earlier one refused in favour of the
//! first.

use super::Records;
use jdy_member::Error;
use serde_json::{Map, Value};

/// Every record checked offline, as it would be sent: a record that cannot be read, a
/// member that breaks a field rule, and a later row with the mobile of an earlier one
/// ("same mobile as line 6": the first is saved, whatever the concurrency) are errors.
pub fn check(records: &Records) -> Vec<Result<Map<String, Value>, Error>> {
    let checked: Vec<Result<Map<String, Value>, Error>> = records
        .records
        .iter()
        .map(|record| match &record.member {
            Ok(member) => jdy_member::member::validate(member),
            Err(problem) => Err(Error::invalid_argument(problem.clone())),
        })
        .collect();
    jdy_member::batch::refuse_repeated_mobiles(checked, |first| {
        records.records[first].location(records.format)
    })
}
