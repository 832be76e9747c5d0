use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).unwrap_or_default()
}

fn som(major: i64) -> Money {
    Money(major * 100)
}

fn row(idx: u32, d: u32, major: i64) -> Instalment {
    Instalment { idx, due_date: day(d), amount: som(major) }
}

/// Three instalments of 1 000 due on the 5th, 10th and 15th.
fn schedule() -> Vec<Instalment> {
    vec![row(1, 5, 1000), row(2, 10, 1000), row(3, 15, 1000)]
}

fn summary(lines: &[Line]) -> Vec<(u32, Money, Money, Status)> {
    lines.iter().map(|l| (l.instalment.idx, l.paid, l.remaining, l.status)).collect()
}

#[test]
fn every_status_follows_the_documented_precedence() {
    use Status::*;
    let cases = [
        // (paid total, today, statuses of rows 1..=3)
        (0, 1, [Upcoming, Upcoming, Upcoming]),
        (500, 1, [PartlyPaid, Upcoming, Upcoming]),
        (1000, 1, [Paid, Upcoming, Upcoming]),
        (0, 5, [DueToday, Upcoming, Upcoming]),
        (500, 5, [DueToday, Upcoming, Upcoming]),
        (1500, 10, [Paid, DueToday, Upcoming]),
        (0, 7, [Overdue { days_late: 2 }, Upcoming, Upcoming]),
        (500, 12, [Overdue { days_late: 7 }, Overdue { days_late: 2 }, Upcoming]),
        (1500, 12, [Paid, Overdue { days_late: 2 }, Upcoming]),
        (3000, 31, [Paid, Paid, Paid]),
    ];
    for (paid, today, expected) in cases {
        let statuses: Vec<Status> = apply(&schedule(), som(paid), day(today)).iter().map(|l| l.status).collect();
        assert_eq!(statuses, expected, "paid {paid} on day {today}");
    }
    assert!(!Paid.is_outstanding());
    assert!([PartlyPaid, DueToday, Overdue { days_late: 1 }, Upcoming].iter().all(Status::is_outstanding));
}

#[test]
fn partial_payment_fills_rows_in_order() {
    let lines = apply(&schedule(), som(1250), day(12));
    assert_eq!(
        summary(&lines),
        [
            (1, som(1000), som(0), Status::Paid),
            (2, som(250), som(750), Status::Overdue { days_late: 2 }),
            (3, som(0), som(1000), Status::Upcoming),
        ]
    );
    assert_eq!(next_due(&lines).map(|l| l.instalment.idx), Some(2));
    assert_eq!(totals(&lines), Totals { amount: som(3000), paid: som(1250), remaining: som(1750) });
}

#[test]
fn overpayment_leaves_everything_paid_and_reports_the_surplus() {
    let lines = apply(&schedule(), som(3500), day(1));
    assert!(lines.iter().all(|l| l.status == Status::Paid && l.remaining.is_zero()));
    assert_eq!(totals(&lines).paid, som(3000));
    assert_eq!(next_due(&lines), None);
    assert_eq!(surplus(&schedule(), som(3500)), som(500));
    assert_eq!(surplus(&schedule(), som(2999)), Money::ZERO);
}

#[test]
fn negative_paid_total_counts_as_nothing_paid() {
    let lines = apply(&schedule(), som(-200), day(1));
    assert_eq!(totals(&lines).paid, Money::ZERO);
    assert!(lines.iter().all(|l| l.status == Status::Upcoming));
    assert_eq!(surplus(&schedule(), som(-200)), Money::ZERO);
}

#[test]
fn unsorted_rows_are_paid_by_due_date_then_idx() {
    let rows = vec![row(3, 15, 1000), row(9, 5, 1000), row(2, 5, 1000)];
    let lines = apply(&rows, som(1500), day(1));
    assert_eq!(
        summary(&lines),
        [
            (2, som(1000), som(0), Status::Paid),
            (9, som(500), som(500), Status::PartlyPaid),
            (3, som(0), som(1000), Status::Upcoming),
        ]
    );
    assert_eq!(next_due(&lines).map(|l| l.instalment.idx), Some(9));
}

#[test]
fn float_noise_from_erpnext_does_not_leave_a_tiyin_outstanding() {
    // ERPNext's schedule says 0.3; the payments add up to 0.1 + 0.2 in floating point.
    let rows = [Instalment { idx: 1, due_date: day(5), amount: Money::from_erp(0.3) }];
    let paid = Money::from_erp(0.1) + Money::from_erp(0.2);
    let direct = Money::from_erp(0.1 + 0.2);
    for paid in [paid, direct] {
        let lines = apply(&rows, paid, day(9));
        assert_eq!(lines[0].status, Status::Paid);
        assert_eq!(lines[0].remaining, Money::ZERO);
    }
}

