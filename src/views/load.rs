//! Loading views from ERPNext: independent requests run concurrently, no document is
//! fetched twice in one update, and every contract named by a button is checked to be the
//! customer's own before anything of it is shown.

use chrono::NaiveDate;

use super::{Shown, model, render};
use crate::conversation::View;
use crate::erpnext::{
    ErpClient, ErpError,
    sales::{ContractDoc, Fetch, PaidTotals},
};
use crate::i18n::Lang;

pub async fn load(
    erp: &ErpClient,
    customer: &str,
    view: &View,
    lang: Lang,
    today: NaiveDate,
) -> Result<Shown, ErpError> {
    let screen = |screen, contracts| Ok(Shown::Screen { screen, contracts });
    match view {
        View::Summary => {
            // Money on account is the customer's balance too; asked beside the contracts.
            let (accounts, credit) = tokio::try_join!(accounts(erp, customer, today), erp.on_account(customer))?;
            let names = accounts.iter().map(|a| a.row.name.clone()).collect();
            screen(render::summary(lang, &accounts, &credit), Some(names))
        }
        View::Upcoming => {
            let accounts = accounts(erp, customer, today).await?;
            let names = accounts.iter().map(|a| a.row.name.clone()).collect();
            screen(render::upcoming(lang, &accounts, today), Some(names))
        }
        View::Contracts { page } => {
            let rows = erp.contracts_of(customer).await?;
            // Closed contracts are listed only while they have a balance: only they need payments.
            let closed: Vec<String> = rows.iter().filter(|r| r.status == "Closed").map(|r| r.name.clone()).collect();
            let paid =
                if closed.is_empty() { PaidTotals::default() } else { erp.paid_totals(&closed, Fetch::Few).await? };
            let accounts = model::accounts(rows, &paid, &[], today);
            let names = accounts.iter().map(|a| a.row.name.clone()).collect();
            screen(render::contract_list(lang, &accounts, *page), Some(names))
        }
        View::Contract(name) | View::Schedule(name) | View::Payments(name) => {
            let one = [name.clone()];
            let (doc, payments) = tokio::try_join!(erp.contract(name), erp.payments_for(&one))?;
            let Some(doc) = owned(doc, customer) else { return Ok(Shown::NotOwned) };
            let s = match view {
                View::Contract(_) => render::contract_card(lang, &doc, &payments, today),
                View::Schedule(_) => render::schedule(lang, &doc, &payments, today),
                _ => render::contract_payments(lang, &doc, &payments),
            };
            screen(s, None)
        }
        View::History => {
            let (rows, credit) = tokio::try_join!(erp.contracts_of(customer), erp.on_account(customer))?;
            let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
            let payments = if names.is_empty() { Vec::new() } else { erp.payments_for(&names).await? };
            screen(render::history(lang, &rows, &payments, &credit), Some(names))
        }
        View::Pdf(name) => {
            let Some(doc) = owned(erp.contract(name).await?, customer) else { return Ok(Shown::NotOwned) };
            let bytes = erp.contract_pdf(name, lang.code()).await?;
            let file_name = format!("{}.pdf", name.replace(['/', '\\', ' '], "-"));
            Ok(Shown::Document { file_name, bytes, caption: render::pdf_caption(lang, &doc) })
        }
    }
}

/// All the customer's contracts with schedules (one request, the schedule joined), then
/// what is paid on each (one more, summed by ERPNext: one row per contract).
async fn accounts(erp: &ErpClient, customer: &str, today: NaiveDate) -> Result<Vec<model::Account>, ErpError> {
    let (rows, schedules) = erp.contracts_with_schedules(customer).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let paid = erp.paid_totals(&names, Fetch::Few).await?;
    Ok(model::accounts(rows, &paid, &schedules, today))
}

/// The contract when it is the customer's and submitted; a forged or stale button gets nothing.
fn owned(doc: Option<ContractDoc>, customer: &str) -> Option<ContractDoc> {
    doc.filter(|d| d.row.customer == customer && d.docstatus == 1)
}
