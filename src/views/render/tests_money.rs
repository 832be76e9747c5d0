//! Amounts as customers read them on every view: whole so'm, lines that add up to their total
//! with the remainder on the last line, the language's decimal mark.

use super::*;

/// ERPNext's split of 6 000 000 into six payment terms: 1 000 000.02 × 5 + 999 999.90.
fn tiyin_split() -> ContractDoc {
    let mut schedule: Vec<Instalment> =
        (1..=5).map(|m| Instalment { idx: m, due_date: d(2026, m, 15), amount: Money(100_000_002) }).collect();
    schedule.push(Instalment { idx: 6, due_date: d(2026, 6, 15), amount: Money(99_999_990) });
    ContractDoc {
        row: row("SO-2026-00006", 6_000_000),
        docstatus: 1,
        amended_from: None,
        markup: Money::ZERO,
        down_payment: Money::ZERO,
        items: vec![item("Fridge", 1.0, 6_000_000)],
        schedule,
    }
}

/// Two instalments paid exactly as ERPNext holds them: 2 000 000.04.
fn paid_two_rows() -> Vec<PaymentRow> {
    let exact = PaymentRow { amount: Money(200_000_004), ..payment("PE-1", "SO-2026-00006", d(2026, 2, 10), 0) };
    vec![exact]
}

fn no_tiyin(text: &str) {
    assert!(!text.contains("000.0") && !text.contains("000,0") && !text.contains(".9"), "{text}");
}

#[test]
fn erpnexts_tiyin_split_reads_in_whole_som_on_the_card() {
    for lang in Lang::ALL {
        let text = contract_card(lang, &tiyin_split(), &paid_two_rows(), d(2026, 3, 20)).chunks.join("\n");
        no_tiyin(&text);
        assert!(text.contains("6 000 000") && text.contains("2 000 000") && text.contains("4 000 000"), "{text}");
    }
    let text = contract_card(Lang::En, &tiyin_split(), &paid_two_rows(), d(2026, 3, 20)).chunks.join("\n");
    assert!(text.contains("Paid: 2 000 000 so'm\nRemaining: <b>4 000 000 so'm</b>"), "{text}");
    assert!(text.contains("Next payment: 15.03.2026 — 1 000 000 so'm (overdue 5 d)"), "{text}");
    assert!(text.contains("Fridge\n    6 000 000 so'm\n"), "{text}");
}

#[test]
fn schedule_rows_add_up_to_the_total_under_them() {
    let text = schedule(Lang::Ru, &tiyin_split(), &paid_two_rows(), d(2026, 3, 20)).chunks.join("\n");
    no_tiyin(&text);
    let pre = text.split("<pre>").nth(1).and_then(|t| t.split("</pre>").next()).expect("a <pre> block");
    let rows: Vec<&str> = pre.lines().skip(1).collect();
    assert_eq!(rows.len(), 6, "{pre}");
    assert!(rows.iter().all(|r| r.contains(" 1 000 000 ")), "every row, the last one too: {pre}");
    assert!(rows[0].ends_with("оплачен") && rows[1].ends_with("оплачен"), "{pre}");
    assert!(rows[2].ends_with("просрочен 5 дн."), "{pre}");
    assert!(text.contains("Сумма: 6 000 000 сум\nОплачено: 2 000 000 сум\nОстаток: <b>4 000 000 сум</b>"), "{text}");
}

#[test]
fn upcoming_rows_add_up_to_their_total() {
    let today = d(2026, 5, 20);
    let doc = tiyin_split();
    let a = Account::new(doc.row.clone(), &paid_two_rows(), &doc.schedule, today);
    let text = upcoming(Lang::En, &[a], today).chunks.join("\n");
    no_tiyin(&text);
    // Rows 3 to 5 overdue, the last one (999 999.90) due in 26 days: 1 000 000 each.
    assert_eq!(text.matches("— 1 000 000 so'm").count(), 4, "{text}");
    assert!(text.contains("Total: <b>4 000 000 so'm</b>"), "{text}");
    let summary = summary(Lang::En, &[Account::new(doc.row.clone(), &[], &doc.schedule, today)], &[]).chunks.join("\n");
    assert!(summary.contains("Remaining to pay: <b>6 000 000 so'm</b>"), "{summary}");
}

