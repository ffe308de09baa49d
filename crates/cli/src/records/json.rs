//! JSON input: JSON lines (one member object per line, numbered by line) and a JSON file
//! (an array of member objects numbered by item, or one object). Values are passed through
//! untouched, without the spreadsheet conveniences; anything but an object is a bad record.
//! Both are read as a stream: a line, or an item of the array, at a time. A mapping
//! (`--map`) renames or leaves out keys (`json_keys`).

use super::column_map::ColumnMap;
use super::decode_stream::DecodeReader;
use super::json_keys::{self, KeySurvey};
use super::{FileRecord, Format};
use jdy_member::input::json_type_name;
use jdy_member::Error;
use serde::de::{self, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::BufRead;

/// The first pass over a JSON file (`format`: JSON lines or JSON): how many records it
/// holds, and what makes `map` unusable for it (nothing without a mapping: its lines are
/// then only counted).
pub(super) fn first_pass(
    text: &mut DecodeReader<'_>,
    format: Format,
    map: &ColumnMap,
) -> Result<(usize, Vec<String>), Error> {
    let lines = format == Format::JsonLines;
    if map.is_empty() {
        let count = if lines {
            each_line_record(text, None, map)?
        } else {
            each_item_record(text, None, map)?
        };
        return Ok((count, Vec::new()));
    }
    let mut keys = KeySurvey::new(map);
    let mut note = |record: FileRecord| {
        keys.note(map, record.number, &record.source);
        Ok(())
    };
    let count = if lines {
        each_line_record(text, Some(&mut note), map)?
    } else {
        each_item_record(text, Some(&mut note), map)?
    };
    let noun = if lines { "line" } else { "item" };
    Ok((count, keys.problems(map, |n| format!("{noun} {n}"))))
}

/// Hands `each` the record of every non-blank line of JSON lines text, in file order (none
/// when `each` is None: the first pass only counts them); returns how many there were.
pub(super) fn each_line_record(
    text: &mut DecodeReader<'_>,
    mut each: Option<&mut dyn FnMut(FileRecord) -> Result<(), Error>>,
    map: &ColumnMap,
) -> Result<usize, Error> {
    let mut line = Vec::new();
    let (mut number, mut count) = (0, 0);
    loop {
        line.clear();
        let read = text
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::invalid_argument(format!("the file could not be read ({e})")))?;
        if read == 0 {
            return Ok(count);
        }
        number += 1;
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        // The decoder gives UTF-8, and a line ends at a whole character.
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        count += 1;
        if let Some(each) = each.as_mut() {
            each(line_record(number, &text, map))?;
        }
    }
}

/// The record of the JSON line `line` (1-based `number`).
fn line_record(number: usize, line: &str, map: &ColumnMap) -> FileRecord {
    match serde_json::from_str::<Value>(line) {
        Ok(value) => json_record(number, value, "put one member object on each line", map),
        Err(e) => FileRecord {
            number,
            member: Err(format!(
                "is not valid JSON ({e}); put one member object on each line"
            )),
            source: Value::from(line),
        },
    }
}

/// Hands `each` the record of every item of a JSON file's array, or of its one object, in
/// order (none when `each` is None: the first pass only checks and counts them); returns how
/// many there were. Only one item is held at a time.
pub(super) fn each_item_record(
    text: &mut DecodeReader<'_>,
    each: Option<&mut dyn FnMut(FileRecord) -> Result<(), Error>>,
    map: &ColumnMap,
) -> Result<usize, Error> {
    let mut items = Items {
        each,
        map,
        count: 0,
        stopped: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(text);
    let parsed = (&mut deserializer)
        .deserialize_any(&mut items)
        .and_then(|()| deserializer.end());
    if let Some(error) = items.stopped {
        return Err(error);
    }
    parsed.map_err(|e| {
        Error::invalid_argument(format!(
            "the file is not valid JSON ({e}); give an array of member objects or one object, or name the file .jsonl if it holds one object per line"
        ))
    })?;
    Ok(items.count)
}

/// A record from a parsed JSON value, passed through as-is but for the keys `map` names;
/// non-objects are refused.
fn json_record(number: usize, value: Value, advice: &str, map: &ColumnMap) -> FileRecord {
    let member = match &value {
        Value::Object(object) if map.is_empty() => Ok(object.clone()),
        Value::Object(object) => json_keys::rename(map, object),
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

/// Takes a JSON file's top value: the items of an array one by one, or one object.
struct Items<'e, 'm> {
    each: Option<&'e mut dyn FnMut(FileRecord) -> Result<(), Error>>,
    map: &'m ColumnMap,
    count: usize,
    /// Why reading stopped, when it was not the JSON: the file holds no array or object, or
    /// `each` failed.
    stopped: Option<Error>,
}

impl Items<'_, '_> {
    fn take(&mut self, value: Value, advice: &str) -> Result<(), Error> {
        self.count += 1;
        match self.each.as_mut() {
            Some(each) => each(json_record(self.count, value, advice, self.map)),
            None => Ok(()),
        }
    }

    /// Stops at a top value that is neither an array nor an object.
    fn not_members<E: de::Error>(&mut self, value: &Value) -> Result<(), E> {
        self.stopped = Some(Error::invalid_argument(format!(
            "the JSON file holds {}, not an array of member objects or one object; wrap the members in [ ]",
            json_type_name(value)
        )));
        Err(E::custom("not an array or an object"))
    }
}

impl<'de> Visitor<'de> for &mut Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of member objects or one member object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            if let Err(error) = self.take(item, "every item must be a member object") {
                self.stopped = Some(error);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut object = Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        if let Err(error) = self.take(Value::Object(object), "every item must be a member object") {
            self.stopped = Some(error);
            return Err(de::Error::custom("stopped"));
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.not_members(&Value::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.not_members(&Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.not_members(&Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.not_members(&Value::from(v))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_members(&Value::from(""))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_members(&Value::Null)
    }
}