#[test]
fn totals_never_drift_over_a_thousand_rows() {
    let rows: Vec<Instalment> =
        (0..1000).map(|i| Instalment { idx: i, due_date: day(1), amount: Money::from_erp(0.01) }).collect();
    let lines = apply(&rows, Money::from_erp(3.33), day(1));
    let sum = totals(&lines);
    assert_eq!(sum.amount, Money(1000));
    assert_eq!(sum.paid, Money(333));
    assert_eq!(sum.remaining, Money(667));
    assert_eq!(sum.amount, sum.paid + sum.remaining);
}

#[test]
fn markup_is_spread_in_proportion_to_the_amounts() {
    let items = [ItemAmount { qty: 1.0, amount: som(10_000_000) }, ItemAmount { qty: 2.0, amount: som(2_500_000) }];
    let priced = price_lines(&items, som(3_750_000));
    assert_eq!(
        priced,
        [
            PricedLine { line_total: som(13_000_000), unit_price: som(13_000_000) },
            PricedLine { line_total: som(3_250_000), unit_price: som(1_625_000) },
        ]
    );
}

#[test]
fn the_mark_up_remainder_goes_on_the_last_line() {
    let equal = [ItemAmount { qty: 1.0, amount: som(500) }; 3];
    let totals: Vec<Money> = price_lines(&equal, som(100)).iter().map(|p| p.line_total).collect();
    assert_eq!(totals, [Money(53_333), Money(53_333), Money(53_334)]);

    // 1.00 split 1:2:3 is 0.1667 / 0.3333 / 0.5: 0.17 and 0.33 rounded, the last takes 0.50.
    let items = [100, 200, 300].map(|minor| ItemAmount { qty: 1.0, amount: Money(minor) });
    let shares: Vec<i64> =
        price_lines(&items, Money(100)).iter().zip(&items).map(|(p, i)| (p.line_total - i.amount).0).collect();
    assert_eq!(shares, [17, 33, 50]);
}

#[test]
fn a_charge_row_is_spread_exactly_to_the_tiyin() {
    // Items of 4 700 000, 1 250 000 and 50 000 so'm with a 1 000 000.01 charge row: shares of
    // 783 333.341 and 208 333.335 rounded to the tiyin, the last takes the 8 333.33 left.
    let items = [470_000_000, 125_000_000, 5_000_000].map(|minor| ItemAmount { qty: 1.0, amount: Money(minor) });
    let priced = price_lines(&items, Money(100_000_001));
    let totals: Vec<i64> = priced.iter().map(|p| p.line_total.0).collect();
    assert_eq!(totals, [548_333_334, 145_833_334, 5_833_333]);
    assert_eq!(totals.iter().sum::<i64>(), 600_000_000 + 100_000_001);
}

#[test]
fn line_totals_always_add_up_to_amounts_plus_markup() {
    let amounts = [1, 7, 13, 99_999, 123_456_789, 3];
    for markup in [1, 2, 5, 77, 1_000_001, 987_654_321, -10] {
        for n in 1..=amounts.len() {
            let items: Vec<ItemAmount> =
                amounts[..n].iter().map(|&a| ItemAmount { qty: 3.0, amount: Money(a) }).collect();
            let priced = price_lines(&items, Money(markup));
            let sum: Money = priced.iter().map(|p| p.line_total).sum();
            let expected: Money = items.iter().map(|i| i.amount).sum::<Money>() + Money(markup);
            assert_eq!(sum, expected, "markup {markup}, {n} items");
        }
    }
}

#[test]
fn without_markup_or_amounts_lines_keep_their_amounts() {
    let items = [ItemAmount { qty: 2.0, amount: som(300) }, ItemAmount { qty: 1.0, amount: Money::ZERO }];
    assert_eq!(price_lines(&items, Money::ZERO)[0].line_total, som(300));
    let zero = [ItemAmount { qty: 1.0, amount: Money::ZERO }; 2];
    assert!(price_lines(&zero, som(100)).iter().all(|p| p.line_total.is_zero()));
    assert!(price_lines(&[], som(100)).is_empty());
}

#[test]
fn unit_price_rounds_half_away_from_zero_and_tolerates_odd_quantities() {
    let cases = [
        (1000, 3.0, 333),
        (1001, 2.0, 501),
        (-1001, 2.0, -501),
        (1000, 0.5, 2000),
        (1000, 0.0, 1000),
        (1000, -2.0, 1000),
        (1000, f64::NAN, 1000),
        (1000, 0.1 + 0.2, 3333),
        (1000, 1e-9, 1000),
    ];
    for (total, qty, unit) in cases {
        let priced = price_lines(&[ItemAmount { qty, amount: Money(total) }], Money::ZERO);
        assert_eq!(priced[0].unit_price, Money(unit), "{total} / {qty}");
    }
}
