//! Planning a day's reminders from ERPNext without asking about customers one by one: the
//! schedule rows due on the target dates (pages), then — per batch of contracts — the
//! contracts, their full schedules and payments (concurrently) and the customers' links.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::kinds::{Kind, Offsets};
use crate::erpnext::sales::{ContractRow, Fetch, PaymentRow};
use crate::erpnext::{ErpClient, ErpError};
use crate::format::money::Money;
use crate::ledger::Instalment;
use crate::views::model::Account;

/// Contracts per planning batch: bounds memory whatever the size of the day.
const CONTRACT_BATCH: usize = 1000;

/// One message: a contract's instalments of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub contract: String,
    pub customer: String,
    pub chat_id: i64,
    pub currency: String,
    pub kind: Kind,
    /// (instalment idx, due date, amount still owed on it).
    pub lines: Vec<(u32, NaiveDate, Money)>,
}

impl Reminder {
    /// Ledger members: one per instalment (contract, instalment, kind); the date is the set's.
    pub fn members(&self) -> Vec<String> {
        self.lines.iter().map(|(idx, _, _)| format!("{}\u{1f}{idx}\u{1f}{}", self.contract, self.kind.code())).collect()
    }
}

/// A day's plan.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub reminders: Vec<Reminder>,
    /// Due rows already paid in full.
    pub skipped_paid: usize,
    /// Rows of customers without a Telegram link.
    pub skipped_unlinked: usize,
    /// Rows listed due on the target dates.
    pub rows: usize,
}

pub async fn plan(erp: &ErpClient, date: NaiveDate, offsets: &Offsets) -> Result<Plan, ErpError> {
    let dates: Vec<NaiveDate> = offsets.targets(date).into_iter().map(|(d, _)| d).collect();
    let latest = dates.iter().max().copied().unwrap_or(date);
    let due = erp.instalments_due(&dates).await?;
    let mut by_contract: BTreeMap<String, Vec<Instalment>> = BTreeMap::new();
    for (contract, row) in due {
        by_contract.entry(contract).or_default().push(row);
    }
    let mut plan = Plan { rows: by_contract.values().map(Vec::len).sum(), ..Plan::default() };
    let names: Vec<String> = by_contract.keys().cloned().collect();
    for batch in names.chunks(CONTRACT_BATCH) {
        let (contracts, schedules, payments) = tokio::try_join!(
            erp.contracts_named(batch),
            erp.schedules_until(batch, latest),
            erp.payments(batch, Fetch::Bulk),
        )?;
        let customers: Vec<String> =
            contracts.iter().map(|c| c.customer.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let links = erp.telegram_links(&customers).await?;
        let mut schedules_by: BTreeMap<String, Vec<Instalment>> = BTreeMap::new();
        for (contract, row) in schedules {
            schedules_by.entry(contract).or_default().push(row);
        }
        let mut payments_by: BTreeMap<String, Vec<PaymentRow>> = BTreeMap::new();
        for payment in payments {
            payments_by.entry(payment.contract.clone()).or_default().push(payment);
        }
        for contract in contracts {
            let due_rows = by_contract.get(&contract.name).map(Vec::as_slice).unwrap_or_default();
            let schedule = schedules_by.remove(&contract.name).unwrap_or_default();
            let paid = payments_by.remove(&contract.name).unwrap_or_default();
            let chat = links.get(&contract.customer).copied();
            add_contract(&mut plan, contract, &schedule, &paid, due_rows, chat, date, offsets);
        }
    }
    plan.reminders = interleave(std::mem::take(&mut plan.reminders));
    Ok(plan)
}

/// Orders reminders so that consecutive sends go to different chats: every chat's first
/// reminder, then every chat's second… (one message per second per chat would otherwise
/// stall the pass on a customer with several contracts).
fn interleave(mut reminders: Vec<Reminder>) -> Vec<Reminder> {
    reminders.sort_by(|a, b| (a.chat_id, &a.contract, a.kind).cmp(&(b.chat_id, &b.contract, b.kind)));
    let mut round: BTreeMap<i64, usize> = BTreeMap::new();
    let mut keyed: Vec<(usize, Reminder)> = reminders
        .into_iter()
        .map(|r| {
            let n = round.entry(r.chat_id).or_default();
            *n += 1;
            (*n, r)
        })
        .collect();
    keyed.sort_by(|(ra, a), (rb, b)| (ra, a.chat_id).cmp(&(rb, b.chat_id)));
    keyed.into_iter().map(|(_, r)| r).collect()
}

/// Adds one contract's reminders: the due rows still owed, grouped by kind.
#[allow(clippy::too_many_arguments)]
fn add_contract(
    plan: &mut Plan,
    contract: ContractRow,
    schedule: &[Instalment],
    payments: &[PaymentRow],
    due_rows: &[Instalment],
    chat: Option<i64>,
    date: NaiveDate,
    offsets: &Offsets,
) {
    let account = Account::new(contract, payments, schedule, date);
    let mut by_kind: BTreeMap<Kind, Vec<(u32, NaiveDate, Money)>> = BTreeMap::new();
    for row in due_rows {
        let Some(kind) = offsets.kind_for(row.due_date, date) else { continue };
        let line = account.lines.iter().find(|l| l.instalment.idx == row.idx && l.instalment.due_date == row.due_date);
        match line {
            Some(l) if l.remaining.is_positive() => {
                by_kind.entry(kind).or_default().push((row.idx, row.due_date, l.remaining))
            }
            _ => plan.skipped_paid += 1,
        }
    }
    let Some(chat_id) = chat else {
        plan.skipped_unlinked += by_kind.values().map(Vec::len).sum::<usize>();
        return;
    };
    for (kind, lines) in by_kind {
        plan.reminders.push(Reminder {
            contract: account.row.name.clone(),
            customer: account.row.customer.clone(),
            chat_id,
            currency: account.row.currency.clone(),
            kind,
            lines,
        });
    }
}
