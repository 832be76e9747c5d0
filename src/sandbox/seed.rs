//! The demo's shop: three customers with contracts that show every screen of the bot — a
//! mark-up and a down payment, a payment history, an instalment overdue with a part paid, one
//! due today and ones due in 1 and 5 days (so today's reminder pass has something to send).
//! Dates are relative to `today`, so the demo looks the same whenever it is started.

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
        let items_total: f64 = c.items.iter().map(|(_, qty, rate, _)| qty * rate).sum();
        let total = items_total + c.markup;
        let monthly = (total - c.down_payment) / c.months as f64;
        let items: Vec<Value> = c
            .items
            .iter()
            .enumerate()
            .map(|(i, (name, qty, rate, imei))| {
                json!({"idx": i + 1, "item_name": name, "qty": qty, "rate": rate, "amount": qty * rate, "custom_imei": imei})
            })
            .collect();
        let schedule: Vec<Value> = std::iter::once((c.signed, c.down_payment))
            .chain((0..c.months).map(|m| (c.first_due + 30 * m, monthly)))
            .enumerate()
            .map(
                |(i, (offset, amount))| json!({"idx": i + 1, "due_date": day(today, offset), "payment_amount": amount}),
            )
            .collect();
        erp.insert(
            "Sales Order",
            json!({
                "name": c.name, "customer": c.customer, "docstatus": 1, "currency": "UZS",
                "transaction_date": day(today, c.signed), "status": "To Deliver and Bill",
                "grand_total": items_total, "rounded_total": items_total,
                "custom_grand_total_with_interest": total, "custom_total_interest": c.markup,
                "custom_downpayment_amount": c.down_payment,
                "items": items, "payment_schedule": schedule,
            }),
        );
        for &(offset, amount) in std::iter::once(&(c.signed, c.down_payment)).chain(c.payments) {
            payment_no += 1;
            let name = format!("ACC-PAY-DEMO-{payment_no:05}");
            erp.insert("Payment Entry", payment_entry(&name, c.customer, c.name, &day(today, offset), amount));
        }
    }
}

/// A submitted Payment Entry receiving `amount` from `customer` for `contract`.
pub fn payment_entry(name: &str, customer: &str, contract: &str, date: &str, amount: f64) -> Value {
    json!({
        "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": customer,
        "posting_date": date, "mode_of_payment": "Cash", "paid_amount": amount, "reference_no": null,
        "references": [{"reference_doctype": "Sales Order", "reference_name": contract, "allocated_amount": amount}],
    })
}
