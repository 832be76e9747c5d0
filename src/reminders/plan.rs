//! Planning a day's reminders from ERPNext without asking about customers one by one: the
//! schedule rows due on the listed dates with their contracts' fields (pages of one joined
//! list), then — per batch of contracts, as many as an `in` filter of [`BULK_IN_BYTES`] holds,
//! concurrently — an outline of their other rows due up to the latest listed date, their paid
//! totals and the customers' links: one row per contract each, summed or read by ERPNext.
//!
//! What is owed on a due row follows from the contract's paid total applied to the schedule
//! earliest first, as the views compute it from the payments. The outline decides it for
//! nearly every contract ([`remaining::remaining`]); the others (a paid total that runs out
//! among unlisted rows of uneven amounts; every contract on a site that ignores `group_by` or
//! refuses sums, as Frappe v16 does) have their schedules read row by row at the end, in as few
//! pages as they fill ([`ledger::apply`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::kinds::{Kind, Offsets};
use crate::erpnext::query::{BULK_IN_BYTES, batches};
use crate::erpnext::sales::{ContractRow, Fetch};
use crate::erpnext::{ErpClient, ErpError};
use crate::format::money::{self, Money};
use crate::ledger::{self, Instalment, remaining};

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
    let listed = offsets.listed(date);
    let latest = listed.last().copied().unwrap_or(date);
    let mut contracts = erp.contracts_due(&listed).await?;
    // Rows of the near stretch between the reminded days only serve the arithmetic.
    contracts.retain(|(_, rows)| rows.iter().any(|r| offsets.kind_for(r.due_date, date).is_some()));
    let rows = contracts.iter().flat_map(|(_, rows)| rows).filter(|r| offsets.kind_for(r.due_date, date).is_some());
    let mut plan = Plan { rows: rows.count(), ..Plan::default() };
    let mut undecided: Vec<Contract<'_>> = Vec::new();
    for batch in batches(&contracts, |(c, _)| c.name.as_str(), BULK_IN_BYTES) {
        let names: Vec<String> = batch.iter().map(|(c, _)| c.name.clone()).collect();
        let customers: Vec<String> =
            batch.iter().map(|(c, _)| c.customer.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let (outlines, paid, links) = tokio::try_join!(
            erp.schedule_outlines(&names, &listed, latest),
            erp.paid_totals(&names, Fetch::Bulk),
            erp.telegram_links(&customers),
        )?;
        for (row, due_rows) in batch {
            let contract =
                Contract { row, due_rows, paid: paid.of(&row.name), chat: links.get(&row.customer).copied() };
            let others = outlines.as_ref().and_then(|o| o.of(&row.name).ok()).filter(|others| {
                // Without unlisted rows, the listed ones are the contract's first rows: where
                // they are not, the answer and the listing disagree (one of them changed).
                others.is_some() || starts_the_schedule(due_rows)
            });
            match others.and_then(|others| remaining::remaining(due_rows, others, contract.paid)) {
                Some(owed) => add_contract(&mut plan, &contract, &owed, date, offsets),
                None => undecided.push(contract),
            }
        }
    }
    let read_in_full = undecided.len();
    let names: Vec<String> = undecided.iter().map(|c| c.row.name.clone()).collect();
    let mut schedules = erp.schedules_until(&names, latest).await?;
    for contract in &undecided {
        let schedule = schedules.remove(&contract.row.name.trim().to_lowercase()).unwrap_or_default();
        let owed = exact(&schedule, contract.paid, contract.due_rows);
        add_contract(&mut plan, contract, &owed, date, offsets);
    }
    tracing::info!(
        contracts = contracts.len(),
        rows = plan.rows,
        read_in_full,
        "reminders planned from the due rows, the outlines of the other rows and the paid totals"
    );
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

/// A contract with what the plan needs of it: its rows due on the listed dates, its paid total
/// and its customer's chat.
struct Contract<'a> {
    row: &'a ContractRow,
    due_rows: &'a [Instalment],
    paid: Money,
    chat: Option<i64>,
}

/// Whether rows are the first of their schedule: positions 1, 2, … without a gap.
fn starts_the_schedule(rows: &[Instalment]) -> bool {
    let mut positions: Vec<u32> = rows.iter().map(|r| r.idx).collect();
    positions.sort_unstable();
    positions.iter().zip(1..).all(|(idx, n)| *idx == n)
}

/// What remains on each of `due_rows` (in their order) with the whole `schedule` known.
fn exact(schedule: &[Instalment], paid: Money, due_rows: &[Instalment]) -> Vec<Money> {
    let lines = ledger::apply(schedule, paid, NaiveDate::MIN);
    due_rows
        .iter()
        .map(|row| {
            let line = lines.iter().find(|l| l.instalment.idx == row.idx && l.instalment.due_date == row.due_date);
            // A row the schedule read no longer holds (the contract changed meanwhile) gets no
            // reminder today rather than a figure that may be wrong; the next pass reads afresh.
            line.map_or(Money::ZERO, |l| l.remaining)
        })
        .collect()
}

