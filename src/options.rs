//! Reading a JSON options object (batch and flush options, a generic call, an outbox query,
//! the configuration, a member query): every key checked against the known ones, an unknown
//! one named with the closest known key ("did you mean"), each value checked against its
//! type and range, and every problem collected, so that one error names them all.
//!
//! Foundation: uses only `error` and `input`.

use crate::error::{Error, FieldError, Result};
use crate::input;
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

/// The keys of `map` that are not in `known`, in the map's order.
pub(crate) fn unknown_keys<'m>(
    map: &'m Map<String, Value>,
    known: &'m [&str],
) -> impl Iterator<Item = &'m str> + 'm {
    map.keys()
        .map(String::as_str)
        .filter(|key| !known.contains(key))
}

/// "unknown field `x`; did you mean `y`?" for every key of `map` not in `known`.
pub(crate) fn unknown_key_errors(map: &Map<String, Value>, known: &[&str]) -> Vec<FieldError> {
    unknown_key_errors_where(map, |key| known.contains(&key), known)
}

/// [`unknown_key_errors`] with `is_known` deciding which keys are known: the compiler turns a
/// look-up in a table fixed at compile time (the member fields) into faster code than a
/// search of its names, and validation runs for every member (`benches/core.rs`).
pub(crate) fn unknown_key_errors_where(
    map: &Map<String, Value>,
    is_known: impl Fn(&str) -> bool,
    known: &[&str],
) -> Vec<FieldError> {
    map.keys()
        .filter(|key| !is_known(key))
        .map(|key| FieldError::new(key.as_str(), input::unknown_key_message(key, known)))
        .collect()
}

/// Reads one options object and collects what is wrong with it.
pub(crate) struct Reader<'a> {
    map: &'a Map<String, Value>,
    problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// A reader of `map` that has found nothing wrong yet.
    pub fn new(map: &'a Map<String, Value>) -> Reader<'a> {
        Reader {
            map,
            problems: Vec::new(),
        }
    }

    /// Names every key that is not in `known`, with the closest known one.
    pub fn unknown_keys(&mut self, known: &[&str]) {
        self.problems.extend(unknown_key_errors(self.map, known));
    }

    /// The value of `key`; None when it is absent or null.
    pub fn given(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The value of `key` as given, null included.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Notes a problem with `field`.
    pub fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(FieldError::new(field, message));
    }

    /// A whole number in `range`; None when absent or null, and None with `expected` noted
    /// as the problem when it is anything else.
    pub fn whole(
        &mut self,
        key: &str,
        range: RangeInclusive<u64>,
        expected: impl Into<String>,
    ) -> Option<u64> {
        self.checked(key, expected, |v| v.as_u64().filter(|n| range.contains(n)))
    }

    /// A number in `range`; None when absent or null, and None with `expected` noted as the
    /// problem when it is anything else.
    pub fn number(
        &mut self,
        key: &str,
        range: RangeInclusive<f64>,
        expected: impl Into<String>,
    ) -> Option<f64> {
        self.checked(key, expected, |v| v.as_f64().filter(|n| range.contains(n)))
    }

    /// `true` or `false`; None when absent or null, and None with `expected` noted as the
    /// problem when it is anything else.
    pub fn boolean(&mut self, key: &str, expected: impl Into<String>) -> Option<bool> {
        self.checked(key, expected, Value::as_bool)
    }

    /// What `read` makes of the value of `key`; None when absent or null, and None with
    /// `expected` noted as the problem when `read` makes nothing of it.
    fn checked<T>(
        &mut self,
        key: &str,
        expected: impl Into<String>,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Option<T> {
        let found = read(self.given(key)?);
        if found.is_none() {
            self.problem(key, expected);
        }
        found
    }

    /// The problems found, in the order they were.
    pub fn into_problems(self) -> Vec<FieldError> {
        self.problems
    }

    /// `value` when nothing was wrong, else one validation error about `what` that names
    /// every problem.
    pub fn finish<T>(self, what: &str, value: T) -> Result<T> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(Error::validation(what, self.problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn every_problem_is_named_in_the_order_found() {
        let options = map(json!({"count": 0, "rtae": 1, "rate": "fast", "on": 1, "none": null}));
        let mut r = Reader::new(&options);
        r.unknown_keys(&["count", "rate", "on", "none"]);
        assert_eq!(r.whole("count", 1..=9, "must be 1 to 9"), None);
        assert_eq!(r.number("rate", 0.5..=2.0, "must be a rate"), None);
        assert_eq!(r.boolean("on", "must be true or false"), None);
        assert_eq!(r.whole("none", 1..=9, "unused"), None, "null is absent");
        let e = r.finish("options", ()).unwrap_err();
        let named: Vec<(&str, &str)> = e
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("rtae", "unknown field `rtae`; did you mean `rate`?"),
                ("count", "must be 1 to 9"),
                ("rate", "must be a rate"),
                ("on", "must be true or false"),
            ]
        );
    }

    #[test]
    fn good_values_pass() {
        let options = map(json!({"count": 3, "rate": 1.5, "on": true}));
        let mut r = Reader::new(&options);
        r.unknown_keys(&["count", "rate", "on"]);
        let read = (
            r.whole("count", 1..=9, "x"),
            r.number("rate", 0.5..=2.0, "x"),
            r.boolean("on", "x"),
        );
        assert_eq!(
            r.finish("options", read).unwrap(),
            (Some(3), Some(1.5), Some(true))
        );
    }
}
