//! Keyset pages. A list reads one row more than the page holds: the extra
//! row is never shown, it only tells that another page follows. Every
//! connection and list cuts its rows here, so "is there a next page" is
//! decided in one place.

use async_graphql::ID;

use crate::{error::AppResult, validate};

/// The page size a connection's `first` asks for, `default` when it asks
/// for none, held between 1 and `max`.
pub fn limit(first: Option<usize>, default: usize, max: usize) -> usize {
    first.unwrap_or(default).clamp(1, max)
}

/// How many rows to read for a page of `limit`: one more, to learn whether
/// another page follows.
pub fn fetch(limit: usize) -> u64 {
    limit as u64 + 1
}

/// The page of at most `limit` rows out of rows read with [`fetch`], and
/// whether another page follows it.
pub fn cut<T>(mut rows: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let has_next = rows.len() > limit;
    rows.truncate(limit);
    (rows, has_next)
}

/// The row id an `after` cursor names, for lists whose cursor is the id of
/// the last row shown.
pub fn after_id(after: Option<String>) -> AppResult<Option<i64>> {
    after.map(|c| validate::id("after", &ID(c))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_says_another_page_follows_and_is_not_shown() {
        assert_eq!(limit(None, 20, 50), 20);
        assert_eq!(limit(Some(0), 20, 50), 1);
        assert_eq!(limit(Some(500), 20, 50), 50);
        assert_eq!(fetch(20), 21);
        assert_eq!(cut(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(cut(vec![1, 2], 2), (vec![1, 2], false));
        assert_eq!(cut(Vec::<i32>::new(), 2), (vec![], false));
    }

    #[test]
    fn an_after_cursor_is_a_positive_id() {
        assert_eq!(after_id(None).ok(), Some(None));
        assert_eq!(after_id(Some("7".into())).ok(), Some(Some(7)));
        assert!(after_id(Some("0".into())).is_err());
        assert!(after_id(Some("x".into())).is_err());
    }
}
