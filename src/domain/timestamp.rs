//! Naive local timestamps as the original service stored and printed them:
//! stored as `YYYY-MM-DD HH:MM:SS.ffffff` (sortable text), shown as ISO-8601
//! without offset and with microseconds only when non-zero.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Storage format: fixed width, so text order is time order.
const DB_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

/// Format for the database column.
pub fn to_db(ts: NaiveDateTime) -> String {
    ts.format(DB_FORMAT).to_string()
}

/// Parse a stored value; accepts the original's variants (with or without
/// fractional seconds, `T` or space).
pub fn from_db(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(ts) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(ts);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN))
}

/// Format for API responses (Python's `datetime.isoformat()`).
pub fn to_api(ts: NaiveDateTime) -> String {
    if ts.nanosecond() / 1000 == 0 {
        ts.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        ts.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// Unix seconds now (UTC): task leases and cache entry ages.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Convert a stored value for a response; unknown formats pass through.
pub fn db_to_api(text: &str) -> String {
    if let Some(api) = stored_to_api(text) {
        return api;
    }
    from_db(text)
        .map(to_api)
        .unwrap_or_else(|| text.to_string())
}

/// [`db_to_api`] for the one shape this service stores (`to_db`: `YYYY-MM-DD HH:MM:SS.ffffff`),
/// by moving bytes; `None` for anything else, which goes through chrono. Why: chrono's
/// format-string parser and printer were 3.5 % of the CPU of `GET /v1/items` (two timestamps a
/// row, 20 rows a page). The calendar is checked as chrono checks it, so an impossible date
/// still passes through unconverted.
fn stored_to_api(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.len() != 26 {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ];
    if separators.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let micros = digits(20..26)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut api = String::with_capacity(26);
    api.push_str(&text[..10]);
    api.push('T');
    api.push_str(&text[11..19]);
    if micros != 0 {
        api.push_str(&text[19..]);
    }
    Some(api)
}

/// Source of "now" that never repeats or goes backwards, so two rows created
/// back to back get strictly increasing `created_at` (the API sorts by it).
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<Option<NaiveDateTime>>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Server-local wall-clock time with microsecond precision.
    pub fn now(&self) -> NaiveDateTime {
        let now = truncate_to_micros(Local::now().naive_local());
        let mut last = match self.last.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = match *last {
            Some(prev) if now <= prev => prev + Duration::microseconds(1),
            _ => now,
        };
        *last = Some(next);
        next
    }
}

fn truncate_to_micros(ts: NaiveDateTime) -> NaiveDateTime {
    let micros = ts.nanosecond() / 1000 * 1000;
    ts.with_nanosecond(micros).unwrap_or(ts)
}

/// Why a query datetime was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeParseError;

/// Parse a query parameter the way the original's validator did: ISO date or
/// datetime (`T` or space, optional seconds/fraction, optional `Z`/offset,
/// which is dropped so wall-clock components are compared), or a Unix time
/// in seconds or milliseconds (interpreted as UTC wall-clock, as pydantic did).
pub fn parse_query_datetime(raw: &str) -> Result<NaiveDateTime, DateTimeParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DateTimeParseError);
    }
    if let Some(ts) = parse_unix(s) {
        return Ok(ts);
    }
    if s.len() == 10 {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| d.and_time(NaiveTime::MIN))
            .map_err(|_| DateTimeParseError)
            .and_then(|ts| strict_widths(s, ts));
    }
    let without_offset = strip_offset(s).ok_or(DateTimeParseError)?;
    let normalized = without_offset.replacen(' ', "T", 1);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(ts) = NaiveDateTime::parse_from_str(&normalized, fmt) {
            return strict_widths(&normalized, ts);
        }
    }
    Err(DateTimeParseError)
}

/// chrono accepts `2025-1-1`; the original does not.
fn strict_widths(s: &str, ts: NaiveDateTime) -> Result<NaiveDateTime, DateTimeParseError> {
    let b = s.as_bytes();
    let date_ok = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    let time_ok = b.len() == 10 || (b.len() >= 16 && b[13] == b':');
    if date_ok && time_ok {
        Ok(ts)
    } else {
        Err(DateTimeParseError)
    }
}

/// Remove a trailing `Z` or `±HH:MM`/`±HHMM` offset after the time part.
fn strip_offset(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Some(rest.to_string());
    }
    if s.len() > 16 {
        // Not a char boundary: non-ASCII where the date must be, so no datetime.
        let time_part = s.get(11..)?;
        if let Some(pos) = time_part.rfind(['+', '-']) {
            let offset = &time_part[pos + 1..];
            let digits: String = offset.chars().filter(|c| *c != ':').collect();
            if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()) {
                return Some(s[..11 + pos].to_string());
            }
            return None;
        }
    }
    Some(s.to_string())
}

