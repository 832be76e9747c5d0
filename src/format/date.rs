//! Dates: reading ERPNext's `YYYY-MM-DD` (and datetime) values and writing `dd.mm.yyyy`, the
//! form customers in Uzbekistan expect whatever the interface language.

use chrono::{NaiveDate, NaiveTime};

/// `2025-03-07` → `07.03.2025`.
pub fn format(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// Reads an ERPNext date `YYYY-MM-DD`, or the date part of a datetime
/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (the site's time zone, taken as is). Surrounding
/// whitespace is ignored; anything else, including an impossible date or time, is `None`.
pub fn parse_erp_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    if let Some(time) = time {
        NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?;
    }
    // Checked by shape first: chrono alone would also take `2025-3-7` or `+2025-03-07`.
    let b = date.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// Whole days from `from` to `to`: positive when `to` is later, zero on the same day.
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn format_is_day_month_year_with_dots() {
        assert_eq!(format(d(2025, 3, 7)), "07.03.2025");
        assert_eq!(format(d(2024, 12, 31)), "31.12.2024");
    }

    #[test]
    fn parse_erp_date_accepts_dates_and_datetimes() {
        let cases = [
            ("2025-03-07", Some(d(2025, 3, 7))),
            (" 2024-02-29 ", Some(d(2024, 2, 29))),
            ("2025-03-07 14:05:09", Some(d(2025, 3, 7))),
            ("2025-03-07 14:05:09.123456", Some(d(2025, 3, 7))),
            ("2025-03-07T14:05:09", Some(d(2025, 3, 7))),
            ("2025-02-29", None),
            ("2025-3-7", None),
            ("07.03.2025", None),
            ("2025-03-07 25:00:00", None),
            ("2025-03-07 junk", None),
            ("2025-03-07 ", Some(d(2025, 3, 7))),
            ("", None),
            ("2025-03-0é", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_erp_date(text), expected, "{text:?}");
        }
    }

    #[test]
    fn days_between_is_signed() {
        assert_eq!(days_between(d(2025, 2, 27), d(2025, 3, 1)), 2);
        assert_eq!(days_between(d(2025, 3, 1), d(2025, 2, 27)), -2);
        assert_eq!(days_between(d(2025, 3, 1), d(2025, 3, 1)), 0);
    }
}
