//! Contracts and payments for the views: one with a mark-up, one with a down-payment row and
//! 25+ payments (and a `/` in its name), a cancelled one, another customer's one.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::common::fake_erp::FakeErp;
use crate::helpers::CUSTOMER;

pub const MARKUP: &str = "SO-2026-00001";
pub const LONG: &str = "SO/2026/00002";
pub const CANCELLED: &str = "SO-2026-00003";
pub const OTHERS: &str = "SO-2026-00099";
/// Payments on the long contract: more than ERPNext's default page of 20.
pub const LONG_PAYMENTS: usize = 25;

/// "Today" as the service sees it (business time zone).
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tashkent).date_naive()
}

/// A date `offset` days from today, as ERPNext writes it.
pub fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).format("%Y-%m-%d").to_string()
}

pub fn dmy(offset: i64) -> String {
    (today() + Duration::days(offset)).format("%d.%m.%Y").to_string()
}

fn schedule(rows: &[(i64, f64)]) -> Value {
    Value::Array(
        rows.iter()
            .enumerate()
            .map(|(i, (offset, amount))| json!({"idx": i + 1, "due_date": day(*offset), "payment_amount": amount}))
            .collect(),
    )
}

fn sales_order(name: &str, customer: &str, docstatus: i64, extra: Value) -> Value {
    let mut doc = json!({
        "name": name, "customer": customer, "docstatus": docstatus, "currency": "UZS",
        "transaction_date": day(-120), "status": "To Deliver and Bill",
    });
    if let (Some(d), Value::Object(e)) = (doc.as_object_mut(), extra) {
        d.extend(e);
    }
    doc
}

fn payment(erp: &FakeErp, name: &str, contract: &str, offset: i64, amount: f64) {
    erp.insert(
        "Payment Entry",
        json!({
            "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": day(offset), "mode_of_payment": "Cash", "paid_amount": amount, "reference_no": null,
            "references": [{"reference_doctype": "Sales Order", "reference_name": contract, "allocated_amount": amount}],
        }),
    );
}

pub fn seed(erp: &FakeErp) {
    // Items before the mark-up: 10 000 000 + 2 × 1 250 000; mark-up 3 750 000.
    erp.insert(
        "Sales Order",
        sales_order(
            MARKUP,
            CUSTOMER,
            1,
            json!({
                "grand_total": 12_500_000.0, "rounded_total": 12_500_000.0,
                "custom_grand_total_with_interest": 16_250_000.0, "custom_total_interest": 3_750_000.0,
                "custom_downpayment_amount": 2_000_000.0,
                "items": [
                    {"idx": 1, "item_name": "Samsung <Galaxy> S24 & case", "qty": 1.0, "rate": 10_000_000.0, "amount": 10_000_000.0, "custom_imei": "356789012345678"},
                    {"idx": 2, "item_name": "Washing machine", "qty": 2.0, "rate": 1_250_000.0, "amount": 2_500_000.0, "custom_notes": "white"},
                ],
                "payment_schedule": schedule(&[(-40, 2_000_000.0), (-10, 7_125_000.0), (20, 7_125_000.0)]),
            }),
        ),
    );
    payment(erp, "ACC-PAY-2026-00001", MARKUP, -45, 2_000_000.0);
    payment(erp, "ACC-PAY-2026-00002", MARKUP, -12, 3_000_000.0);
    // A down-payment row first, then monthly rows; paid in 25 small payments.
    let rows: Vec<(i64, f64)> =
        std::iter::once((-100, 1_000_000.0)).chain((0..10).map(|m| (-70 + 30 * m, 500_000.0))).collect();
    erp.insert(
        "Sales Order",
        sales_order(
            LONG,
            CUSTOMER,
            1,
            json!({
                "grand_total": 6_000_000.0, "rounded_total": 6_000_000.0, "custom_downpayment_amount": 1_000_000.0,
                "transaction_date": day(-150),
                "items": [{"idx": 1, "item_name": "Fridge", "qty": 1.0, "rate": 6_000_000.0, "amount": 6_000_000.0}],
                "payment_schedule": schedule(&rows),
            }),
        ),
    );
    for i in 0..LONG_PAYMENTS {
        payment(erp, &format!("ACC-PAY-2026-1{i:04}"), LONG, -100 + i as i64, 80_000.0);
    }
    erp.insert("Sales Order", sales_order(CANCELLED, CUSTOMER, 2, json!({"grand_total": 999.0})));
    erp.insert(
        "Sales Order",
        sales_order(OTHERS, "CUST-0777", 1, json!({"grand_total": 5_000.0, "items": [], "payment_schedule": []})),
    );
    payment(erp, "ACC-PAY-2026-09999", OTHERS, -3, 5_000.0);
}