#[test]
fn a_schedule_within_erpnexts_tolerance_fits_the_contract_total() {
    // 333 333.33 + 333 333.33 + 333 333.79 = 1 000 000.45 against a grand total of
    // 1 000 000.50, which ERPNext accepts (0.1): rounded apart they would say 1 000 000 and
    // 1 000 001; fitted, the last row says 333 335 and both totals 1 000 001.
    let mut doc = tiyin_split();
    doc.row.total = Money(100_000_050);
    doc.schedule.truncate(3);
    doc.schedule.iter_mut().for_each(|r| r.amount = Money(33_333_333));
    doc.schedule[2].amount = Money(33_333_379);
    let text = schedule(Lang::En, &doc, &[], d(2026, 1, 1)).chunks.join("\n");
    let pre = text.split("<pre>").nth(1).and_then(|t| t.split("</pre>").next()).expect("a <pre> block");
    assert!(pre.lines().nth(3).is_some_and(|last| last.contains("333 335")), "{pre}");
    assert!(text.contains("Total: 1 000 001 so'm"), "{text}");
    let card = contract_card(Lang::En, &doc, &[], d(2026, 1, 1)).chunks.join("\n");
    assert!(card.contains("Total: 1 000 001 so'm"), "{card}");
}

#[test]
fn an_instalment_short_of_less_than_a_som_reads_as_paid() {
    // 999 999.60 paid on a first row of 1 000 000.02: 0.42 so'm short in ERPNext, which the
    // customer cannot even read; no "0 so'm overdue" follows.
    let mut paid = vec![payment("PE-1", "SO-2026-00006", d(2026, 1, 15), 0)];
    paid[0].amount = Money(99_999_960);
    let text = contract_card(Lang::En, &tiyin_split(), &paid, d(2026, 2, 1)).chunks.join("\n");
    assert!(text.contains("Next payment: 15.02.2026 — 1 000 000 so'm"), "{text}");
    assert!(!text.contains("0 so'm (overdue"), "{text}");
}

#[test]
fn product_lines_sharing_a_charge_row_add_up_to_the_contract_total() {
    // 4 700 000 + 1 250 000 + 50 000 with a 1 000 000.01 charge row: the exact line totals are
    // 5 483 333.34, 1 458 333.34 and 58 333.33; shown, the last takes the remainder.
    let doc = ContractDoc {
        row: ContractRow { total: Money(700_000_001), ..row("SO-2026-00007", 0) },
        markup: Money(100_000_001),
        items: vec![item("Phone", 1.0, 4_700_000), item("Case", 1.0, 1_250_000), item("Charger", 1.0, 50_000)],
        schedule: vec![],
        ..tiyin_split()
    };
    let text = contract_card(Lang::Uz, &doc, &[], d(2026, 1, 1)).chunks.join("\n");
    for want in ["Phone\n    5 483 333 so'm\n", "Case\n    1 458 333 so'm\n", "Charger\n    58 334 so'm\n"] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
    assert!(text.contains(": 7 000 000 so'm"), "{text}");
    no_tiyin(&text);
}

#[test]
fn listed_payments_add_up_to_the_paid_total_with_the_remainder_last() {
    let payments: Vec<PaymentRow> = (1..=3)
        .map(|i| PaymentRow { amount: Money(33_333_333), ..payment(&format!("PE-{i}"), "SO-A", d(2026, 1, i), 0) })
        .collect();
    let text = history(Lang::En, &[row("SO-A", 1_000_000)], &payments, &[]).chunks.join("\n");
    // 999 999.99 paid: 333 333 and 333 333 listed first (newest first), the oldest takes 333 334.
    let oldest = text.find("01.01.2026 · <b>333 334 so'm</b>").expect("the remainder on the last line");
    assert!(text.find("03.01.2026 · <b>333 333 so'm</b>") < Some(oldest), "{text}");
    assert!(text.contains("Paid: <b>1 000 000 so'm</b>"), "{text}");
}

#[test]
fn cents_keep_the_languages_decimal_mark() {
    let usd = ContractRow { currency: "USD".into(), total: Money(125_050), ..row("SO-USD", 0) };
    let doc = ContractDoc { row: usd, items: vec![], schedule: vec![], ..tiyin_split() };
    let ru = contract_card(Lang::Ru, &doc, &[], d(2026, 1, 1)).chunks.join("\n");
    let en = contract_card(Lang::En, &doc, &[], d(2026, 1, 1)).chunks.join("\n");
    assert!(ru.contains("$1 250,50") && en.contains("$1 250.50"), "{ru}\n{en}");
}
