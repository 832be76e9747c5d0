//! List queries: explicit fields, filters, a stable order and an explicit page length on every
//! request, because Frappe silently defaults to 20 rows and ignores unknown parameters.

use serde_json::Value;

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
}
