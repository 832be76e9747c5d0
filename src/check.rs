//! `erpnext-bot check`: one line per dependency, non-zero exit when any fails.

use crate::config::Config;
use crate::erpnext::{ErpError, ListQuery};
use crate::startup::Clients;

/// One checked dependency.
pub struct CheckLine {
    pub ok: bool,
    pub text: String,
}

pub async fn run(config: &Config) -> anyhow::Result<Vec<CheckLine>> {
    let clients = Clients::new(config)?;
    let redis = match clients.store.ping().await {
        Ok(()) => CheckLine { ok: true, text: "redis: reachable".into() },
        Err(e) => CheckLine { ok: false, text: format!("redis: {e}") },
    };
    let erp = check_erp(&clients).await;
    let telegram = match clients.telegram.username().await {
        Ok(name) => CheckLine { ok: true, text: format!("telegram: token valid (@{name})") },
        Err(e) => CheckLine { ok: false, text: format!("telegram: {e}") },
    };
    Ok(vec![redis, erp, telegram])
}

async fn check_erp(clients: &Clients) -> CheckLine {
    let user = match clients.erp.logged_user().await {
        Ok(user) => user,
        Err(e) => return CheckLine { ok: false, text: format!("erpnext: {e}") },
    };
    let s = clients.erp.schema();
    let mut customer =
        vec!["name", s.customer_name_field.as_str(), s.passport_field.as_str(), s.telegram_field.as_str()];
    customer.extend(s.phone_fields.iter().map(String::as_str));
    let sales = &s.sales;
    let contract = vec!["name", "customer", "transaction_date", "currency", sales.total_field.as_str()];
    let payment = vec!["name", "posting_date", "paid_amount"];
    for (doctype, fields) in
        [(&s.customer_doctype, customer), (&sales.contract_doctype, contract), (&sales.payment_doctype, payment)]
    {
        let query = ListQuery::new(doctype, &fields).limit(1);
        match clients.erp.list::<serde_json::Value>(&query).await {
            Ok(_) => {}
            Err(ErpError::Forbidden(m)) => {
                return CheckLine { ok: false, text: format!("erpnext: user {user} may not read {doctype}: {m}") };
            }
            Err(e) => {
                let fields = fields.join(", ");
                return CheckLine {
                    ok: false,
                    text: format!("erpnext: reading {doctype} with the configured fields ({fields}) failed: {e}"),
                };
            }
        }
    }
    CheckLine {
        ok: true,
        text: format!(
            "erpnext: reachable as {user}; {}, {} and {} readable with the configured fields",
            s.customer_doctype, sales.contract_doctype, sales.payment_doctype
        ),
    }
}
