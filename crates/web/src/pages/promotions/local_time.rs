//! The shop's local time (北京时间, UTC+08:00) as the promotion forms and
//! tables show it. `<input type="datetime-local">` sends a wall-clock time
//! with no zone, so the zone is fixed here and stated on every page that
//! uses it; the store keeps UTC milliseconds.

use zhibo_domain::Timestamp;

use crate::pages::products::beijing_time;

/// Beijing is UTC+08:00 all year (no daylight saving).
const OFFSET_SECS: i64 = 8 * 3600;

/// `2026-11-25 20:00`: minutes are enough for a promotion window.
pub fn display(t: Timestamp) -> String {
    let mut text = beijing_time(t);
    text.truncate(text.len() - 3); // drop ":SS"
    text
}

/// `2026-11-25T20:00`, the value `<input type="datetime-local">` expects.
pub fn input_value(t: Timestamp) -> String {
    display(t).replacen(' ', "T", 1)
}

/// Reads `2026-11-25T20:00` (seconds optional; a space instead of `T` is
/// accepted for browsers that show a plain text box) as Beijing time.
/// `None` for anything else, including a 31 February.
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (year, month, day) = (number(d.next()?, 4)?, number(d.next()?, 2)?, number(d.next()?, 2)?);
    let mut t = time.split(':');
    let (hour, minute) = (number(t.next()?, 2)?, number(t.next()?, 2)?);
    let second = match t.next() {
        Some(s) => number(s, 2)?,
        None => 0,
    };
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - OFFSET_SECS;
    Some(Timestamp(secs * 1000))
}

/// Exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days-from-civil, the inverse of the civil-from-days behind `beijing_time`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_beijing_wall_clock_time() {
        // 2026-11-25 20:00 in Beijing is 12:00 UTC
        assert_eq!(parse("2026-11-25T20:00"), Some(Timestamp(1_795_608_000_000)));
        assert_eq!(parse("2026-11-25 20:00:30"), Some(Timestamp(1_795_608_030_000)));
        assert_eq!(parse("1970-01-01T08:00"), Some(Timestamp(0)));
        assert_eq!(parse("2028-02-29T00:00").map(display).as_deref(), Some("2028-02-29 00:00"));
    }

    #[test]
    fn refuses_what_is_not_a_real_time() {
        for bad in
            ["", "2026-11-25", "2026-02-29T10:00", "2026-13-01T10:00", "2026-11-25T24:00", "26-11-25T10:00", "2026-11-25T10:0", "tomorrow", "2026-11-25T10:00:00:00"]
        {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn shows_minutes_in_beijing_time() {
        assert_eq!(display(Timestamp(1_795_608_059_000)), "2026-11-25 20:00");
        assert_eq!(input_value(Timestamp(1_795_608_000_000)), "2026-11-25T20:00");
    }

    #[test]
    fn what_is_shown_reads_back_to_the_minute() {
        // a deterministic walk over 1970..9999 with an odd stride, so every
        // month, leap day and hour of day comes up
        const LAST: i64 = 253_402_000_000_000;
        for i in 0..50_000i64 {
            let ms = (i * 5_068_041_234_567) % LAST;
            let t = Timestamp(ms);
            assert_eq!(parse(&input_value(t)), Some(Timestamp(ms.div_euclid(60_000) * 60_000)), "{ms}");
        }
    }
}
