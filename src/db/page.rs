//! One page of a listing and its total, read by one statement.
//!
//! Why: every list endpoint ran two statements, the page and then its total (a kept counter, or
//! a count), each a pool checkout and a round trip. On PostgreSQL at 16 connections the second
//! one kept `GET /v1/items` and the practice log over the 10 ms p99 of issue 22. The total now
//! rides on every row of the page as a scalar subquery, which neither database correlates with
//! the row, so each evaluates it once per statement; page and total also come from one snapshot.
//! An empty page carries no total, and its caller counts with a statement of its own (a page past
//! the end is the rare case).

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

/// The column the total is read from.
pub const TOTAL: &str = "total";

/// A row of a page and the total of the listing it belongs to.
#[derive(Debug)]
pub struct Counted<T> {
    pub row: T,
    pub total: i64,
}

impl<'r, T: FromRow<'r, AnyRow>> FromRow<'r, AnyRow> for Counted<T> {
    fn from_row(row: &'r AnyRow) -> sqlx::Result<Self> {
        Ok(Counted {
            row: T::from_row(row)?,
            total: row.try_get(TOTAL)?,
        })
    }
}

/// The rows, and the total when the page has any row to carry it.
pub fn split<T>(rows: Vec<Counted<T>>) -> (Vec<T>, Option<i64>) {
    let total = rows.first().map(|r| r.total);
    (rows.into_iter().map(|r| r.row).collect(), total)
}
