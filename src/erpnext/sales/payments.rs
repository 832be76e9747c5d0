//! Payments against contracts: submitted `Receive` Payment Entries, found through their
//! `Payment Entry Reference` rows pointing at the Sales Order or at the Sales Invoices made
//! from it ([`super::invoices`]), or, where configured, through a link field on Payment Entry;
//! and the customer's payments on account (no reference, or an unallocated rest).
//!
//! The reference join yields one row per reference, so a payment split over several contracts
//! (or over an order and its invoice) counts for each with its own allocation.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::invoices::Invoices;
use super::{Fetch, PaymentDoc, PaymentRow, date, money, text};
use crate::config::SalesSchema;
use crate::erpnext::{ErpClient, ErpError, Fields, ListQuery, Row};
use crate::format::money::Money;

/// Rows per page of a customer's payments on account.
const ON_ACCOUNT_PAGE: usize = 100;

/// What payments may reference for a set of contracts: the orders themselves and their
/// invoices; every reference found is brought back to the contracts.
pub(crate) struct Targets {
    /// Lower-cased contract name → the name as asked.
    contracts: HashMap<String, String>,
    invoices: Invoices,
}

impl Targets {
    pub(crate) fn new(contracts: &[String], invoices: Invoices) -> Targets {
        let contracts = contracts.iter().map(|c| (c.trim().to_lowercase(), c.clone())).collect();
        Targets { contracts, invoices }
    }

    /// The names payments are looked up by: the contracts, then their invoices.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.contracts.values().cloned().collect();
        names.sort();
        names.extend(self.invoices.names());
        names
    }

    pub(crate) fn invoices(&self) -> &Invoices {
        &self.invoices
    }

    /// The contracts an allocation to `doctype` `name` counts for, with their share.
    pub(crate) fn resolve(&self, s: &SalesSchema, doctype: &str, name: &str, amount: Money) -> Vec<(String, Money)> {
        if doctype == s.contract_doctype {
            return self
                .contracts
                .get(&name.trim().to_lowercase())
                .map(|c| vec![(c.clone(), amount)])
                .unwrap_or_default();
        }
        if doctype == s.invoice_doctype {
            return self.invoices.share(name, amount);
        }
        Vec::new()
    }
}

