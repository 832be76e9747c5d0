//! What remains on a contract's due rows when those rows are known one by one and the
//! contract's other rows due up to the same day only as ERPNext sums them.
//!
//! The reminder pass lists the schedule rows due on its target dates. What remains on such a
//! row depends on everything due before it: the paid total covers the schedule earliest first
//! ([`super::apply`]). The contract's other rows due up to the latest target date, the pass
//! asks ERPNext for as one grouped row per contract ([`Outline`]): their sum, their first and
//! last due date and their smallest amount. None of them is due on a target date, so a due
//! row lies before all of them or after all of them (its remainder is then exact), or among
//! them: the part of them due before it is then at least their smallest amount and at most
//! their sum less their smallest amount, and when both ends give the same remainder, that is
//! the remainder. Only when they do not (the paid total runs out inside a stretch of unlisted
//! rows of uneven amounts) must the contract's schedule be read row by row.

use chrono::NaiveDate;

use super::Instalment;
use crate::format::money::Money;

/// A contract's schedule rows due up to the latest target date on other days than the target
/// dates, as ERPNext aggregates them (`sum`, `min`, `max` grouped on the contract).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outline {
    pub sum: Money,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub smallest: Money,
}

/// The remainder on each of `due` (in their order): all the contract's rows due on the target
/// dates, with `others` the rest of its rows up to the latest of those dates (`None`: there are
/// none). `None` when the outline does not decide a row's remainder.
pub fn remaining(due: &[Instalment], others: Option<&Outline>, paid_total: Money) -> Option<Vec<Money>> {
    // A negative row counts as zero in `apply`; a sum with one in it would not match.
    if others.is_some_and(|o| o.smallest.is_negative() || o.first > o.last) {
        return None;
    }
    let paid = paid_total.max(Money::ZERO);
    let mut order: Vec<usize> = (0..due.len()).collect();
    order.sort_by_key(|&i| (due[i].due_date, due[i].idx));
    let mut remaining = vec![Money::ZERO; due.len()];
    let mut listed_before: i128 = 0;
    for i in order {
        let row = &due[i];
        let amount = row.amount.max(Money::ZERO);
        let (sum, smallest) = others.map_or((0, 0), |o| (i128::from(o.sum.0), i128::from(o.smallest.0)));
        let (low, high) = match others {
            None => (listed_before, listed_before),
            Some(o) if row.due_date < o.first => (listed_before, listed_before),
            Some(o) if row.due_date > o.last => (listed_before + sum, listed_before + sum),
            Some(o) if row.due_date > o.first && row.due_date < o.last => {
                (listed_before + smallest, listed_before + sum - smallest)
            }
            // Due on the same day as an unlisted row: their order is not known.
            Some(_) => return None,
        };
        let (at_low, at_high) = (left_on(low, amount, paid), left_on(high, amount, paid));
        if low > high || at_low != at_high {
            return None;
        }
        remaining[i] = Money(i64::try_from(at_low).ok()?);
        listed_before += i128::from(amount.0);
    }
    Some(remaining)
}

