//! Instalment arithmetic: what is paid, what is left, what is late, and what each product
//! costs once the contract's mark-up is spread over it. Pure functions on [`Money`].
//!
//! ERPNext keeps `Payment Schedule.outstanding` current only on sites that allocate payments
//! per payment term, which most do not; `advance_paid` is the only figure it always
//! maintains. So the bot takes the contract's paid total and applies it to the schedule rows
//! in due-date order, earliest first, the way a customer reads the schedule.
//!
//! [`remaining`]: what remains on the rows a reminder pass lists, from those rows and ERPNext's
//! sums of the contract's other rows (an [`remaining::Outline`]), without reading the rest.

pub mod remaining;
pub mod reminder_kinds;

use chrono::NaiveDate;

use crate::format::date::days_between;
use crate::format::money::{Money, clamp_i64};

/// One row of a contract's payment schedule (`Payment Schedule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instalment {
    /// The row's position in ERPNext, which breaks ties between rows due on the same day.
    pub idx: u32,
    pub due_date: NaiveDate,
    pub amount: Money,
}

/// Where an instalment stands on a given day.
///
/// The rule, first match wins:
/// 1. nothing remains → [`Status::Paid`];
/// 2. due before today → [`Status::Overdue`], whether or not part of it is paid
///    ([`Line::paid`] says how much);
/// 3. due today → [`Status::DueToday`], likewise;
/// 4. due later with part paid → [`Status::PartlyPaid`];
/// 5. due later, nothing paid → [`Status::Upcoming`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Fully covered by the payments.
    Paid,
    /// Not due yet, and part of it is already covered.
    PartlyPaid,
    /// Due today with something still to pay.
    DueToday,
    /// Past its due date with something still to pay.
    Overdue {
        /// Whole days since the due date, at least 1.
        days_late: i64,
    },
    /// Not due yet, nothing covered.
    Upcoming,
}

impl Status {
    /// Whether something is still to pay on the instalment.
    pub fn is_outstanding(&self) -> bool {
        !matches!(self, Status::Paid)
    }

    fn of(due_date: NaiveDate, paid: Money, remaining: Money, today: NaiveDate) -> Status {
        if !remaining.is_positive() {
            return Status::Paid;
        }
        match days_between(due_date, today) {
            days_late if days_late > 0 => Status::Overdue { days_late },
            0 => Status::DueToday,
            _ if paid.is_positive() => Status::PartlyPaid,
            _ => Status::Upcoming,
        }
    }
}

/// An instalment with the part of the paid total that covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub instalment: Instalment,
    /// Covered by payments; between zero and the instalment's amount.
    pub paid: Money,
    /// Still to pay: the amount less `paid`, never negative.
    pub remaining: Money,
    pub status: Status,
}

/// Applies `paid_total` to the schedule, earliest due date first (ties by `idx`), and
/// classifies each row on `today`. The result is in that order.
///
/// A negative paid total (refunds larger than payments) counts as nothing paid; anything
/// beyond the schedule's total leaves every row paid (see [`surplus`]). A row with a
/// negative amount counts as zero.
pub fn apply(rows: &[Instalment], paid_total: Money, today: NaiveDate) -> Vec<Line> {
    let mut sorted: Vec<&Instalment> = rows.iter().collect();
    sorted.sort_by_key(|row| (row.due_date, row.idx));
    let mut available = paid_total.max(Money::ZERO);
    sorted
        .into_iter()
        .map(|row| {
            let due = row.amount.max(Money::ZERO);
            let paid = available.min(due);
            available -= paid;
            let remaining = due - paid;
            Line { instalment: row.clone(), paid, remaining, status: Status::of(row.due_date, paid, remaining, today) }
        })
        .collect()
}

/// What was paid beyond the whole schedule (zero when the schedule is not yet covered).
pub fn surplus(rows: &[Instalment], paid_total: Money) -> Money {
    let scheduled: Money = rows.iter().map(|row| row.amount.max(Money::ZERO)).sum();
    (paid_total - scheduled).max(Money::ZERO)
}

