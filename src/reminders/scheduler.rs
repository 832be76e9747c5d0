//! When passes run: every day at `REMINDER_TIME` in `REMINDER_TIMEZONE` (whatever the
//! machine's own zone), and at start-up when today's pass is due and not done yet — a pass
//! missed while the service was down, or cut short by a crash, is caught up the same day.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::pass::{Outcome, PassRunner};

/// How often the scheduler looks again (also the retry delay after a failed pass).
const TICK: Duration = Duration::from_secs(60);

pub struct Scheduler {
    pub enabled: bool,
    pub passes: PassRunner,
    pub time: NaiveTime,
    pub timezone: Tz,
}

/// The date in the business's time zone.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The instant of a day's run; a local time skipped by a DST change runs an hour later.
pub fn run_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

impl Scheduler {
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        if !self.enabled {
            tracing::info!("daily reminders are off in this replica (REMINDERS_ENABLED=false)");
            return;
        }
        tokio::pin!(shutdown);
        let mut done_for: Option<NaiveDate> = None;
        loop {
            let now = Utc::now();
            let today = local_date(now, self.timezone);
            let due = now >= run_instant(today, self.time, self.timezone);
            if due && done_for != Some(today) {
                match self.passes.run(today).await {
                    Ok(Outcome::Done(r)) if r.failed > 0 => {
                        tracing::warn!(%today, failed = r.failed, "reminders failed; retrying them in a minute")
                    }
                    Ok(Outcome::Done(_)) | Ok(Outcome::AlreadyDone(_)) => done_for = Some(today),
                    Ok(Outcome::LeaseHeld) => tracing::debug!(%today, "another replica runs today's reminders"),
                    Err(e) => tracing::warn!(%today, error = %e, "reminder pass failed; retrying in a minute"),
                }
            }
            let next = run_instant(today.succ_opt().unwrap_or(today), self.time, self.timezone);
            let wait = if due { (next - now).to_std().unwrap_or(TICK).min(TICK) } else { TICK };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_in_tashkent_is_five_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
        let ten = NaiveTime::from_hms_opt(10, 0, 0).expect("time");
        let at = run_instant(date, ten, chrono_tz::Asia::Tashkent);
        assert_eq!(at.to_rfc3339(), "2026-06-15T05:00:00+00:00");
    }

    #[test]
    fn the_local_date_can_differ_from_the_utc_date() {
        let late_utc = Utc.with_ymd_and_hms(2026, 6, 15, 21, 30, 0).single().expect("time");
        assert_eq!(local_date(late_utc, chrono_tz::Asia::Tashkent).to_string(), "2026-06-16");
        assert_eq!(local_date(late_utc, chrono_tz::UTC).to_string(), "2026-06-15");
    }

    #[test]
    fn a_time_skipped_by_daylight_saving_runs_an_hour_later() {
        // 2026-03-29 02:30 does not exist in Berlin.
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        let at = run_instant(date, NaiveTime::from_hms_opt(2, 30, 0).expect("time"), chrono_tz::Europe::Berlin);
        assert_eq!(at.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }
}