fn parse_unix(s: &str) -> Option<NaiveDateTime> {
    let value: f64 = if s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        s.parse().ok()?
    } else {
        return None;
    };
    // pydantic: values above 2e10 are milliseconds.
    let seconds = if value.abs() > 2e10 {
        value / 1000.0
    } else {
        value
    };
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round() as u32;
    DateTime::from_timestamp(whole as i64, micros * 1000).map(|d| d.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn stored_timestamps_convert_exactly_as_chrono_converts_them() {
        let through_chrono = |t: &str| from_db(t).map(to_api).unwrap_or_else(|| t.to_owned());
        let mut cases: Vec<String> = [
            "2025-01-02 03:04:05.000000",
            "2025-01-02 03:04:05.000001",
            "2025-12-31 23:59:59.999999",
            "2024-02-29 12:00:00.500000",
            "2023-02-29 12:00:00.500000",
            "1900-02-29 00:00:00.000000",
            "2000-02-29 00:00:00.000000",
            "2025-04-31 00:00:00.000000",
            "2025-13-01 00:00:00.000000",
            "2025-00-10 00:00:00.000000",
            "2025-01-00 00:00:00.000000",
            "2025-01-01 24:00:00.000000",
            "2025-01-01 23:60:00.000000",
            "2025-01-01 23:59:60.000000",
            "0000-01-01 00:00:00.000001",
            "2025-01-01T00:00:00.000000",
            "2025-01-01 00:00:00,000000",
            "2025-01-01 00:00:00.00000x",
            "2025-01-01 00:00:00.0000000",
            " 2025-01-01 00:00:00.00000",
            "2025-01-01 00:00:00",
            "2025-01-01",
            "not a time at all, 26 byte",
            "２０２５-01-01 00:00:00.0000",
        ]
        .map(str::to_owned)
        .to_vec();
        // Every day of a leap and a common year, at assorted times.
        let mut day = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        while day.year() < 2025 {
            let n = day.ordinal();
            cases.push(format!(
                "{} {:02}:{:02}:{:02}.{:06}",
                day.format("%Y-%m-%d"),
                n % 24,
                n % 60,
                (n * 7) % 60,
                if n.is_multiple_of(3) {
                    0
                } else {
                    n * 1_234 % 1_000_000
                }
            ));
            day = day.succ_opt().unwrap();
        }
        for case in &cases {
            assert_eq!(db_to_api(case), through_chrono(case), "{case:?}");
        }
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn api_format_omits_zero_micros() {
        assert_eq!(
            to_api(dt("2025-11-20 14:46:49.000000")),
            "2025-11-20T14:46:49"
        );
        assert_eq!(
            to_api(dt("2025-11-20 14:46:45.309071")),
            "2025-11-20T14:46:45.309071"
        );
        assert_eq!(
            to_api(dt("2025-11-20 14:46:45.000100")),
            "2025-11-20T14:46:45.000100"
        );
    }

    #[test]
    fn non_ascii_query_datetimes_are_rejected_not_panics() {
        // Byte 11 falls inside a multi-byte character (found by fuzzing).
        assert_eq!(
            parse_query_datetime("\u{f6ac7}\u{8d}\u{fb4e5}\u{eeaf3}©_"),
            Err(DateTimeParseError)
        );
        assert_eq!(
            parse_query_datetime("2025-11-20Tää:00:00+02:00"),
            Err(DateTimeParseError)
        );
        assert!(parse_query_datetime("2025-11-20T10:00:00+02:00").is_ok());
    }

    #[test]
    fn db_round_trip() {
        let ts = dt("2025-11-20 14:46:45.309071");
        assert_eq!(to_db(ts), "2025-11-20 14:46:45.309071");
        assert_eq!(from_db(&to_db(ts)), Some(ts));
        assert_eq!(
            from_db("2025-11-20 14:46:45"),
            Some(dt("2025-11-20 14:46:45.0"))
        );
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let clock = Clock::new();
        let mut prev = clock.now();
        for _ in 0..10_000 {
            let next = clock.now();
            assert!(next > prev);
            prev = next;
        }
    }

    #[test]
    fn query_datetimes() {
        let ok = |s: &str| parse_query_datetime(s).unwrap();
        assert_eq!(ok("2025-01-02"), dt("2025-01-02 00:00:00.0"));
        assert_eq!(ok("2025-01-02T10:20"), dt("2025-01-02 10:20:00.0"));
        assert_eq!(ok("2025-01-02 10:20:30"), dt("2025-01-02 10:20:30.0"));
        assert_eq!(ok("2025-01-02T10:20:30.5"), dt("2025-01-02 10:20:30.5"));
        assert_eq!(ok("2025-01-02T10:20:30Z"), dt("2025-01-02 10:20:30.0"));
        assert_eq!(ok("2025-01-02T10:20:30+03:00"), dt("2025-01-02 10:20:30.0"));
        assert_eq!(ok("2025-01-02T10:20:30-0500"), dt("2025-01-02 10:20:30.0"));
        assert_eq!(ok("0"), dt("1970-01-01 00:00:00.0"));
        assert_eq!(ok("1700000000000"), ok("1700000000"));
        for bad in [
            "",
            "2025-1-1",
            "2025-01-01T10",
            "2025-01-01T25:00",
            "abc",
            "2025-13-01",
        ] {
            assert!(parse_query_datetime(bad).is_err(), "{bad}");
        }
    }
}
