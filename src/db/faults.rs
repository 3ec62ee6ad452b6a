//! Database faults as the service sees them (issue 17). With the SQLite file
//! deleted while running, writes kept answering 201 into an unlinked file
//! and were gone after a restart; with the file locked by another process
//! writes failed after the busy timeout with a 500 while `/health` said
//! healthy. This module says which errors mean "cannot store now" (the
//! API answers 503 and nothing is stored), watches the SQLite file, and
//! probes whether a write could start.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::Any;

use super::{Dialect, Pool};

/// Whether `error` means the database cannot take the request now (busy,
/// locked, read-only, out of space, gone, unreachable) rather than a bug
/// in the request or the code.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            if let Ok(n) = code.parse::<i32>() {
                // SQLite result codes (extended codes keep the primary in
                // the low byte): BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
                return matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14);
            }
            // PostgreSQL SQLSTATE: connection exceptions, insufficient
            // resources (disk full), operator intervention (shutdown),
            // read-only transaction.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
                || code == "25006"
                || unavailable_message(db.message())
        }
        other => unavailable_message(&other.to_string()),
    }
}

fn unavailable_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "database is locked",
        "disk i/o error",
        "database or disk is full",
        "readonly database",
        "unable to open database file",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// The SQLite file as it was opened: a file deleted or replaced under a
/// running server is detected by its identity (device and inode).
#[derive(Debug)]
pub struct FileGuard {
    path: PathBuf,
    identity: Option<(u64, u64)>,
    lost: AtomicBool,
}

impl FileGuard {
    pub fn new(path: &Path) -> Self {
        FileGuard {
            path: path.to_path_buf(),
            identity: identity(path),
            lost: AtomicBool::new(false),
        }
    }

    /// Look at the file again; once lost it stays lost (the data written
    /// since lives only in the unlinked file, so new writes are refused
    /// until a restart rather than silently lost).
    pub fn check(&self) -> bool {
        if self.lost.load(Ordering::Relaxed) {
            return false;
        }
        if identity(&self.path) == self.identity {
            return true;
        }
        if !self.lost.swap(true, Ordering::Relaxed) {
            tracing::error!(
                path = %self.path.display(),
                "the database file was deleted or replaced: writes are refused (503) until a restart"
            );
        }
        false
    }

    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The error a write gets once the file is lost.
pub fn file_lost_error() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "the database file was deleted or replaced",
    ))
}

/// How long the health probe waits for the writer connection.
const PROBE_ACQUIRE: Duration = Duration::from_millis(250);

/// How long the health probe waits for the write lock.
const PROBE_BUSY_MS: u32 = 200;

/// A connection of `pool` to probe with, or `None` when every connection is
/// busy (queries in progress are proof enough that the pool works, and
/// `/health` must not queue behind them). A pool with no connection open
/// yet (or all closed when idle) opens one, waiting at most 250 ms.
pub(super) async fn idle_connection(
    pool: &Pool,
) -> Result<Option<PoolConnection<Any>>, sqlx::Error> {
    match pool.try_acquire() {
        Some(conn) => Ok(Some(conn)),
        None if pool.size() > 0 => Ok(None),
        None => match tokio::time::timeout(PROBE_ACQUIRE, pool.acquire()).await {
            Ok(acquired) => acquired.map(Some),
            Err(_) => Ok(None),
        },
    }
}

/// Whether a write could start now. SQLite: take the write lock and let
/// it go (`BEGIN IMMEDIATE; ROLLBACK`) with a short busy timeout, on the
/// writer connection when it is idle; when a write holds it, that write is
/// proof enough, so `/health` never queues behind writes. PostgreSQL: the session is not read-only.
pub async fn probe_write(writer: &Pool) -> Result<(), sqlx::Error> {
    match Dialect::of_pool(writer) {
        Dialect::Sqlite => {
            let Some(mut conn) = idle_connection(writer).await? else {
                return Ok(());
            };
            sqlx::query(&format!("PRAGMA busy_timeout = {PROBE_BUSY_MS}"))
                .execute(&mut *conn)
                .await?;
            let probed = async {
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                Ok::<(), sqlx::Error>(())
            }
            .await;
            sqlx::query("PRAGMA busy_timeout = 10000")
                .execute(&mut *conn)
                .await?;
            probed
        }
        Dialect::Postgres => {
            // (PostgreSQL: `writer` and `reader` are one pool; a busy pool
            // is answering queries, which is proof enough.)
            let Some(mut conn) = idle_connection(writer).await? else {
                return Ok(());
            };
            let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
                .fetch_one(&mut *conn)
                .await?;
            if read_only == "on" {
                return Err(sqlx::Error::Protocol("the database is read-only".into()));
            }
            Ok(())
        }
    }
}
