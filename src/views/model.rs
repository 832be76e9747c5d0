//! The customer's data as the views need it, with the arithmetic done once: paid per
//! contract, remaining, schedule lines with statuses.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::erpnext::sales::{ContractRow, PaidTotals, PaymentRow};
use crate::format::money::Money;
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
        let lines = ledger::apply(schedule, paid, today);
        Account { row, paid, lines }
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