/// What remains on a row of `amount` when `before` is due ahead of it and `paid` is paid:
/// `clamp(before + amount − paid, 0, amount)`, growing with `before`. In `i128`, where
/// nothing saturates, as nothing does in [`super::apply`].
fn left_on(before: i128, amount: Money, paid: Money) -> i128 {
    let amount = i128::from(amount.0);
    (before + amount - i128::from(paid.0)).clamp(0, amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::apply;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Duration::days(n)
    }

    fn row(idx: u32, d: i64, amount: i64) -> Instalment {
        Instalment { idx, due_date: day(d), amount: Money(amount) }
    }

    /// The outline of the rows not due on `targets`, up to the latest target.
    fn outline(schedule: &[Instalment], targets: &[NaiveDate]) -> (Vec<Instalment>, Option<Outline>) {
        let latest = targets.iter().max().copied().unwrap_or(day(0));
        let (due, others): (Vec<Instalment>, Vec<Instalment>) =
            schedule.iter().filter(|r| r.due_date <= latest).cloned().partition(|r| targets.contains(&r.due_date));
        let outline = (!others.is_empty()).then(|| Outline {
            sum: others.iter().map(|r| r.amount).sum(),
            first: others.iter().map(|r| r.due_date).min().unwrap_or(latest),
            last: others.iter().map(|r| r.due_date).max().unwrap_or(latest),
            smallest: others.iter().map(|r| r.amount).min().unwrap_or_default(),
        });
        (due, outline)
    }

    /// What `apply` leaves on the due rows, in their order.
    fn exact(schedule: &[Instalment], due: &[Instalment], paid: Money) -> Vec<Money> {
        let lines = apply(schedule, paid, day(0));
        due.iter().map(|d| lines.iter().find(|l| l.instalment == *d).map_or(Money(-1), |l| l.remaining)).collect()
    }

    /// Monthly instalments of 1 000.00 due on days 0, 30, … 330.
    fn monthly() -> Vec<Instalment> {
        (0..12).map(|m| row(m + 1, 30 * i64::from(m), 100_000)).collect()
    }

    #[test]
    fn rows_before_or_after_every_unlisted_row_are_exact() {
        let schedule = monthly();
        // Listed: day 60 (row 3) and day 150 (row 6); unlisted: days 0, 30, 90, 120.
        let (due, others) = outline(&schedule, &[day(60), day(150)]);
        let others = others.expect("unlisted rows");
        assert_eq!((others.sum, others.first, others.last), (Money(400_000), day(0), day(120)));
        // Row 6 is after every unlisted row: 5 rows before it.
        for paid in [0, 450_000, 500_000, 550_000, 600_000, 700_000] {
            let got = remaining(&due, Some(&others), Money(paid)).expect("decided");
            assert_eq!(got, exact(&schedule, &due, Money(paid)), "paid {paid}");
        }
    }

    #[test]
    fn a_row_among_unlisted_rows_is_decided_when_the_paid_total_is_clear_of_them() {
        let schedule = monthly();
        // Row 3 (day 60) lies among the unlisted rows of days 0, 30 | 90, 120.
        let (due, others) = outline(&schedule, &[day(60), day(150)]);
        for (paid, want) in [
            (500_000, [0, 100_000]),       // paid through row 5: every row before row 6
            (520_000, [0, 80_000]),        // and part of row 6
            (100_000, [100_000, 100_000]), // at most one unlisted row's worth: none of row 3
            (0, [100_000, 100_000]),
        ] {
            let got = remaining(&due, others.as_ref(), Money(paid));
            assert_eq!(got, Some(want.map(Money).to_vec()), "paid {paid}");
            assert_eq!(got, Some(exact(&schedule, &due, Money(paid))));
        }
        // Paid through row 3 or part of it: how many unlisted rows come first is not known.
        assert_eq!(remaining(&due, others.as_ref(), Money(250_000)), None);
        assert_eq!(remaining(&due, others.as_ref(), Money(300_000)), None);
    }

    /// What a pass on day 400 lists with the service's default offsets (5, 3, 1 days before,
    /// the day, 1, 3, 7 days after, then weekly for a year): the targets and every day from 7
    /// days ago to 5 days ahead.
    fn default_listing() -> Vec<NaiveDate> {
        crate::ledger::reminder_kinds::Offsets { before: vec![5, 3, 1], after: vec![1, 3, 7] }.listed(day(400))
    }

    #[test]
    fn equal_monthly_instalments_paid_on_time_or_one_behind_are_always_decided() {
        let targets = default_listing();
        for start in 0..=400 {
            let schedule: Vec<Instalment> = (0..12).map(|m| row(m + 1, start + 30 * i64::from(m), 100_000)).collect();
            let past = schedule.iter().filter(|r| r.due_date < day(400)).count() as i64;
            for paid_rows in [past, past - 1, past + 1] {
                for part in [0, 50_000] {
                    let paid = Money((paid_rows.max(0) * 100_000 + part).max(0));
                    let (due, others) = outline(&schedule, &targets);
                    let got = remaining(&due, others.as_ref(), paid);
                    assert_eq!(got, Some(exact(&schedule, &due, paid)), "start {start}, paid {paid:?}");
                }
            }
        }
    }

    #[test]
    fn uneven_unlisted_rows_around_the_frontier_leave_it_undecided() {
        // Unlisted: 5 000.00 on day 0 and 500.00 on day 90; listed: 1 000.00 on day 60.
        let schedule = vec![row(1, 0, 500_000), row(2, 60, 100_000), row(3, 90, 50_000)];
        let (due, others) = outline(&schedule, &[day(60), day(95)]);
        assert_eq!(remaining(&due, others.as_ref(), Money(520_000)), None);
        assert_eq!(exact(&schedule, &due, Money(520_000)), vec![Money(80_000)]);
    }

    #[test]
    fn an_outline_it_cannot_trust_decides_nothing() {
        let due = [row(2, 30, 100)];
        let negative = Outline { sum: Money(50), first: day(0), last: day(0), smallest: Money(-50) };
        assert_eq!(remaining(&due, Some(&negative), Money(10)), None);
        let same_day = Outline { sum: Money(50), first: day(30), last: day(30), smallest: Money(50) };
        assert_eq!(remaining(&due, Some(&same_day), Money(10)), None);
        let backwards = Outline { sum: Money(50), first: day(40), last: day(0), smallest: Money(50) };
        assert_eq!(remaining(&due, Some(&backwards), Money(10)), None);
    }

    #[test]
    fn huge_figures_do_not_saturate_into_a_wrong_answer() {
        let schedule = [row(1, 0, i64::MAX), row(2, 30, 100)];
        let got = remaining(&schedule, None, Money(i64::MAX));
        assert_eq!(got, Some(vec![Money::ZERO, Money(100)]));
        assert_eq!(got, Some(exact(&schedule, &schedule, Money(i64::MAX))));
    }

    /// A small deterministic generator (xorshift64*), so the comparison below is repeatable.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
        }
    }

    #[test]
    fn whatever_it_decides_is_what_the_whole_schedule_gives() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut decided, mut cases) = (0, 0);
        for _ in 0..20_000 {
            let rows = 1 + rng.below(14) as u32;
            let uneven = rng.below(3) == 0;
            let base = 1 + rng.below(5) as i64 * 25_000;
            let mut d = 0;
            let schedule: Vec<Instalment> = (1..=rows)
                .map(|idx| {
                    d += [0, 1, 7, 14, 30, 31][rng.below(6) as usize];
                    let amount = if uneven { rng.below(300_000) as i64 } else { base };
                    row(idx, d, amount)
                })
                .collect();
            let targets: Vec<NaiveDate> = (0..=d + 10).filter(|_| rng.below(4) == 0).map(day).collect();
            let total: i64 = schedule.iter().map(|r| r.amount.0).sum();
            let paid = Money(rng.below(total as u64 + 2) as i64 - rng.below(2) as i64);
            let (due, others) = outline(&schedule, &targets);
            if due.is_empty() {
                continue;
            }
            cases += 1;
            if let Some(got) = remaining(&due, others.as_ref(), paid) {
                decided += 1;
                assert_eq!(got, exact(&schedule, &due, paid), "{schedule:?} targets {targets:?} paid {paid:?}");
            }
        }
        // Random paid totals often end among unlisted rows of random amounts: a floor, not a goal.
        assert!(decided * 5 > cases * 2, "decided {decided} of {cases}");
    }
}
