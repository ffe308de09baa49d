//! A mapping of a file's columns to member fields, given by the person importing:
//! `--map HEADER=FIELD` (repeatable; `HEADER=-` leaves the column out), `--map-file FILE` (a
//! JSON object, header to field or null), the import page's drop-downs, and what
//! `--save-map FILE` writes after a run so that the next export of the same POS imports
//! with no questions. A field is named by its API name or its Chinese label. In JSON files
//! a "header" is a key of the member objects.
//!
//! A mapping always wins over the header table. It names a column by its header exactly,
//! or else as the header table compares headers (`电话` names a column headed `电话（必填）`).

use jdy_member::fields::member_field_names;
use jdy_member::headers::{self, normalise};
use jdy_member::input::nearest;
use jdy_member::Error;
use serde_json::Value;
use std::path::Path;

/// What a mapping says of one column: the field it goes to, or None to leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub header: String,
    pub field: Option<&'static str>,
}

/// Columns mapped to fields, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub entries: Vec<MapEntry>,
}

impl ColumnMap {
    /// The mapping of `--map-file` (if any) and then `--map`, which wins for a header both
    /// name.
    pub fn from_args(map: &[String], map_file: Option<&Path>) -> Result<ColumnMap, Error> {
        let mut mapping = match map_file {
            Some(path) => ColumnMap::read(path)?,
            None => ColumnMap::default(),
        };
        let mut given = ColumnMap::default();
        for entry in map {
            let entry = parse_entry(entry)?;
            if given.entries.iter().any(|e| e.header == entry.header) {
                return Err(Error::invalid_argument(format!(
                    "--map names `{}` twice; give each header once",
                    entry.header
                )));
            }
            given.entries.push(entry);
        }
        for entry in given.entries {
            mapping.set(entry.header, entry.field);
        }
        Ok(mapping)
    }

    /// The mapping in a `--map-file`: a JSON object, header to field name or null.
    pub fn read(path: &Path) -> Result<ColumnMap, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_argument(format!(
                "the mapping file `{}` cannot be read ({e}); check the path (it is what --save-map wrote)",
                path.display()
            ))
        })?;
        ColumnMap::from_json(&text).map_err(|problem| {
            Error::invalid_argument(format!(
                "the mapping file `{}` is not usable: {problem}",
                path.display()
            ))
        })
    }

    /// The mapping a JSON object gives: `{"电话": "mobile", "积分": null}`.
    pub fn from_json(text: &str) -> Result<ColumnMap, String> {
        let text = jdy_member::input::without_bom(text);
        let object = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Err("it must be one JSON object, header to field name or null, like {\"电话\": \"mobile\", \"积分\": null}".into()),
            Err(e) => return Err(format!("it is not valid JSON ({e})")),
        };
        let mut mapping = ColumnMap::default();
        for (header, value) in object {
            let field = match &value {
                Value::Null => None,
                Value::String(name) if name.trim() == "-" => None,
                Value::String(name) => Some(field_of(name).map_err(|e| format!("`{header}`: {e}"))?),
                other => {
                    return Err(format!(
                        "`{header}` maps to {}; give a field name (mobile, 手机号, ...) or null to leave the column out",
                        jdy_member::input::json_type_name(other)
                    ))
                }
            };
            mapping.set(header, field);
        }
        Ok(mapping)
    }

    /// Maps `header` to `field` (None: leave it out), replacing what was said of it.
    pub fn set(&mut self, header: String, field: Option<&'static str>) {
        match self.entries.iter_mut().find(|e| e.header == header) {
            Some(entry) => entry.field = field,
            None => self.entries.push(MapEntry { header, field }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the mapping says of the column headed `header`: the entry that names it exactly,
    /// else one that names it as the header table compares headers.
    pub fn entry_for(&self, header: &str) -> Option<&MapEntry> {
        let header = header.trim();
        if header.is_empty() {
            return None;
        }
        self.entries
            .iter()
            .find(|e| e.header.trim() == header)
            .or_else(|| {
                let bare = normalise(header);
                self.entries
                    .iter()
                    .find(|e| !bare.is_empty() && normalise(&e.header) == bare)
            })
    }

    /// The entries that name none of `headers`: an error, so a misspelt header shows.
    pub fn unused<'a, S: AsRef<str>>(&'a self, headers: &[S]) -> Vec<&'a MapEntry> {
        self.entries
            .iter()
            .filter(|entry| {
                !headers
                    .iter()
                    .any(|h| self.entry_for(h.as_ref()).is_some_and(|e| e == *entry))
            })
            .collect()
    }

    /// The mapping as `--save-map` writes it: a JSON object, one header a line, in order.
    pub fn to_json_text(&self) -> String {
        let lines: Vec<String> = self
            .entries
            .iter()
            .map(|e| {
                format!(
                    "  {}: {}",
                    Value::from(e.header.as_str()),
                    e.field.map_or(Value::Null, Value::from)
                )
            })
            .collect();
        if lines.is_empty() {
            return "{}\n".to_string();
        }
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// Writes the mapping to `path` (`--save-map`).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.to_json_text()).map_err(|e| {
            Error::invalid_argument(format!(
                "the mapping could not be written to `{}` ({e}); check the folder exists and is writable",
                path.display()
            ))
        })
    }
}

