//! Which due dates a day's reminder pass ([`crate::reminders`]) reminds of, and as what kind:
//! pure date arithmetic, beside the instalment arithmetic it serves.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How many weeks after the last configured overdue offset weekly reminders go on.
pub const WEEKLY_FOR: u32 = 52;

/// The kind of a reminder, relative to the pass date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// Due in so many days.
    Before(u32),
    DueToday,
    /// Overdue by so many days.
    Overdue(u32),
}

impl Kind {
    /// A short stable code for the ledger (`b5`, `d0`, `o7`).
    pub fn code(self) -> String {
        match self {
            Kind::Before(d) => format!("b{d}"),
            Kind::DueToday => "d0".into(),
            Kind::Overdue(d) => format!("o{d}"),
        }
    }
}

/// The configured offsets (days before, days after).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offsets {
    pub before: Vec<u32>,
    pub after: Vec<u32>,
}

impl Offsets {
    /// Days overdue that get a reminder: the configured ones, then every 7 days after the last.
    fn overdue_days(&self) -> Vec<u32> {
        let mut days = self.after.clone();
        let last = days.iter().copied().max().unwrap_or(0);
        days.extend((1..=WEEKLY_FOR).map(|w| last + 7 * w));
        days.sort_unstable();
        days.dedup();
        days
    }

    /// Every due date reminded of on `date`, with its kind.
    pub fn targets(&self, date: NaiveDate) -> Vec<(NaiveDate, Kind)> {
        let mut out: Vec<(NaiveDate, Kind)> = self
            .before
            .iter()
            .map(|d| (date + Duration::days(i64::from(*d)), Kind::Before(*d)))
            .chain(std::iter::once((date, Kind::DueToday)))
            .chain(self.overdue_days().into_iter().map(|d| (date - Duration::days(i64::from(d)), Kind::Overdue(d))))
            .collect();
        out.sort();
        out.dedup_by_key(|(d, _)| *d);
        out
    }

    /// The due dates whose schedule rows a pass on `date` lists: every target date, and every
    /// day from the last configured overdue offset to the furthest "before" offset (by default
    /// 7 days ago to 5 days ahead). The rows of the days in between get no reminder, but a
    /// contract's rows around a near reminder are then listed themselves: what remains on a
    /// row never depends on an unlisted row of that stretch ([`crate::ledger::remaining`]).
    pub fn listed(&self, date: NaiveDate) -> Vec<NaiveDate> {
        let after = i64::from(self.after.iter().copied().max().unwrap_or(0));
        let before = i64::from(self.before.iter().copied().max().unwrap_or(0));
        let mut dates: Vec<NaiveDate> = self.targets(date).into_iter().map(|(d, _)| d).collect();
        dates.extend((-after..=before).map(|d| date + Duration::days(d)));
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// The kind of reminder for an instalment due on `due`, on `date`.
    pub fn kind_for(&self, due: NaiveDate, date: NaiveDate) -> Option<Kind> {
        let delta = (due - date).num_days();
        let kind = match delta {
            0 => Kind::DueToday,
            d if d > 0 => Kind::Before(u32::try_from(d).ok()?),
            d => Kind::Overdue(u32::try_from(-d).ok()?),
        };
        let wanted = match kind {
            Kind::Before(d) => self.before.contains(&d),
            Kind::DueToday => true,
            Kind::Overdue(d) => self.overdue_days().contains(&d),
        };
        wanted.then_some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets() -> Offsets {
        Offsets { before: vec![1, 3, 5], after: vec![1, 3, 7] }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    #[test]
    fn kinds_by_distance_to_the_due_date() {
        let today = d(6, 15);
        let cases = [
            (d(6, 20), Some(Kind::Before(5))),
            (d(6, 18), Some(Kind::Before(3))),
            (d(6, 16), Some(Kind::Before(1))),
            (d(6, 17), None),
            (d(6, 15), Some(Kind::DueToday)),
            (d(6, 14), Some(Kind::Overdue(1))),
            (d(6, 12), Some(Kind::Overdue(3))),
            (d(6, 8), Some(Kind::Overdue(7))),
            (d(6, 10), None),
            (d(6, 1), Some(Kind::Overdue(14))),
            (d(5, 25), Some(Kind::Overdue(21))),
            (d(5, 26), None),
        ];
        for (due, want) in cases {
            assert_eq!(offsets().kind_for(due, today), want, "{due}");
        }
    }

    #[test]
    fn targets_list_every_reminded_date_once() {
        let today = d(6, 15);
        let targets = offsets().targets(today);
        assert_eq!(targets.len(), 3 + 1 + 3 + WEEKLY_FOR as usize);
        for (due, kind) in &targets {
            assert_eq!(offsets().kind_for(*due, today), Some(*kind));
        }
        let codes: Vec<String> = targets.iter().rev().take(3).map(|(_, k)| k.code()).collect();
        assert_eq!(codes, vec!["b5", "b3", "b1"]);
    }

    #[test]
    fn a_pass_lists_every_target_and_every_day_of_the_near_stretch() {
        let today = d(6, 15);
        let listed = offsets().listed(today);
        assert!(offsets().targets(today).iter().all(|(t, _)| listed.contains(t)));
        let near: Vec<NaiveDate> = listed.iter().copied().filter(|l| *l >= d(6, 1)).collect();
        let want: Vec<NaiveDate> = std::iter::once(d(6, 1)).chain((8..=20).map(|day| d(6, day))).collect();
        assert_eq!(near, want, "14 days overdue, then 7 days ago to 5 days ahead");
        assert_eq!(listed.len(), 13 + WEEKLY_FOR as usize);
        let none = Offsets { before: vec![], after: vec![] };
        assert_eq!(none.listed(today).iter().filter(|l| **l >= d(6, 1)).count(), 3, "today, 7 and 14 days ago");
    }
}
