//! The Customer operations of linking (F1), auto-login (F2) and logout (F10), with the
//! doctype and field names from configuration.

use serde_json::{Value, json};

use super::{ErpClient, ErpError, Fields, ListQuery, Row};
use crate::config::ErpSchema;
use crate::conversation::{CustomerRecord, passport::Passport};

/// The standard Check field of a disabled Customer (erpnext/selling/doctype/customer/
/// customer.json `disabled`, 0 or 1). Optional: a site's own customer doctype may lack it.
pub const DISABLED: &str = "disabled";

/// Outcome of writing the link field.
#[derive(Debug)]
pub enum LinkWrite {
    Written,
    /// The field holds another Telegram id, or ERPNext's unique check refused the value.
    Clash,
}

impl ErpClient {
    fn customer_fields(&self) -> Vec<String> {
        let s = self.schema();
        let mut fields = vec![
            "name".to_owned(),
            s.customer_name_field.clone(),
            s.passport_field.clone(),
            s.telegram_field.clone(),
            DISABLED.to_owned(),
        ];
        for f in &s.phone_fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
        fields
    }

    /// The customers whose `field` matches (`op`, `value`), at most `limit`, with the fields a
    /// record needs; more than one is a data problem in ERPNext (the fields are unique), logged.
    async fn customers_where(&self, field: &str, op: &str, value: Value, limit: usize) -> Result<Vec<Row>, ErpError> {
        let fields = self.customer_fields();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let query = ListQuery::new(&self.schema().customer_doctype, &fields).filter(field, op, value).limit(limit);
        let rows: Vec<Row> = self.list(&query).await?;
        if rows.len() > 1 {
            tracing::warn!(erp.doctype = %query.doctype, field, customers = rows.len(), "customers share a value of a field that must be unique");
        }
        Ok(rows)
    }

    async fn find_customer_by(&self, field: &str, value: &str) -> Result<Option<CustomerRecord>, ErpError> {
        let rows = self.customers_where(field, "=", Value::from(value), 2).await?;
        Ok(rows.first().map(|row| record_from(self.schema(), row)))
    }

    /// The customer with this passport (the field is unique in ERPNext), in whichever of its
    /// usual spellings ERPNext holds it ([`Passport::spellings`]): one request with an `in`
    /// filter. A value stored exactly in the normalised form wins; otherwise, should two
    /// customers hold two spellings of it, the first by name is taken (the phone check still
    /// has to pass).
    pub async fn customer_by_passport(&self, passport: &Passport) -> Result<Option<CustomerRecord>, ErpError> {
        let s = self.schema();
        let spellings = passport.spellings();
        let limit = spellings.len();
        let rows = self.customers_where(&s.passport_field, "in", Value::from(spellings), limit).await?;
        let exact = rows.iter().find(|r| r.field(&s.passport_field).and_then(Value::as_str) == Some(passport.as_str()));
        Ok(exact.or(rows.first()).map(|row| record_from(s, row)))
    }

    /// The customer whose link field holds this Telegram user id (F2 auto-login).
    pub async fn customer_by_telegram(&self, user_id: i64) -> Result<Option<CustomerRecord>, ErpError> {
        self.find_customer_by(&self.schema().telegram_field.clone(), &user_id.to_string()).await
    }