impl ErpClient {
    /// One Payment Entry with its references, the invoices among them brought back to their
    /// contracts; `None` when it does not exist.
    pub async fn payment_entry(&self, name: &str) -> Result<Option<PaymentDoc>, ErpError> {
        let s = self.sales();
        let doc = match self.get_doc::<Map<String, Value>>(&s.payment_doctype, name).await {
            Ok(doc) => doc,
            Err(ErpError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let amount = money(&doc, "paid_amount");
        let contracts = match &s.payment_link_field {
            Some(link) => text(&doc, link).map(|c| vec![(c, amount)]).unwrap_or_default(),
            None => self.references_to_contracts(&doc).await?,
        };
        Ok(Some(PaymentDoc {
            name: text(&doc, "name").unwrap_or_else(|| name.to_owned()),
            docstatus: doc.get("docstatus").and_then(Value::as_i64).unwrap_or_default(),
            party_type: text(&doc, "party_type").unwrap_or_default(),
            party: text(&doc, "party").unwrap_or_default(),
            payment_type: text(&doc, "payment_type").unwrap_or_default(),
            amount,
            unallocated: money(&doc, "unallocated_amount").max(Money::ZERO),
            date: date(&doc, "posting_date"),
            mode: text(&doc, "mode_of_payment"),
            reference_no: text(&doc, "reference_no"),
            currency: text(&doc, "paid_from_account_currency").or_else(|| text(&doc, "paid_to_account_currency")),
            contracts,
        }))
    }

    /// A Payment Entry's references as allocations to contracts: order references as they
    /// are, invoice references shared between the orders the invoice bills (one list request,
    /// only when the payment names an invoice).
    async fn references_to_contracts(&self, doc: &Map<String, Value>) -> Result<Vec<(String, Money)>, ErpError> {
        let s = self.sales();
        let refs: Vec<(String, String, Money)> = doc
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .filter_map(|r| {
                Some((text(r, "reference_doctype")?, text(r, "reference_name")?, money(r, "allocated_amount")))
            })
            .collect();
        let invoice_names: Vec<String> =
            refs.iter().filter(|(d, _, _)| *d == s.invoice_doctype).map(|(_, n, _)| n.clone()).collect();
        let invoices =
            if invoice_names.is_empty() { Invoices::default() } else { self.invoices_named(&invoice_names).await? };
        let mut out = Vec::new();
        for (doctype, name, allocated) in refs {
            if doctype == s.contract_doctype {
                out.push((name, allocated));
            } else if doctype == s.invoice_doctype {
                out.extend(invoices.share(&name, allocated));
            }
        }
        Ok(out)
    }

    /// Every submitted incoming payment allocated to these contracts (directly or through
    /// their invoices) and every credit note against them, oldest first.
    pub async fn payments_for(&self, contracts: &[String]) -> Result<Vec<PaymentRow>, ErpError> {
        self.payments(contracts, Fetch::Few).await
    }

    pub async fn payments(&self, contracts: &[String], fetch: Fetch) -> Result<Vec<PaymentRow>, ErpError> {
        let targets = self.targets(contracts, fetch).await?;
        let mut all = Vec::new();
        for batch in fetch.batches(&targets.names()) {
            let rows: Vec<Row> = self.list(&self.payments_query(batch, fetch)).await?;
            all.extend(rows.iter().flat_map(|r| payment_rows(self.sales(), &targets, r)));
        }
        all.extend(credit_rows(targets.invoices()));
        all.sort_by(|a, b| (a.date, &a.name, &a.contract).cmp(&(b.date, &b.name, &b.contract)));
        Ok(all)
    }

    /// What payments may reference for `contracts`: with a link field, the contracts alone;
    /// otherwise also the invoices made from them.
    pub(crate) async fn targets(&self, contracts: &[String], fetch: Fetch) -> Result<Targets, ErpError> {
        let invoices = match &self.sales().payment_link_field {
            Some(_) => Invoices::default(),
            None => self.invoices_of(contracts, fetch).await?,
        };
        Ok(Targets::new(contracts, invoices))
    }

    /// Adds every payment referencing `names` (contracts or invoices of `targets`) to `add`
    /// per contract, page by page, without keeping the rows: the paid totals of a site that
    /// cannot sum them itself. Credit notes are the caller's.
    pub(crate) async fn sum_payments(
        &self,
        targets: &Targets,
        names: &[String],
        fetch: Fetch,
        mut add: impl FnMut(&str, Money),
    ) -> Result<(), ErpError> {
        let s = self.sales();
        for batch in fetch.batches(names) {
            let fold = |_: &mut (), row: Row| {
                for p in payment_rows(s, targets, &row) {
                    add(&p.contract, p.amount);
                }
            };
            self.list_fold(&self.payments_query(batch, fetch), (), fold).await?;
        }
        Ok(())
    }

    fn payments_query(&self, names: &[String], fetch: Fetch) -> ListQuery {
        let s = self.sales();
        let names: Vec<Value> = names.iter().cloned().map(Value::from).collect();
        let base = ["name", "posting_date", "mode_of_payment", "paid_amount", "reference_no"];
        match &s.payment_link_field {
            Some(link) => {
                let mut fields: Vec<&str> = base.to_vec();
                fields.push(link);
                ListQuery::new(&s.payment_doctype, &fields).filter(link, "in", names)
            }
            None => {
                let child = &s.payment_reference_doctype;
                let reference_doctype = format!("`tab{child}`.reference_doctype");
                let reference_name = format!("`tab{child}`.reference_name");
                let allocated = format!("`tab{child}`.allocated_amount");
                let mut fields: Vec<&str> = base.to_vec();
                fields.extend([reference_doctype.as_str(), reference_name.as_str(), allocated.as_str()]);
                let doctypes = vec![Value::from(s.contract_doctype.clone()), Value::from(s.invoice_doctype.clone())];
                let mut q = ListQuery::new(&s.payment_doctype, &fields);
                q.filters.push(serde_json::json!([child, "reference_doctype", "in", doctypes]));
                q.filters.push(serde_json::json!([child, "reference_name", "in", names]));
                q
            }
        }
        .filter("docstatus", "=", 1)
        .filter("payment_type", "=", "Receive")
        .order_by(&format!("`tab{}`.posting_date asc, `tab{}`.name asc", s.payment_doctype, s.payment_doctype))
        .page_length(fetch.page())
    }

    /// The customer's submitted incoming payments with an unallocated rest: money on account
    /// (a cash desk's advance booked without a contract), oldest first. `amount` is the rest.
    pub async fn on_account(&self, customer: &str) -> Result<Vec<OnAccount>, ErpError> {
        let s = self.sales();
        let fields = [
            "name",
            "posting_date",
            "mode_of_payment",
            "unallocated_amount",
            "reference_no",
            "paid_from_account_currency",
        ];
        let query = ListQuery::new(&s.payment_doctype, &fields)
            .filter("docstatus", "=", 1)
            .filter("payment_type", "=", "Receive")
            .filter("party_type", "=", "Customer")
            .filter("party", "=", customer)
            .filter("unallocated_amount", ">", 0)
            .order_by("posting_date asc, name asc")
            .page_length(ON_ACCOUNT_PAGE);
        let rows: Vec<Row> = self.list(&query).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let payment = PaymentRow {
                    name: text(r, "name")?,
                    contract: String::new(),
                    date: date(r, "posting_date"),
                    mode: text(r, "mode_of_payment"),
                    amount: money(r, "unallocated_amount"),
                    reference_no: text(r, "reference_no"),
                    credit: false,
                };
                Some(OnAccount { payment, currency: text(r, "paid_from_account_currency") })
            })
            .filter(|p| p.payment.amount.is_positive())
            .collect())
    }
}

