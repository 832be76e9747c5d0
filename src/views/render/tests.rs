use chrono::NaiveDate;

use super::*;
use crate::erpnext::sales::ItemLine;
use crate::erpnext::sales::OnAccount;
use crate::ledger::Instalment;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn som(units: i64) -> Money {
    Money(units * 100)
}

fn row(name: &str, total: i64) -> ContractRow {
    ContractRow {
        name: name.into(),
        customer: "CUST-1".into(),
        date: Some(d(2026, 1, 15)),
        status: "To Deliver and Bill".into(),
        currency: "UZS".into(),
        total: som(total),
    }
}

fn item(name: &str, qty: f64, amount: i64) -> ItemLine {
    ItemLine { item_name: name.into(), qty, rate: som(amount), amount: som(amount), imei: None, notes: None }
}

fn doc_with_markup() -> ContractDoc {
    ContractDoc {
        row: row("SO-2026-00001", 16_250_000),
        docstatus: 1,
        amended_from: None,
        markup: som(3_750_000),
        down_payment: som(2_000_000),
        items: vec![
            ItemLine { imei: Some("356789012345678".into()), ..item("Samsung <Galaxy> S24 & case", 1.0, 10_000_000) },
            ItemLine { rate: som(1_250_000), notes: Some("gift".into()), ..item("Washing machine", 2.0, 2_500_000) },
        ],
        schedule: vec![
            Instalment { idx: 1, due_date: d(2026, 2, 15), amount: som(2_000_000) },
            Instalment { idx: 2, due_date: d(2026, 3, 15), amount: som(7_125_000) },
            Instalment { idx: 3, due_date: d(2026, 4, 15), amount: som(7_125_000) },
        ],
    }
}

fn payment(name: &str, contract: &str, on: NaiveDate, amount: i64) -> PaymentRow {
    PaymentRow {
        name: name.into(),
        contract: contract.into(),
        date: Some(on),
        mode: Some("Cash".into()),
        amount: som(amount),
        reference_no: None,
        credit: false,
    }
}

#[test]
fn the_card_shows_prices_including_their_share_of_the_mark_up() {
    let payments = vec![payment("PE-1", "SO-2026-00001", d(2026, 2, 10), 5_000_000)];
    let s = contract_card(Lang::En, &doc_with_markup(), &payments, d(2026, 3, 20));
    let text = s.chunks.join("\n");
    // 10 000 000 + 3 750 000 × 10/12.5 = 13 000 000; 2 500 000 + 750 000 = 3 250 000 for 2 pcs.
    assert!(text.contains("Samsung &lt;Galaxy&gt; S24 &amp; case\n    13 000 000 so'm\n"), "{text}");
    assert!(!text.contains("× 1 "), "a quantity of 1 is the price alone: {text}");
    assert!(text.contains("1 625 000 so'm × 2 pcs = 3 250 000 so'm"), "{text}");
    assert!(text.contains("Total: 16 250 000 so'm"));
    assert!(text.contains("Down payment: 2 000 000 so'm"));
    assert!(text.contains("Paid: 5 000 000 so'm"));
    assert!(text.contains("Remaining: <b>11 250 000 so'm</b>"));
    // 5 000 000 paid covers row 1 and 3 000 000 of row 2, overdue since 15.03.
    assert!(text.contains("Next payment: 15.03.2026 — 4 125 000 so'm (overdue 5 d)"), "{text}");
    assert!(text.contains("Samsung &lt;Galaxy&gt; S24 &amp; case"));
    assert!(text.contains("IMEI: <code>356789012345678</code>"));
    assert!(text.contains("Note: gift"));
}

#[test]
fn with_the_mark_up_in_the_rates_lines_show_as_they_are() {
    // The same contract booked with the mark-up in the rates: nothing beyond the lines.
    let mut doc = doc_with_markup();
    doc.markup = Money::ZERO;
    doc.items[0].amount = som(13_000_000);
    doc.items[0].rate = som(13_000_000);
    doc.items[1].amount = som(3_250_000);
    doc.items[1].rate = som(1_625_000);
    let text = contract_card(Lang::En, &doc, &[], d(2026, 1, 20)).chunks.join("\n");
    assert!(text.contains("case\n    13 000 000 so'm\n"), "{text}");
    assert!(text.contains("1 625 000 so'm × 2 pcs = 3 250 000 so'm"), "{text}");
    assert!(text.contains("Total: 16 250 000 so'm"), "{text}");
}

