//! The review clock: a request is due a number of business days after it
//! reaches the reviewers.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

/// `start` plus `days` business days, at the same time of day, in UTC.
///
/// Business days are Monday to Friday. There is no holiday calendar: a
/// federal holiday counts as a business day. A request submitted on a
/// weekend starts counting from the following Monday (Saturday + 1 business
/// day is Monday at the same time).
pub fn add_business_days(start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut due = start;
    let mut left = days;
    while left > 0 {
        due += Duration::days(1);
        if is_business_day(due) {
            left -= 1;
        }
    }
    due
}

pub fn is_business_day(at: DateTime<Utc>) -> bool {
    !matches!(at.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn weekdays_count_and_weekends_do_not() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            add_business_days(at(2026, 11, 23, 9), 1),
            at(2026, 11, 24, 9)
        );
        assert_eq!(
            add_business_days(at(2026, 11, 23, 9), 4),
            at(2026, 11, 27, 9)
        );
        // Friday + 1 is Monday.
        assert_eq!(
            add_business_days(at(2026, 11, 27, 15), 1),
            at(2026, 11, 30, 15)
        );
        // Ten business days is two calendar weeks from a weekday.
        assert_eq!(
            add_business_days(at(2026, 11, 25, 12), 10),
            at(2026, 12, 9, 12)
        );
        // Saturday and Sunday submissions count from Monday.
        assert_eq!(
            add_business_days(at(2026, 11, 28, 8), 1),
            at(2026, 11, 30, 8)
        );
        assert_eq!(
            add_business_days(at(2026, 11, 29, 8), 1),
            at(2026, 11, 30, 8)
        );
        assert_eq!(
            add_business_days(at(2026, 11, 23, 9), 0),
            at(2026, 11, 23, 9)
        );
    }
}