/// Money on the customer's account: the unallocated rest of an incoming payment (`payment`,
/// with no contract and the rest as its amount), in the currency it was paid in.
#[derive(Clone, Debug, PartialEq)]
pub struct OnAccount {
    pub payment: PaymentRow,
    /// `paid_from_account_currency` (the customer's receivable account), when the site gives it.
    pub currency: Option<String>,
}

/// One list row as allocations to contracts (none when it references nothing asked about).
fn payment_rows(s: &SalesSchema, targets: &Targets, row: &impl Fields) -> Vec<PaymentRow> {
    let shares = match &s.payment_link_field {
        Some(link) => match text(row, link) {
            Some(contract) => targets.resolve(s, &s.contract_doctype, &contract, money(row, "paid_amount")),
            None => Vec::new(),
        },
        None => match (text(row, "reference_doctype"), text(row, "reference_name")) {
            (Some(doctype), Some(name)) => targets.resolve(s, &doctype, &name, money(row, "allocated_amount")),
            _ => Vec::new(),
        },
    };
    let Some(name) = text(row, "name") else { return Vec::new() };
    shares
        .into_iter()
        .map(|(contract, amount)| PaymentRow {
            name: name.clone(),
            contract,
            date: date(row, "posting_date"),
            mode: text(row, "mode_of_payment"),
            amount,
            reference_no: text(row, "reference_no"),
            credit: false,
        })
        .collect()
}

/// The credit notes' credits as rows of the payment history.
fn credit_rows(invoices: &Invoices) -> impl Iterator<Item = PaymentRow> + use<> {
    invoices.credits().into_iter().map(|c| PaymentRow {
        name: c.note,
        contract: c.contract,
        date: c.date,
        mode: None,
        amount: c.amount,
        reference_no: None,
        credit: true,
    })
}
