//! List queries: explicit fields, filters, a stable order and an explicit page length on every
//! request, because Frappe silently defaults to 20 rows and ignores unknown parameters.

use serde_json::Value;

/// Bytes of names in one bulk `in` filter: half of nginx's default `client_max_body_size`
/// (1 MiB), which a reverse proxy in front of ERPNext may keep. The list travels in a POST
/// body (gunicorn's 4094-byte request line does not apply) and MariaDB takes such lists whole.
pub const BULK_IN_BYTES: usize = 512 * 1024;

/// Splits `items` into consecutive batches whose names, as a JSON list, take at most `budget`
/// bytes each (a single longer name makes a batch of its own). Bulk reads batch by size rather
/// than by count, so that a day with short names needs fewer requests and long names never
/// make a body a proxy refuses.
pub fn batches<T>(items: &[T], name: impl Fn(&T) -> &str, budget: usize) -> Vec<&[T]> {
    // A list of n names is 2 brackets, the names and n − 1 commas: 1 + Σ (name + 1).
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 1);
    for (i, item) in items.iter().enumerate() {
        let size = json_len(name(item)) + 1;
        if i > start && bytes + size > budget {
            out.push(&items[start..i]);
            (start, bytes) = (i, 1);
        }
        bytes += size;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// The length of `s` as a JSON string: quotes, escapes for quotes and backslashes, and control
/// characters at their longest escape (serde_json writes other characters as they are).
fn json_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| {
            if b == b'"' || b == b'\\' {
                2
            } else if b < 0x20 {
                6
            } else {
                1
            }
        })
        .sum::<usize>()
}

#[derive(Clone, Debug)]
pub struct ListQuery {
    pub doctype: String,
    pub fields: Vec<String>,
    /// `[field, op, value]` or `[ChildDoctype, field, op, value]`.
    pub filters: Vec<Value>,
    pub order_by: String,
    /// `group by` (with aggregate `fields`); `None`: no grouping.
    pub group_by: Option<String>,
    pub page_length: usize,
    /// Stop after this many rows (`None`: page to the end).
    pub limit: Option<usize>,
    /// For child doctypes listed directly (`parent=Sales Order`).
    pub parent: Option<String>,
}

impl ListQuery {
    pub fn new(doctype: &str, fields: &[&str]) -> Self {
        Self {
            doctype: doctype.to_owned(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            filters: Vec::new(),
            order_by: "name asc".to_owned(),
            group_by: None,
            page_length: 100,
            limit: None,
            parent: None,
        }
    }

    pub fn filter(mut self, field: &str, op: &str, value: impl Into<Value>) -> Self {
        self.filters.push(serde_json::json!([field, op, value.into()]));
        self
    }

    pub fn order_by(mut self, order_by: &str) -> Self {
        self.order_by = order_by.to_owned();
        self
    }

    pub fn group_by(mut self, group_by: &str) -> Self {
        self.group_by = Some(group_by.to_owned());
        self
    }

    pub fn page_length(mut self, n: usize) -> Self {
        self.page_length = n.max(1);
        self
    }

    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self.page_length = self.page_length.min(n.max(1));
        self
    }

    /// The JSON body of `frappe.client.get_list` for the page starting at `start`.
    pub fn body(&self, start: usize) -> Value {
        let mut body = serde_json::json!({
            "doctype": self.doctype,
            "fields": self.fields,
            "filters": self.filters,
            "order_by": self.order_by,
            "limit_start": start,
            "limit_page_length": self.page_length,
        });
        if let Some(parent) = &self.parent {
            body["parent"] = Value::from(parent.clone());
        }
        if let Some(group_by) = &self.group_by {
            body["group_by"] = Value::from(group_by.clone());
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_request_is_explicit() {
        let q = ListQuery::new("Customer", &["name"]).filter("custom_telegram_id", "=", "42").page_length(50);
        let body = q.body(100);
        assert_eq!(
            body,
            serde_json::json!({
                "doctype": "Customer", "fields": ["name"], "filters": [["custom_telegram_id", "=", "42"]],
                "order_by": "name asc", "limit_start": 100, "limit_page_length": 50,
            })
        );
        let grouped = q.group_by("`tabCustomer`.`territory`").body(0);
        assert_eq!(grouped["group_by"], "`tabCustomer`.`territory`");
        assert!(grouped.get("parent").is_none());
    }

    #[test]
    fn bulk_batches_hold_as_many_names_as_fit_the_budget_in_order() {
        let names: Vec<String> = (0..10).map(|i| format!("SO-{i}")).collect();
        // Each name is 6 bytes as JSON, 7 with its comma: 3 names make a list of 22 bytes.
        let batches22 = batches(&names, String::as_str, 22);
        let sizes: Vec<usize> = batches22.iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![3, 3, 3, 1]);
        assert_eq!(batches22.concat(), names);
        for batch in batches22 {
            assert!(serde_json::to_string(batch).map_or(usize::MAX, |s| s.len()) <= 22);
        }
        assert_eq!(batches(&names, String::as_str, 21)[0].len(), 2, "one byte short of three");
        let long = vec!["x".repeat(50), "y".into()];
        assert_eq!(super::batches(&long, String::as_str, 10).len(), 2, "a long name is a batch of its own");
        assert!(super::batches(&Vec::<String>::new(), String::as_str, 10).is_empty());
        assert_eq!(json_len("a\"b\\c\n"), 2 + 1 + 2 + 1 + 2 + 1 + 6);
    }
}