#[test]
fn every_button_fits_in_64_bytes_whatever_the_contract_name() {
    let mut doc = doc_with_markup();
    doc.row.name = format!("SAL/ORD/{}", "Ünïcødé-".repeat(20));
    let s = contract_card(Lang::Ru, &doc, &[], d(2026, 1, 1));
    let Keyboard::Inline(rows) = s.keyboard else { panic!("inline keyboard expected") };
    for (_, cb) in rows.iter().flatten() {
        assert!(cb.encode().len() <= 64, "{}", cb.encode());
        assert_eq!(Callback::decode(&cb.encode()), *cb);
    }
}

#[test]
fn the_schedule_is_a_monospace_table_with_statuses_and_totals() {
    let payments = vec![payment("PE-1", "SO-2026-00001", d(2026, 2, 10), 5_000_000)];
    let s = schedule(Lang::En, &doc_with_markup(), &payments, d(2026, 3, 20));
    let text = s.chunks.join("\n");
    let pre = text.split("<pre>").nth(1).and_then(|t| t.split("</pre>").next()).expect("a <pre> block");
    let lines: Vec<&str> = pre.lines().collect();
    assert_eq!(lines.len(), 4, "{pre}");
    assert!(lines[1].starts_with("1  15.02.2026") && lines[1].ends_with("paid"), "{pre}");
    assert!(
        lines[2].contains("7 125 000") && lines[2].contains("3 000 000") && lines[2].ends_with("overdue 5 d"),
        "{pre}"
    );
    assert!(lines[3].ends_with("upcoming"), "{pre}");
    // Amount columns are right-aligned: every row has the same width up to the status.
    let status_at = |l: &str| l.find("paid").or_else(|| l.find("overdue")).or_else(|| l.find("upcoming"));
    assert_eq!(status_at(lines[1]), status_at(lines[3]));
    assert!(text.contains("Total: 16 250 000 so'm"));
    assert!(text.contains("Paid: 5 000 000 so'm"));
    assert!(text.contains("Remaining: <b>11 250 000 so'm</b>"));
}

#[test]
fn russian_uses_sum_and_russian_words() {
    let text = contract_card(Lang::Ru, &doc_with_markup(), &[], d(2026, 1, 1)).chunks.join("\n");
    assert!(text.contains("16 250 000 сум") && text.contains("Остаток"), "{text}");
}

#[test]
fn a_long_payment_history_is_split_under_the_limit() {
    let payments: Vec<PaymentRow> = (0..400)
        .map(|i| {
            payment(
                &format!("ACC-PAY-2026-{i:05}"),
                "SO-2026-00001",
                d(2026, 1, 1) + chrono::Duration::days(i),
                1_000_000,
            )
        })
        .collect();
    let s = history(Lang::Uz, &[row("SO-2026-00001", 500_000_000)], &payments, &[]);
    assert!(s.chunks.len() > 1);
    for chunk in &s.chunks {
        assert!(crate::format::split::visible_len(chunk) <= TELEGRAM_LIMIT);
    }
    let all = s.chunks.join("\n");
    assert_eq!(all.matches("ACC-PAY-2026-").count(), 400, "every payment is listed");
    assert!(all.contains("400 000 000 so'm"), "the total");
}

