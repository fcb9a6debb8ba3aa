//! Opaque connection cursors: base64url of a short tagged string. Clients
//! must not build them; a malformed cursor is a VALIDATION error.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};

/// A position in a thread list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadCursor {
    /// Latest and unread: (pinned, last activity, id).
    Activity {
        pinned: bool,
        at: DateTime<Utc>,
        id: i64,
    },
    /// Top: (score, id).
    Score { score: i64, id: i64 },
}

impl ThreadCursor {
    pub fn encode(&self) -> String {
        let raw = match self {
            ThreadCursor::Activity { pinned, at, id } => {
                format!("a:{}:{}:{id}", u8::from(*pinned), at.timestamp_micros())
            }
            ThreadCursor::Score { score, id } => format!("s:{score}:{id}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(cursor: &str) -> AppResult<ThreadCursor> {
        let raw = decode_raw(cursor)?;
        let parts: Vec<&str> = raw.split(':').collect();
        let parsed = match parts.as_slice() {
            ["a", pinned, micros, id] => (|| {
                Some(ThreadCursor::Activity {
                    pinned: *pinned == "1",
                    at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                    id: id.parse().ok()?,
                })
            })(),
            ["s", score, id] => (|| {
                Some(ThreadCursor::Score {
                    score: score.parse().ok()?,
                    id: id.parse().ok()?,
                })
            })(),
            _ => None,
        };
        parsed.ok_or_else(invalid)
    }
}

/// A simple id or number cursor with a tag, e.g. posts by number.
pub fn encode_number(tag: &str, n: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{n}"))
}

pub fn decode_number(tag: &str, cursor: &str) -> AppResult<i64> {
    let raw = decode_raw(cursor)?;
    raw.strip_prefix(tag)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)
}

/// A (time, id) cursor, e.g. bookmarks newest first.
pub fn encode_time(tag: &str, at: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{}:{id}", at.timestamp_micros()))
}

pub fn decode_time(tag: &str, cursor: &str) -> AppResult<(DateTime<Utc>, i64)> {
    let raw = decode_raw(cursor)?;
    let parsed = (|| {
        let rest = raw.strip_prefix(tag)?.strip_prefix(':')?;
        let (micros, id) = rest.split_once(':')?;
        Some((
            DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id.parse().ok()?,
        ))
    })();
    parsed.ok_or_else(invalid)
}

fn decode_raw(cursor: &str) -> AppResult<String> {
    if cursor.len() > 200 {
        return Err(invalid());
    }
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid)
}

fn invalid() -> AppError {
    AppError::validation("after", "is not a valid cursor")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("time");
        for c in [
            ThreadCursor::Activity {
                pinned: true,
                at,
                id: 42,
            },
            ThreadCursor::Score { score: 17, id: 3 },
        ] {
            assert_eq!(ThreadCursor::decode(&c.encode()).ok(), Some(c));
        }
        assert_eq!(decode_number("p", &encode_number("p", 9)).ok(), Some(9));
        assert_eq!(
            decode_time("b", &encode_time("b", at, 5)).ok(),
            Some((at, 5))
        );
        assert!(ThreadCursor::decode("not a cursor").is_err());
        assert!(decode_number("p", &encode_number("q", 9)).is_err());
    }
}
