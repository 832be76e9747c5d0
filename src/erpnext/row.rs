//! One row of a list answer, kept as ERPNext sent it: its fields in order, looked up by name.
//! A list row has a dozen fields at most, so a vector is cheaper to build and to search than a
//! map (no tree per row); documents read whole (`get_doc`) stay maps.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A list row's fields, in the order of the answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row(Vec<(String, Value)>);

/// Field lookup by name, for rows and for the maps of whole documents alike.
pub trait Fields {
    fn field(&self, name: &str) -> Option<&Value>;
}

impl Fields for Row {
    fn field(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl<T: Fields + ?Sized> Fields for &T {
    fn field(&self, name: &str) -> Option<&Value> {
        (**self).field(name)
    }
}

impl Fields for Map<String, Value> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object (one list row)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    fields.push(entry);
                }
                Ok(Row(fields))
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_finds_its_fields_and_refuses_what_is_not_an_object() {
        let row: Row = serde_json::from_value(json!({"name": "SO-1", "total": 12.5, "note": null})).unwrap_or_default();
        assert_eq!(row.field("name"), Some(&json!("SO-1")));
        assert_eq!(row.field("total"), Some(&json!(12.5)));
        assert_eq!(row.field("note"), Some(&Value::Null));
        assert_eq!(row.field("missing"), None);
        assert!(serde_json::from_value::<Row>(json!(["not", "a", "row"])).is_err());
        let map = json!({"a": 1}).as_object().cloned().unwrap_or_default();
        assert_eq!(map.field("a"), Some(&json!(1)), "document maps answer alike");
    }
}
