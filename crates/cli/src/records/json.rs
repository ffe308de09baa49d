//! JSON input: JSON lines (one member object per line, numbered by line) and a JSON file
//! (an array of member objects numbered by item, or one object). Values are passed through
//! untouched, without the spreadsheet conveniences; anything but an object is a bad record.

use super::FileRecord;
use jdy_member::input::json_type_name;
use jdy_member::Error;
use serde_json::Value;

/// The records of JSON lines text, in file order; blank lines are skipped.
pub(super) fn line_records(text: &str) -> Result<impl Iterator<Item = FileRecord> + '_, Error> {
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let number = index + 1;
            match serde_json::from_str::<Value>(line) {
                Ok(value) => json_record(number, value, "put one member object on each line"),
                Err(e) => FileRecord {
                    number,
                    member: Err(format!(
                        "is not valid JSON ({e}); put one member object on each line"
                    )),
                    source: Value::from(line),
                },
            }
        }))
}

/// The records of a JSON file: the items of its array, or its one object.
pub(super) fn array_records(text: &str) -> Result<impl Iterator<Item = FileRecord>, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid_argument(format!(
            "the file is not valid JSON ({e}); give an array of member objects or one object, or name the file .jsonl if it holds one object per line"
        ))
    })?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        other => {
            return Err(Error::invalid_argument(format!(
                "the JSON file holds {}, not an array of member objects or one object; wrap the members in [ ]",
                json_type_name(&other)
            )))
        }
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(index, item)| json_record(index + 1, item, "every item must be a member object")))
}

/// A record from a parsed JSON value, passed through as-is; non-objects are refused.
fn json_record(number: usize, value: Value, advice: &str) -> FileRecord {
    let member = match &value {
        Value::Object(map) => Ok(map.clone()),
        other => Err(format!(
            "is {}, not a JSON object; {advice}",
            json_type_name(other)
        )),
    };
    FileRecord {
        number,
        member,
        source: value,
    }
}