    /// The Telegram chat of each of these customers that has one and is not disabled (bulk,
    /// for reminders).
    pub async fn telegram_links(
        &self,
        customers: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, ErpError> {
        let s = self.schema();
        let mut links = std::collections::HashMap::new();
        for batch in super::query::batches(customers, String::as_str, super::query::BULK_IN_BYTES) {
            let names: Vec<Value> = batch.iter().cloned().map(Value::from).collect();
            // At most one row per name: one page of the batch's size holds the answer.
            let query = ListQuery::new(&s.customer_doctype, &["name", s.telegram_field.as_str(), DISABLED])
                .filter("name", "in", names)
                .page_length(batch.len())
                .limit(batch.len());
            for row in self.list::<Row>(&query).await? {
                let record = record_from(s, &row);
                if record.disabled {
                    continue;
                }
                if let Some(chat) = record.telegram_id.and_then(|t| t.trim().parse::<i64>().ok()) {
                    links.insert(record.name, chat);
                }
            }
        }
        Ok(links)
    }

    /// Reads one customer afresh; `None` when it no longer exists. A list request for the few
    /// fields the bot reads, not the whole document: ERPNext skips the child tables and the
    /// answer is a fraction of the size.
    pub async fn customer(&self, name: &str) -> Result<Option<CustomerRecord>, ErpError> {
        self.find_customer_by("name", name).await
    }

    /// Writes the Telegram id into the customer's link field. The caller re-read the customer
    /// just before and saw the field empty; ERPNext's unique constraint is the second guard.
    pub async fn link_telegram(&self, customer: &str, user_id: i64) -> Result<LinkWrite, ErpError> {
        let changes = json!({ self.schema().telegram_field.clone(): user_id.to_string() });
        match self.put_doc(&self.schema().customer_doctype, customer, &changes).await {
            Ok(()) => Ok(LinkWrite::Written),
            Err(e) if e.is_unique_clash() => Ok(LinkWrite::Clash),
            Err(e) => Err(e),
        }
    }

    /// Clears the link field, after re-reading that it still holds this user's id (an operator
    /// may have moved it meanwhile; then there is nothing of ours to clear).
    pub async fn unlink_telegram(&self, customer: &str, user_id: i64) -> Result<(), ErpError> {
        match self.customer(customer).await? {
            Some(record) if record.is_linked_to(user_id) => {
                let changes = json!({ self.schema().telegram_field.clone(): Value::Null });
                self.put_doc(&self.schema().customer_doctype, customer, &changes).await
            }
            _ => Ok(()),
        }
    }
}

/// Reads a Customer row or document into a record, whatever the JSON types of its fields.
pub fn record_from(schema: &ErpSchema, doc: &impl Fields) -> CustomerRecord {
    let text = |field: &str| -> Option<String> {
        match doc.field(field)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    CustomerRecord {
        name: text("name").unwrap_or_default(),
        display_name: text(&schema.customer_name_field).unwrap_or_default(),
        passport: text(&schema.passport_field),
        phones: schema.phone_fields.iter().filter_map(|f| text(f)).collect(),
        telegram_id: text(&schema.telegram_field),
        disabled: is_set(doc.field(DISABLED)),
    }
}

/// A Check field's value as Frappe returns it: 0/1, and tolerated as a boolean or a string.
fn is_set(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ErpSchema {
        ErpSchema {
            customer_doctype: "Customer".into(),
            customer_name_field: "customer_name".into(),
            passport_field: "custom_passport_series".into(),
            telegram_field: "custom_telegram_id".into(),
            phone_fields: vec!["custom_phone_1".into(), "mobile_no".into()],
            sales: crate::config::SalesSchema {
                contract_doctype: "Sales Order".into(),
                total_field: Some("custom_grand_total_with_interest".into()),
                markup_field: "custom_total_interest".into(),
                down_payment_field: "custom_downpayment_amount".into(),
                imei_field: "custom_imei".into(),
                notes_field: "custom_notes".into(),
                payment_doctype: "Payment Entry".into(),
                payment_reference_doctype: "Payment Entry Reference".into(),
                schedule_doctype: "Payment Schedule".into(),
                invoice_doctype: "Sales Invoice".into(),
                invoice_item_doctype: "Sales Invoice Item".into(),
                payment_link_field: None,
                print_format: "Standard".into(),
            },
        }
    }

    #[test]
    fn a_record_tolerates_missing_null_and_numeric_fields() {
        let doc = json!({"name": "C-1", "customer_name": "Ali", "custom_telegram_id": 42, "mobile_no": null, "custom_phone_1": " +998901234567 "});
        let r = record_from(&schema(), doc.as_object().expect("object"));
        assert_eq!(r.name, "C-1");
        assert_eq!(r.telegram_id.as_deref(), Some("42"));
        assert_eq!(r.phones, vec!["+998901234567"]);
        assert_eq!(r.passport, None);
        assert!(r.is_linked_to(42) && !r.is_linked_elsewhere(42) && r.is_linked_elsewhere(43));
        assert!(!r.disabled, "a missing disabled field is an enabled customer");
    }

    #[test]
    fn disabled_is_read_in_each_shape_frappe_may_give() {
        for (value, disabled) in
            [(json!(1), true), (json!(0), false), (json!("1"), true), (json!(true), true), (json!(null), false)]
        {
            let doc = json!({"name": "C-1", "disabled": value});
            let r = record_from(&schema(), doc.as_object().expect("object"));
            assert_eq!(r.disabled, disabled, "{value}");
        }
    }
}