/// Adds one contract's reminders: its due rows still owed (`owed`, in the order of
/// `due_rows`), grouped by kind.
fn add_contract(plan: &mut Plan, contract: &Contract<'_>, owed: &[Money], date: NaiveDate, offsets: &Offsets) {
    let mut by_kind: BTreeMap<Kind, Vec<(u32, NaiveDate, Money)>> = BTreeMap::new();
    for (row, owed) in contract.due_rows.iter().zip(owed) {
        let Some(kind) = offsets.kind_for(row.due_date, date) else { continue };
        // Less than the shown unit (half a so'm) would read "0 so'm": the customer paid what
        // was printed, and the views show the row as paid.
        if money::round(*owed, &contract.row.currency).is_positive() {
            by_kind.entry(kind).or_default().push((row.idx, row.due_date, *owed));
        } else {
            plan.skipped_paid += 1;
        }
    }
    let Some(chat_id) = contract.chat else {
        plan.skipped_unlinked += by_kind.values().map(Vec::len).sum::<usize>();
        return;
    };
    for (kind, lines) in by_kind {
        plan.reminders.push(Reminder {
            contract: contract.row.name.clone(),
            customer: contract.row.customer.clone(),
            chat_id,
            currency: contract.row.currency.clone(),
            kind,
            lines,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 000 so'm, in tiyin.
    const SO: i64 = 10_000_000;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
    }

    fn row(idx: u32, days: i64) -> Instalment {
        Instalment { idx, due_date: date() + chrono::Duration::days(days), amount: Money(SO) }
    }

    fn contract() -> ContractRow {
        ContractRow {
            name: "SO-1".into(),
            customer: "CUST-1".into(),
            date: None,
            status: "To Deliver and Bill".into(),
            currency: "UZS".into(),
            total: Money(4 * SO),
        }
    }

    /// Plans one contract due 7 days ago, yesterday, today and in 3 days, with `paid` paid.
    fn plan_with(paid: Money, chat: Option<i64>) -> Plan {
        let schedule = [row(1, -7), row(2, -1), row(3, 0), row(4, 3)];
        let offsets = Offsets { before: vec![1, 3, 5], after: vec![1, 3, 7] };
        let mut plan = Plan::default();
        let row = contract();
        let contract = Contract { row: &row, due_rows: &schedule, paid, chat };
        add_contract(&mut plan, &contract, &exact(&schedule, paid, &schedule), date(), &offsets);
        plan
    }

    fn lines(plan: &Plan) -> Vec<(Kind, Vec<(u32, Money)>)> {
        plan.reminders.iter().map(|r| (r.kind, r.lines.iter().map(|(idx, _, m)| (*idx, *m)).collect())).collect()
    }

    #[test]
    fn the_paid_total_covers_the_earliest_rows_first_and_a_partly_paid_row_is_reminded_of_its_rest() {
        let plan = plan_with(Money(SO + SO / 2), Some(42));
        assert_eq!(plan.skipped_paid, 1, "row 1 is paid in full");
        let want = vec![
            (Kind::Before(3), vec![(4, Money(SO))]),
            (Kind::DueToday, vec![(3, Money(SO))]),
            (Kind::Overdue(1), vec![(2, Money(SO / 2))]),
        ];
        assert_eq!(lines(&plan), want);
        assert!(plan.reminders.iter().all(|r| r.chat_id == 42 && r.contract == "SO-1" && r.currency == "UZS"));
    }

    #[test]
    fn half_a_som_decides_whether_a_row_is_reminded() {
        let exact = plan_with(Money(2 * SO), Some(42));
        assert_eq!((exact.skipped_paid, exact.reminders.len()), (2, 2));
        // 49 tiyin short reads "0 so'm": not reminded, as the views show the row paid.
        let tiyin_short = plan_with(Money(2 * SO - 49), Some(42));
        assert_eq!((tiyin_short.skipped_paid, tiyin_short.reminders.len()), (2, 2));
        let short = plan_with(Money(2 * SO - 50), Some(42));
        assert_eq!(short.skipped_paid, 1);
        assert!(lines(&short).contains(&(Kind::Overdue(1), vec![(2, Money(50))])), "{:?}", lines(&short));
    }

    #[test]
    fn nothing_paid_reminds_of_every_row_and_overpaid_of_none() {
        let nothing = plan_with(Money::ZERO, Some(42));
        assert_eq!((nothing.skipped_paid, nothing.reminders.len()), (0, 4));
        let overpaid = plan_with(Money(5 * SO), Some(42));
        assert_eq!((overpaid.skipped_paid, overpaid.reminders.len()), (4, 0));
    }

    #[test]
    fn listed_rows_start_the_schedule_only_from_position_one_without_gaps() {
        assert!(starts_the_schedule(&[row(2, 0), row(1, -7)]));
        assert!(!starts_the_schedule(&[row(1, -7), row(3, 0)]));
        assert!(!starts_the_schedule(&[row(2, 0)]));
        assert!(starts_the_schedule(&[]));
    }

    #[test]
    fn rows_owed_by_an_unlinked_customer_are_counted_not_planned() {
        let plan = plan_with(Money(SO), None);
        assert_eq!((plan.skipped_paid, plan.skipped_unlinked, plan.reminders.len()), (1, 3, 0));
    }
}
