//! A mapping (`--map`, `--map-file`) applied to JSON members, where a "header" is a key of
//! the member objects: a mapped key is renamed to its field, or left out (`KEY=-`). Keys the
//! mapping does not name pass through untouched, as JSON always does. The first pass checks
//! the mapping against the whole file, keeping only a flag an entry and the first clash, so a
//! mapping that names no key of the file, or gives a field twice in one member, is refused
//! before anything is sent.

use super::column_map::ColumnMap;
use serde_json::{Map, Value};

/// `object` with its keys mapped; an error when two of its keys give one field.
pub(super) fn rename(
    map: &ColumnMap,
    object: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut member = Map::new();
    // The key each field came from, for the message about a clash.
    let mut sources: Vec<(String, &str)> = Vec::new();
    for (key, value) in object {
        let name = match map.entry_for(key) {
            Some(entry) => match entry.field {
                Some(field) => field.to_string(),
                None => continue,
            },
            None => key.clone(),
        };
        if let Some((_, first)) = sources.iter().find(|(n, _)| *n == name) {
            return Err(format!(
                "`{first}` and `{key}` both give `{name}` under the mapping; keep one of them (--map {key}=- leaves a key out)"
            ));
        }
        sources.push((name.clone(), key));
        member.insert(name, value.clone());
    }
    Ok(member)
}

/// What the first pass learns of the mapping from every member of a JSON file.
#[derive(Debug, Clone)]
pub(super) struct KeySurvey {
    /// Whether some member has the key each entry of the mapping names.
    seen: Vec<bool>,
    /// The first member whose keys clash under the mapping: its number and the clash.
    clash: Option<(usize, String)>,
}

impl KeySurvey {
    pub fn new(map: &ColumnMap) -> KeySurvey {
        KeySurvey {
            seen: vec![false; map.entries.len()],
            clash: None,
        }
    }

    /// Notes the keys of record `number` (its value as the file has it).
    pub fn note(&mut self, map: &ColumnMap, number: usize, source: &Value) {
        let Value::Object(object) = source else {
            return;
        };
        for key in object.keys() {
            if let Some(entry) = map.entry_for(key) {
                if let Some(at) = map.entries.iter().position(|e| e == entry) {
                    self.seen[at] = true;
                }
            }
        }
        if self.clash.is_none() {
            if let Err(clash) = rename(map, object) {
                self.clash = Some((number, clash));
            }
        }
    }

    /// What makes the mapping unusable for the file, each saying what to do.
    pub fn problems(&self, map: &ColumnMap, location: impl Fn(usize) -> String) -> Vec<String> {
        let mut problems: Vec<String> = map
            .entries
            .iter()
            .zip(&self.seen)
            .filter(|(_, seen)| !**seen)
            .map(|(entry, _)| {
                format!(
                    "the mapping (--map or --map-file) names `{}`, which no member of the file has as a key; give the keys as the file has them",
                    entry.header
                )
            })
            .collect();
        if let Some((number, clash)) = &self.clash {
            problems.push(format!("{}: {clash}", location(*number)));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(entries: &[(&str, Option<&'static str>)]) -> ColumnMap {
        let mut map = ColumnMap::default();
        for (header, field) in entries {
            map.set(header.to_string(), *field);
        }
        map
    }

    #[test]
    fn keys_are_renamed_or_left_out_and_a_clash_is_refused() {
        let map = mapping(&[("tel", Some("mobile")), ("积分", None)]);
        let object = json!({"tel": "13800138000", "name": "张三", "积分": 5});
        let renamed = rename(&map, object.as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(renamed),
            json!({"mobile": "13800138000", "name": "张三"})
        );
        let clash = json!({"tel": "13800138000", "mobile": "13900139000"});
        let e = rename(&map, clash.as_object().unwrap()).unwrap_err();
        assert!(e.contains("both give `mobile`"), "{e}");

        let mut survey = KeySurvey::new(&map);
        survey.note(&map, 1, &object);
        survey.note(&map, 2, &json!([1]));
        assert!(survey.problems(&map, |n| format!("line {n}")).is_empty());
        let mut survey = KeySurvey::new(&map);
        survey.note(&map, 3, &clash);
        let problems = survey.problems(&map, |n| format!("line {n}"));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("names `积分`, which no member"),
            "{problems:?}"
        );
        assert!(problems[1].starts_with("line 3: "), "{problems:?}");
    }
}
