//! The shop's wall-clock time for forms and pages. zhibo's shops are in
//! China (UTC+08:00, no daylight saving), so a `datetime-local` value such
//! as `2026-11-25T20:00` means 20:00 Beijing time. Pure arithmetic on the
//! proleptic Gregorian calendar; no time-zone database needed.

use crate::{DomainError, Timestamp};

/// Beijing time, in minutes east of UTC.
pub const SHOP_OFFSET_MINUTES: i64 = 8 * 60;

/// Parses `YYYY-MM-DDTHH:MM` (seconds allowed, a space instead of `T` too)
/// as shop time.
pub fn parse_shop_time(field: &'static str, text: &str) -> Result<Timestamp, DomainError> {
    let bad = || {
        DomainError::new(
            field,
            format!("时间格式应为 2026-11-25T20:00 / expected a time like 2026-11-25T20:00, got {text:?}"),
        )
    };
    let t = text.trim();
    let (date, time) = t.split_once(['T', ' ']).ok_or_else(bad)?;
    let mut d = date.split('-');
    let (y, m, day) = (d.next(), d.next(), d.next());
    let num = |s: Option<&str>| {
        s.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<i64>().ok())
    };
    let (Some(y), Some(m), Some(day), None) = (num(y), num(m), num(day), d.next()) else { return Err(bad()) };
    let mut hm = time.split(':');
    let (Some(h), Some(min)) = (num(hm.next()), num(hm.next())) else { return Err(bad()) };
    let sec = match hm.next() {
        None => 0,
        s => num(s).ok_or_else(bad)?,
    };
    if !(1..=12).contains(&m)
        || day < 1
        || day > days_in_month(y, m)
        || h > 23
        || min > 59
        || sec > 59
        || !(1970..=9999).contains(&y)
    {
        return Err(bad());
    }
    let days = days_from_civil(y, m, day);
    let local_secs = days * 86_400 + h * 3600 + min * 60 + sec;
    Ok(Timestamp((local_secs - SHOP_OFFSET_MINUTES * 60) * 1000))
}

/// `2026-11-25T20:00` in shop time: what a `datetime-local` input shows.
pub fn format_shop_time(t: Timestamp) -> String {
    let local_secs = t.0.div_euclid(1000) + SHOP_OFFSET_MINUTES * 60;
    let (days, secs) = (local_secs.div_euclid(86_400), local_secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// `2026-11-25 20:00:05` in shop time, for tables of events.
pub fn format_shop_time_seconds(t: Timestamp) -> String {
    let local_secs = t.0.div_euclid(1000) + SHOP_OFFSET_MINUTES * 60;
    let (days, secs) = (local_secs.div_euclid(86_400), local_secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn beijing_evening_is_utc_noon() {
        // 2026-11-25 20:00 +08:00 = 12:00 UTC = 1_795_608_000_000 ms
        assert_eq!(parse_shop_time("t", "2026-11-25T20:00").unwrap(), Timestamp(1_795_608_000_000));
        assert_eq!(parse_shop_time("t", "2026-11-25 20:00:00").unwrap(), Timestamp(1_795_608_000_000));
        assert_eq!(format_shop_time(Timestamp(1_795_608_000_000)), "2026-11-25T20:00");
    }

    #[test]
    fn nonsense_names_the_field() {
        for bad in [
            "",
            "2026-02-30T10:00",
            "2026-13-01T10:00",
            "2026-11-25T24:00",
            "2026-11-25",
            "x-1-1T1:1",
            "2024-02-29T25:00",
        ] {
            assert_eq!(parse_shop_time("starts_at", bad).unwrap_err().field, "starts_at", "{bad}");
        }
        assert!(parse_shop_time("t", "2024-02-29T10:00").is_ok(), "a leap day");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips_to_the_minute(minutes in 0i64..(8000 * 366 * 24 * 60)) {
            let t = Timestamp(minutes * 60_000);
            prop_assert_eq!(parse_shop_time("t", &format_shop_time(t)).unwrap(), t);
        }
    }
}