#[test]
fn upcoming_lists_overdue_then_the_next_30_days_nearest_first() {
    let today = d(2026, 3, 20);
    let a = Account::new(row("SO-A", 16_250_000), &[], &doc_with_markup().schedule, today);
    let b_rows = vec![
        Instalment { idx: 1, due_date: d(2026, 4, 1), amount: som(100_000) },
        Instalment { idx: 2, due_date: d(2026, 6, 1), amount: som(100_000) },
    ];
    let b = Account::new(row("SO-B", 200_000), &[], &b_rows, today);
    let text = upcoming(Lang::En, &[a, b], today).chunks.join("\n");
    let order: Vec<usize> = ["15.02.2026", "15.03.2026", "01.04.2026", "15.04.2026"]
        .iter()
        .map(|t| text.find(t).unwrap_or_else(|| panic!("{t} missing in {text}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(!text.contains("01.06.2026"), "beyond 30 days");
    assert!(text.contains("overdue 33 d"));
    // 2 000 000 + 7 125 000 + 100 000 + 7 125 000
    assert!(text.contains("Total: <b>16 350 000 so'm</b>"), "{text}");
}

#[test]
fn the_summary_counts_contracts_and_names_the_nearest_payment() {
    let today = d(2026, 2, 1);
    let a = Account::new(row("SO-A", 16_250_000), &[], &doc_with_markup().schedule, today);
    let text = summary(Lang::En, &[a], &[]).chunks.join("\n");
    assert!(text.contains("Contracts: <b>1</b>"));
    assert!(text.contains("Remaining to pay: <b>16 250 000 so'm</b>"));
    assert!(text.contains("Nearest payment: 15.02.2026 — 2 000 000 so'm"), "{text}");
}

#[test]
fn currencies_are_never_added_together() {
    let today = d(2026, 2, 1);
    let usd = ContractRow { currency: "USD".into(), ..row("SO-USD", 1_000) };
    let accounts = [Account::new(row("SO-A", 2_000_000), &[], &[], today), Account::new(usd, &[], &[], today)];
    let text = summary(Lang::En, &accounts, &[]).chunks.join("\n");
    assert!(text.contains("2 000 000 so'm") && text.contains("$1 000"), "{text}");
}

#[test]
fn the_contract_list_pages_with_prev_and_next() {
    let today = d(2026, 2, 1);
    let accounts: Vec<_> = (0..8).map(|i| Account::new(row(&format!("SO-{i}"), 100), &[], &[], today)).collect();
    let first = contract_list(Lang::En, &accounts, 0);
    let Keyboard::Inline(rows) = &first.keyboard else { panic!("inline") };
    assert_eq!(rows.len(), PAGE_SIZE + 1);
    assert_eq!(rows[PAGE_SIZE], vec![button(Label::Next, Callback::Contracts { page: 1 })]);
    let second = contract_list(Lang::En, &accounts, 1);
    let Keyboard::Inline(rows) = &second.keyboard else { panic!("inline") };
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2], vec![button(Label::Prev, Callback::Contracts { page: 0 })]);
    assert!(second.chunks[0].contains("Page 2/2"));
}

#[path = "tests_money.rs"]
mod money_shown;

fn on_account(name: &str, date: NaiveDate, amount: i64, currency: Option<&str>) -> OnAccount {
    OnAccount {
        payment: PaymentRow { contract: String::new(), ..payment(name, "", date, amount) },
        currency: currency.map(str::to_owned),
    }
}

#[test]
fn money_on_account_lowers_what_remains_and_is_named_in_the_summary() {
    let today = d(2026, 2, 1);
    let a = Account::new(row("SO-A", 16_250_000), &[], &doc_with_markup().schedule, today);
    let credit = [on_account("ACC-PAY-2026-00900", d(2026, 1, 20), 250_000, None)];
    let text = summary(Lang::En, &[a], &credit).chunks.join("\n");
    assert!(text.contains("Remaining to pay: <b>16 000 000 so'm</b>"), "{text}");
    assert!(
        text.contains("Credit on your account (not yet allocated, taken into account above): <b>250 000 so'm</b>"),
        "{text}"
    );
}

#[test]
fn credit_beyond_the_debt_leaves_nothing_to_pay_and_a_customer_with_only_credit_sees_it() {
    let today = d(2026, 2, 1);
    let a = Account::new(row("SO-A", 100_000), &[], &[], today);
    let credit = [on_account("ACC-PAY-2026-00901", d(2026, 1, 20), 300_000, Some("UZS"))];
    let text = summary(Lang::En, &[a], &credit).chunks.join("\n");
    assert!(text.contains("Remaining to pay: <b>0 so'm</b>") && text.contains("<b>300 000 so'm</b>"), "{text}");
    let alone = summary(Lang::En, &[], &credit).chunks.join("\n");
    assert!(alone.contains("Contracts: <b>0</b>") && alone.contains("<b>300 000 so'm</b>"), "{alone}");
}

#[test]
fn the_history_lists_money_on_account_in_posting_order_and_counts_it() {
    let payments = [
        payment("ACC-PAY-2026-00001", "SO-A", d(2026, 1, 5), 1_000_000),
        payment("ACC-PAY-2026-00003", "SO-A", d(2026, 1, 25), 500_000),
    ];
    let credit = [on_account("ACC-PAY-2026-00002", d(2026, 1, 15), 200_000, Some("UZS"))];
    let text = history(Lang::Ru, &[row("SO-A", 16_250_000)], &payments, &credit).chunks.join("\n");
    let at = |n: &str| text.find(n).unwrap_or_else(|| panic!("{n} missing in {text}"));
    assert!(at("00003") < at("00002") && at("00002") < at("00001"), "newest first: {text}");
    assert!(text.contains("200 000 сум</b> · Cash · № ACC-PAY-2026-00002 · на счёте"), "{text}");
    assert!(text.contains("Оплачено: <b>1 700 000 сум</b>"), "{text}");
    let only = history(Lang::En, &[], &[], &credit).chunks.join("\n");
    assert!(only.contains("on account") && !only.contains("No payments"), "{only}");
}
