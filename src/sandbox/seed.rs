//! The demo's shop: three customers with contracts that show every screen of the bot — a
//! mark-up and a down payment, a payment history, an instalment overdue with a part paid, one
//! due today and ones due in 1 and 5 days (so today's reminder pass has something to send).
//! Dates are relative to `today`, so the demo looks the same whenever it is started.
//!
//! Every contract is one a real site accepts: the mark-up inside the grand total, booked either
//! as a charge row or in the item rates, and a schedule that adds up to it; one schedule comes
//! from a Payment Terms Template, in percentages, with ERPNext's tiyin remainders.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use super::erp::FakeErp;

/// A demo customer as the visitor needs to know them to link the account.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DemoCustomer {
    /// The ERPNext Customer name (`id` on the demo page).
    pub id: &'static str,
    pub name: &'static str,
    pub passport: &'static str,
    /// The number ERPNext holds, and the one the page's "share my phone" button shares.
    pub phone: &'static str,
    /// What their account shows, in a few words (English; the page is for evaluators).
    pub about: &'static str,
}

pub const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        id: "CUST-DEMO-0001",
        name: "Aziza Karimova",
        passport: "AA1234567",
        phone: "+998 90 123 45 67",
        about: "two contracts: a phone with an instalment 3 days overdue, a washing machine due today",
    },
    DemoCustomer {
        id: "CUST-DEMO-0002",
        name: "Bobur Rahimov",
        passport: "AB7654321",
        phone: "+998 93 765 43 21",
        about: "a TV on 12 months, next instalment due tomorrow",
    },
    DemoCustomer {
        id: "CUST-DEMO-0003",
        name: "Dilnoza Yusupova",
        passport: "AC1122334",
        phone: "+998 97 112 23 34",
        about: "a new iPhone contract, first instalment due in 5 days",
    },
];

/// Where a contract's mark-up sits in its grand total.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Booked {
    InRates,
    ChargeRow,
}

/// One contract of the demo shop.
struct Contract {
    name: &'static str,
    customer: &'static str,
    /// Days from today (negative: in the past).
    signed: i64,
    /// (item name, qty, rate, IMEI)
    items: &'static [(&'static str, f64, f64, Option<&'static str>)],
    down_payment: f64,
    markup: f64,
    /// How the shop booked the mark-up: in the item rates, or as a charge row.
    booked: Booked,
    /// Whether the schedule comes from a Payment Terms Template (amounts from percentages).
    by_portion: bool,
    months: i64,
    /// Day offset of the first monthly instalment; the others follow every 30 days.
    first_due: i64,
    /// Payments after the down payment: (day offset, amount).
    payments: &'static [(i64, f64)],
}

const CONTRACTS: &[Contract] = &[
    Contract {
        name: "SO-DEMO-00001",
        customer: "CUST-DEMO-0001",
        signed: -123,
        items: &[
            ("Samsung Galaxy A55 8/256 GB", 1.0, 6_200_000.0, Some("356789104455661")),
            ("Protective case", 1.0, 150_000.0, None),
        ],
        down_payment: 1_550_000.0,
        markup: 1_200_000.0,
        booked: Booked::ChargeRow,
        by_portion: false,
        months: 12,
        first_due: -93,
        payments: &[(-95, 500_000.0), (-62, 500_000.0), (-31, 500_000.0), (-1, 200_000.0)],
    },
    Contract {
        name: "SO-DEMO-00002",
        customer: "CUST-DEMO-0001",
        signed: -90,
        items: &[("LG washing machine F2V5, 8 kg", 1.0, 4_000_000.0, None)],
        down_payment: 1_000_000.0,
        markup: 600_000.0,
        booked: Booked::InRates,
        by_portion: false,
        months: 6,
        first_due: -60,
        payments: &[(-60, 600_000.0), (-29, 600_000.0)],
    },
    Contract {
        name: "SO-DEMO-00003",
        customer: "CUST-DEMO-0002",
        signed: -119,
        items: &[("Samsung 55\" Crystal UHD TV", 1.0, 7_000_000.0, None), ("Wall mount", 1.0, 300_000.0, None)],
        down_payment: 1_300_000.0,
        markup: 1_800_000.0,
        booked: Booked::ChargeRow,
        by_portion: false,
        months: 12,
        first_due: -89,
        payments: &[(-90, 650_000.0), (-58, 650_000.0), (-30, 650_000.0)],
    },
    Contract {
        name: "SO-DEMO-00004",
        customer: "CUST-DEMO-0003",
        signed: -25,
        items: &[("Apple iPhone 15 128 GB", 1.0, 11_000_000.0, Some("353912110987654"))],
        down_payment: 3_000_000.0,
        markup: 1_600_000.0,
        booked: Booked::InRates,
        by_portion: true,
        months: 8,
        first_due: 5,
        payments: &[],
    },
];

fn day(today: NaiveDate, offset: i64) -> String {
    (today + Duration::days(offset)).format("%Y-%m-%d").to_string()
}

/// Fills a fresh sandbox ERPNext with the demo shop as of `today` (the business's date).
pub fn seed(erp: &FakeErp, today: NaiveDate) {
    for c in CUSTOMERS {
        erp.seed_customer(c.id, c.name, c.passport, c.phone);
    }
    let mut payment_no = 0;
    for c in CONTRACTS {
        erp.insert("Sales Order", sales_order(c, today));
        for &(offset, amount) in std::iter::once(&(c.signed, c.down_payment)).chain(c.payments) {
            payment_no += 1;
            let name = format!("ACC-PAY-DEMO-{payment_no:05}");
            erp.insert("Payment Entry", payment_entry(&name, c.customer, c.name, &day(today, offset), amount));
        }
    }
}

