//! The customer's data as the views need it, with the arithmetic done once: paid per
//! contract, remaining, schedule lines with statuses — in the figures the customer reads.
//!
//! An account is kept in the currency's shown unit (whole so'm; [`money::Decimals`]): the
//! total, the paid total and the schedule rows are rounded once, here, and everything shown
//! is derived from them, so the rows add up to the total, paid and remaining add up to it,
//! and an instalment a customer paid to the so'm as printed reads as paid, not as tiyin
//! overdue. The exact figures stay with ERPNext; none shown is further from them than the
//! rounding, but for the last schedule row, which takes the rows' remainder.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::erpnext::sales::{ContractRow, PaidTotals, PaymentRow};
use crate::format::money::{self, Money};
use crate::ledger::{self, Instalment, Line};

/// One contract with its money worked out.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    pub row: ContractRow,
    pub paid: Money,
    pub lines: Vec<Line>,
}

impl Account {
    /// The account of a contract from its payments (the views that list them).
    pub fn new(row: ContractRow, payments: &[PaymentRow], schedule: &[Instalment], today: NaiveDate) -> Account {
        let paid: Money = payments.iter().filter(|p| p.contract == row.name).map(|p| p.amount).sum();
        Account::with_paid(row, paid, schedule, today)
    }

    /// The account of a contract from its paid total (the views that show totals only).
    pub fn with_paid(row: ContractRow, paid: Money, schedule: &[Instalment], today: NaiveDate) -> Account {
        let currency = row.currency.as_str();
        let schedule = shown_schedule(schedule, row.total, currency);
        let paid = money::round(paid, currency);
        let lines = ledger::apply(&schedule, paid, today);
        let total = money::round(row.total, currency);
        Account { row: ContractRow { total, ..row }, paid, lines }
    }

    /// Contract total minus paid, never below zero.
    pub fn remaining(&self) -> Money {
        (self.row.total - self.paid).max(Money::ZERO)
    }

    /// Closed contracts are shown only while they still have a balance.
    pub fn is_visible(&self) -> bool {
        self.row.status != "Closed" || self.remaining().is_positive()
    }
}

/// How far ERPNext lets a schedule's sum stray from the grand total it splits (0.1 in the
/// document's currency): erpnext/controllers/accounts_controller.py,
/// `AccountsController.validate_payment_schedule_amount`, refuses `abs(total - grand_total) >
/// 0.1` against `rounded_total or grand_total`.
const SCHEDULE_TOLERANCE: Money = Money(10);

/// The schedule rows as shown, in due-date order: rounded, the last row taking the remainder of
/// the contract total (of the rows' own sum where they do not make up the total, as on a
/// contract changed after its schedule was made).
fn shown_schedule(rows: &[Instalment], total: Money, currency: &str) -> Vec<Instalment> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|row| (row.due_date, row.idx));
    let amounts: Vec<Money> = rows.iter().map(|row| row.amount).collect();
    let sum: Money = amounts.iter().sum();
    let target = if (sum - total).0.abs() <= SCHEDULE_TOLERANCE.0 { total } else { sum };
    for (row, shown) in rows.iter_mut().zip(money::fit(&amounts, target, currency)) {
        row.amount = shown;
    }
    rows
}

/// Builds accounts for every contract from their paid totals and batched schedule rows.
pub fn accounts(
    contracts: Vec<ContractRow>,
    paid: &PaidTotals,
    schedules: &[(String, Instalment)],
    today: NaiveDate,
) -> Vec<Account> {
    let mut by_contract: BTreeMap<&str, Vec<Instalment>> = BTreeMap::new();
    for (name, row) in schedules {
        by_contract.entry(name.as_str()).or_default().push(row.clone());
    }
    contracts
        .into_iter()
        .map(|row| {
            let schedule = by_contract.get(row.name.as_str()).cloned().unwrap_or_default();
            let paid = paid.of(&row.name);
            Account::with_paid(row, paid, &schedule, today)
        })
        .filter(Account::is_visible)
        .collect()
}

/// Sums per currency, so that contracts in different currencies are never added up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerCurrency(pub BTreeMap<String, Money>);

impl PerCurrency {
    pub fn add(&mut self, currency: &str, amount: Money) {
        *self.0.entry(currency.to_owned()).or_default() += amount;
    }

    pub fn is_zero(&self) -> bool {
        self.0.values().all(|m| m.is_zero())
    }
}