/// Sums over a schedule. `amount == paid + remaining` always holds.
///
/// These are the schedule's figures; the contract's remaining balance shown to the customer
/// is the contract total less the paid total, which differs when the schedule does not add
/// up to the contract total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub amount: Money,
    pub paid: Money,
    pub remaining: Money,
}

/// Adds up the lines.
pub fn totals(lines: &[Line]) -> Totals {
    lines.iter().fold(Totals::default(), |sum, line| Totals {
        amount: sum.amount + line.paid + line.remaining,
        paid: sum.paid + line.paid,
        remaining: sum.remaining + line.remaining,
    })
}

/// The instalment to pay next: the earliest one with something remaining. Overdue rows come
/// first simply because they are the earliest. `None` when everything is paid.
pub fn next_due(lines: &[Line]) -> Option<&Line> {
    lines
        .iter()
        .filter(|line| line.remaining.is_positive())
        .min_by_key(|line| (line.instalment.due_date, line.instalment.idx))
}

/// A product line of the contract before the mark-up (`Sales Order Item`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ItemAmount {
    /// Quantity; ERPNext allows fractions. Zero or less counts as 1 for the unit price.
    pub qty: f64,
    /// The line amount before the mark-up.
    pub amount: Money,
}

/// A product line as the customer pays for it, mark-up included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PricedLine {
    pub line_total: Money,
    pub unit_price: Money,
}

/// Spreads the contract's mark-up over its product lines in proportion to their amounts:
/// `line_total = amount + markup × amount / Σ amount`.
///
/// Each line but the last gets its share rounded half away from zero to the minor unit; the
/// last gets what is left, as ERPNext spreads an "Actual" charge over the items
/// (erpnext/controllers/taxes_and_totals.py, `calculate_taxes`: "Adjust divisional loss to the
/// last item"). So the line totals add up to `Σ amount + markup` exactly. Without a mark-up, or
/// when the amounts add up to zero, each line keeps its amount. `unit_price` is
/// `line_total / qty`, rounded half away from zero.
pub fn price_lines(items: &[ItemAmount], markup: Money) -> Vec<PricedLine> {
    let shares = markup_shares(items, markup);
    items
        .iter()
        .zip(shares)
        .map(|(item, share)| {
            let line_total = item.amount + share;
            PricedLine { line_total, unit_price: unit_price(line_total, item.qty) }
        })
        .collect()
}

/// Each line's share of the mark-up, summing to `markup` exactly (or all zero).
fn markup_shares(items: &[ItemAmount], markup: Money) -> Vec<Money> {
    let total: i128 = items.iter().map(|item| i128::from(item.amount.0)).sum();
    if markup.is_zero() || total == 0 {
        return vec![Money::ZERO; items.len()];
    }
    let Some((_, first)) = items.split_last() else { return Vec::new() };
    let mut shares: Vec<Money> = first
        .iter()
        .map(|item| Money(clamp_i64(divide_rounded(i128::from(markup.0) * i128::from(item.amount.0), total))))
        .collect();
    let given: Money = shares.iter().sum();
    shares.push(markup - given);
    shares
}

/// `numerator / divisor` rounded half away from zero; `divisor` is not zero.
fn divide_rounded(numerator: i128, divisor: i128) -> i128 {
    let sign = numerator.signum() * divisor.signum();
    let (n, d) = (numerator.abs(), divisor.abs());
    sign * ((2 * n + d) / (2 * d))
}

/// `line_total / qty` in minor units, half away from zero; `qty` is read to six decimals.
fn unit_price(line_total: Money, qty: f64) -> Money {
    const SCALE: i128 = 1_000_000;
    let scaled_qty = if qty.is_finite() && qty > 0.0 {
        // `as` saturates for huge values; a qty below 1e-6 rounds to 0 and counts as 1.
        ((qty * SCALE as f64).round() as i128).max(0)
    } else {
        0
    };
    let divisor = if scaled_qty == 0 { SCALE } else { scaled_qty };
    Money(clamp_i64(divide_rounded(i128::from(line_total.0) * SCALE, divisor)))
}

#[cfg(test)]
mod tests;