/// One `--map HEADER=FIELD` (or `HEADER=-`).
fn parse_entry(text: &str) -> Result<MapEntry, Error> {
    let Some((header, field)) = text.rsplit_once('=') else {
        return Err(Error::invalid_argument(format!(
            "--map `{text}` has no `=`; write --map HEADER=FIELD (e.g. --map 电话=mobile), or --map HEADER=- to leave a column out"
        )));
    };
    let header = header.trim();
    if header.is_empty() {
        return Err(Error::invalid_argument(format!(
            "--map `{text}` names no header; write --map HEADER=FIELD"
        )));
    }
    let field = match field.trim() {
        "-" => None,
        name => Some(
            field_of(name).map_err(|e| Error::invalid_argument(format!("--map `{text}`: {e}")))?,
        ),
    };
    Ok(MapEntry {
        header: header.to_string(),
        field,
    })
}

/// The API name of the field `name` names (its API name or Chinese label).
fn field_of(name: &str) -> Result<&'static str, String> {
    if let Some(field) = headers::field_named(name) {
        return Ok(field.name);
    }
    // A header of the table (手机) names its field too: say which name to use.
    let meant = headers::meaning(name)
        .field()
        .map(|f| f.name)
        .or_else(|| nearest(name, &member_field_names()));
    Err(match meant {
        Some(field) => format!("`{name}` is no member field; did you mean `{field}`? Name a field by its API name or its Chinese label"),
        None => format!(
            "`{name}` is no member field; name one by its API name or its Chinese label: {}",
            member_field_names().join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(args: &[&str]) -> Result<ColumnMap, Error> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        ColumnMap::from_args(&args, None)
    }

    #[test]
    fn entries_name_fields_by_api_name_or_label() {
        let mapping = map(&["电话=mobile", "名称 = 姓名", "积分=-", "a=b=Sex_Group"]).unwrap();
        let fields: Vec<_> = mapping
            .entries
            .iter()
            .map(|e| (e.header.as_str(), e.field))
            .collect();
        assert_eq!(
            fields,
            [
                ("电话", Some("mobile")),
                ("名称", Some("name")),
                ("积分", None),
                ("a=b", Some("sex_group"))
            ]
        );
        let e = map(&["电话=手机"]).unwrap_err();
        assert!(
            e.message.contains("did you mean `mobile`?"),
            "{}",
            e.message
        );
        let e = map(&["电话=moblie"]).unwrap_err();
        assert!(
            e.message.contains("did you mean `mobile`?"),
            "{}",
            e.message
        );
        for bad in ["电话", "=mobile"] {
            assert!(map(&[bad]).is_err(), "{bad}");
        }
        assert!(map(&["电话=mobile", "电话=-"]).is_err(), "a header twice");
    }

    #[test]
    fn a_header_is_named_exactly_or_as_the_table_compares_headers() {
        let mapping = map(&["电话=mobile", "姓名（必填）=-"]).unwrap();
        assert_eq!(mapping.entry_for(" 电话 ").unwrap().field, Some("mobile"));
        assert_eq!(
            mapping.entry_for("电话（必填）").unwrap().field,
            Some("mobile")
        );
        assert_eq!(mapping.entry_for("*姓名").unwrap().field, None);
        assert!(mapping.entry_for("手机").is_none());
        let headers = ["电话（必填）".to_string(), "手机".to_string()];
        let unused: Vec<_> = mapping
            .unused(&headers)
            .iter()
            .map(|e| e.header.clone())
            .collect();
        assert_eq!(unused, ["姓名（必填）"]);
    }

    #[test]
    fn the_saved_json_reads_back() {
        let mapping = map(&["手机=mobile", "积分=-", "备注\"x=remark"]).unwrap();
        let text = mapping.to_json_text();
        assert_eq!(
            text,
            "{\n  \"手机\": \"mobile\",\n  \"积分\": null,\n  \"备注\\\"x\": \"remark\"\n}\n"
        );
        let back = ColumnMap::from_json(&text).unwrap();
        for entry in &mapping.entries {
            assert_eq!(back.entry_for(&entry.header), Some(entry));
        }
        assert!(ColumnMap::from_json("[1]").is_err());
        assert!(ColumnMap::from_json("{\"a\": 1}")
            .unwrap_err()
            .contains("a number"));
        assert!(ColumnMap::from_json("{\"a\": \"nope\"}")
            .unwrap_err()
            .contains("`a`"));
        assert_eq!(ColumnMap::default().to_json_text(), "{}\n");
    }
}
