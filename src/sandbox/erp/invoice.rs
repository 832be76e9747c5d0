//! Billing a Sales Order as ERPNext does, so that tests meet the references a real site has
//! after invoicing.
//!
//! `make_sales_invoice` (`erpnext/selling/doctype/sales_order/sales_order.py`) maps the order's
//! items into a Sales Invoice whose items keep `sales_order`. With "allocate advances
//! automatically", `set_advances` / `get_advance_entries`
//! (`erpnext/controllers/accounts_controller.py`) take the Payment Entries referencing the
//! order, oldest first, up to the invoice's total; on submit, `update_against_document_in_jv`
//! calls `reconcile_against_document`, and `update_reference_in_payment_entry`
//! (`erpnext/accounts/utils.py`) lowers the order's reference row by the allocated amount,
//! appends a `Sales Invoice` reference row for it (with `advance_voucher_type/no` naming the
//! order), and `clear_unallocated_reference_document_rows` drops rows left at zero. A credit
//! note (`make_sales_return`, `erpnext/controllers/sales_and_purchase_return.py`) is a Sales
//! Invoice with `is_return = 1`, `return_against` the invoice, negative amounts, and its
//! items' `sales_order` mapped from the invoice's.

use serde_json::{Value, json};

use super::FakeErp;

/// Two decimals, as ERPNext rounds currency fields.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl FakeErp {
    /// Bills `fraction` (0–1] of order `order` with a submitted Sales Invoice `invoice` posted on
    /// `posting_date`, allocating the order's advances to it as ERPNext does. Returns the
    /// invoice's grand total.
    pub fn bill_order(&self, order: &str, invoice: &str, fraction: f64, posting_date: &str) -> f64 {
        let Some(so) = self.get("Sales Order", order) else { panic!("bill_order: no Sales Order {order}") };
        let items: Vec<Value> = so["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let amount = round2(item["amount"].as_f64().unwrap_or_default() * fraction);
                json!({"idx": i + 1, "item_name": item["item_name"], "qty": item["qty"], "rate": item["rate"],
                       "amount": amount, "sales_order": order, "so_detail": item["name"]})
            })
            .collect();
        let total = so.get("rounded_total").and_then(Value::as_f64).filter(|t| *t > 0.0);
        let total = total.or_else(|| so["grand_total"].as_f64()).unwrap_or_default();
        let grand_total = round2(total * fraction);
        self.insert(
            "Sales Invoice",
            json!({"name": invoice, "docstatus": 1, "customer": so["customer"], "currency": so["currency"],
                   "posting_date": posting_date, "is_return": 0, "return_against": null,
                   "grand_total": grand_total, "rounded_total": grand_total, "items": items}),
        );
        self.allocate_advances(order, invoice, grand_total);
        grand_total
    }

    /// `update_reference_in_payment_entry` for every advance of `order`, oldest first, until
    /// `total` is allocated to `invoice`.
    fn allocate_advances(&self, order: &str, invoice: &str, total: f64) {
        let mut advances: Vec<Value> = self
            .all("Payment Entry")
            .into_iter()
            .filter(|pe| pe["docstatus"] == 1 && pe["payment_type"] == "Receive")
            .filter(|pe| references(pe).iter().any(|r| is_ref(r, "Sales Order", order)))
            .collect();
        advances.sort_by_key(|pe| (pe["posting_date"].as_str().unwrap_or_default().to_owned(), name(pe)));
        let mut left = total;
        for mut pe in advances {
            if left <= 0.0 {
                break;
            }
            let mut refs = references(&pe);
            let Some(row) = refs.iter_mut().find(|r| is_ref(r, "Sales Order", order)) else { continue };
            let allocated = round2(row["allocated_amount"].as_f64().unwrap_or_default().min(left));
            row["allocated_amount"] = json!(round2(row["allocated_amount"].as_f64().unwrap_or_default() - allocated));
            left = round2(left - allocated);
            refs.push(json!({"reference_doctype": "Sales Invoice", "reference_name": invoice,
                             "allocated_amount": allocated, "advance_voucher_type": "Sales Order",
                             "advance_voucher_no": order}));
            refs.retain(|r| r["allocated_amount"].as_f64().unwrap_or_default() != 0.0);
            for (i, r) in refs.iter_mut().enumerate() {
                r["idx"] = json!(i + 1);
            }
            pe["references"] = Value::Array(refs);
            self.insert("Payment Entry", pe);
        }
    }

    /// A submitted credit note `note` returning `fraction` of invoice `invoice`. With
    /// `keep_order_links` false its items name no order (as a note made by hand may), so only
    /// `return_against` ties it to the contract.
    pub fn credit_note(&self, invoice: &str, note: &str, fraction: f64, posting_date: &str, keep_order_links: bool) {
        let Some(si) = self.get("Sales Invoice", invoice) else { panic!("credit_note: no Sales Invoice {invoice}") };
        let items: Vec<Value> = si["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let order = if keep_order_links { item["sales_order"].clone() } else { Value::Null };
                json!({"idx": item["idx"], "item_name": item["item_name"], "qty": item["qty"], "rate": item["rate"],
                       "amount": -round2(item["amount"].as_f64().unwrap_or_default() * fraction),
                       "sales_order": order})
            })
            .collect();
        let total = -round2(si["grand_total"].as_f64().unwrap_or_default() * fraction);
        self.insert(
            "Sales Invoice",
            json!({"name": note, "docstatus": 1, "customer": si["customer"], "currency": si["currency"],
                   "posting_date": posting_date, "is_return": 1, "return_against": invoice,
                   "grand_total": total, "rounded_total": total, "items": items}),
        );
    }
}

fn references(pe: &Value) -> Vec<Value> {
    pe["references"].as_array().cloned().unwrap_or_default()
}

fn is_ref(r: &Value, doctype: &str, name: &str) -> bool {
    r["reference_doctype"] == doctype && r["reference_name"] == name
}

fn name(doc: &Value) -> String {
    doc["name"].as_str().unwrap_or_default().to_owned()
}