/// The contract as ERPNext stores it: `total` the items' amounts, `grand_total` those plus the
/// charge rows (erpnext/controllers/taxes_and_totals.py, `calculate_totals`).
fn sales_order(c: &Contract, today: NaiveDate) -> Value {
    let items_total: f64 = c.items.iter().map(|(_, qty, rate, _)| qty * rate).sum();
    let total = items_total + c.markup;
    // With the mark-up in the rates, each rate carries its share of it.
    let factor = if c.booked == Booked::InRates { total / items_total } else { 1.0 };
    let items: Vec<Value> = c
        .items
        .iter()
        .enumerate()
        .map(|(i, (name, qty, rate, imei))| {
            let rate = (rate * factor).round();
            json!({"idx": i + 1, "item_name": name, "qty": qty, "rate": rate, "amount": qty * rate, "custom_imei": imei})
        })
        .collect();
    let lines: f64 = items.iter().filter_map(|i| i["amount"].as_f64()).sum();
    let taxes = match c.booked {
        Booked::InRates => json!([]),
        Booked::ChargeRow => json!([{
            "idx": 1, "charge_type": "Actual", "account_head": "Instalment mark-up - DS",
            "description": "Instalment mark-up", "tax_amount": c.markup, "total": lines + c.markup,
            "included_in_print_rate": 0,
        }]),
    };
    let charges = if c.booked == Booked::ChargeRow { c.markup } else { 0.0 };
    json!({
        "name": c.name, "customer": c.customer, "docstatus": 1, "currency": "UZS",
        "transaction_date": day(today, c.signed), "status": "To Deliver and Bill",
        "total": lines, "net_total": lines, "total_taxes_and_charges": charges,
        "grand_total": lines + charges, "rounded_total": lines + charges, "taxes": taxes,
        "custom_grand_total_with_interest": total, "custom_total_interest": c.markup,
        "custom_downpayment_amount": c.down_payment,
        "items": items, "payment_schedule": schedule(c, lines + charges, today),
    })
}

/// The down payment, then the monthly instalments. From a template the amounts follow from
/// percentages of six decimals, each rounded to the tiyin, the last row taking the remainder
/// (erpnext/controllers/accounts_controller.py, `set_payment_schedule`).
fn schedule(c: &Contract, total: f64, today: NaiveDate) -> Vec<Value> {
    let monthly = (total - c.down_payment) / c.months as f64;
    let rows: Vec<(i64, f64)> = std::iter::once((c.signed, c.down_payment))
        .chain((0..c.months).map(|m| (c.first_due + 30 * m, monthly)))
        .collect();
    let mut left = total;
    let last = rows.len() - 1;
    rows.iter()
        .enumerate()
        .map(|(i, &(offset, amount))| {
            let portion = (amount / total * 100.0 * 1e6).round() / 1e6;
            let amount = match (c.by_portion, i == last) {
                (false, _) => amount,
                (true, false) => (total * portion / 100.0 * 100.0).round() / 100.0,
                (true, true) => (left * 100.0).round() / 100.0,
            };
            left -= amount;
            json!({"idx": i + 1, "due_date": day(today, offset), "invoice_portion": portion, "payment_amount": amount})
        })
        .collect()
}

/// A submitted Payment Entry receiving `amount` from `customer` for `contract`.
pub fn payment_entry(name: &str, customer: &str, contract: &str, date: &str, amount: f64) -> Value {
    json!({
        "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": customer,
        "posting_date": date, "mode_of_payment": "Cash", "paid_amount": amount, "reference_no": null,
        "references": [{"reference_doctype": "Sales Order", "reference_name": contract, "allocated_amount": amount}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(doc: &Value, table: &str, field: &str) -> f64 {
        doc[table].as_array().into_iter().flatten().filter_map(|r| r[field].as_f64()).sum()
    }

    #[test]
    fn every_demo_contract_is_one_erpnext_accepts() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
        for c in CONTRACTS {
            let so = sales_order(c, today);
            let grand = so["grand_total"].as_f64().unwrap_or_default();
            let built = sum(&so, "items", "amount") + sum(&so, "taxes", "tax_amount");
            assert!((built - grand).abs() < 0.005, "{}: items and charges {built}, grand total {grand}", c.name);
            // validate_payment_schedule_amount: within 0.1 of `rounded_total or grand_total`.
            let scheduled = sum(&so, "payment_schedule", "payment_amount");
            assert!((scheduled - grand).abs() <= 0.1, "{}: schedule {scheduled} against {grand}", c.name);
        }
    }

    #[test]
    fn a_schedule_from_a_template_carries_erpnexts_tiyin() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
        let Some(c) = CONTRACTS.iter().find(|c| c.by_portion) else { panic!("one contract uses a template") };
        let so = sales_order(c, today);
        let amounts: Vec<f64> = so["payment_schedule"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["payment_amount"].as_f64())
            .collect();
        assert!(amounts.iter().any(|a| a.fract() != 0.0), "{amounts:?}");
    }
}
