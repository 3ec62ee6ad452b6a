//! Database access for both backends through sqlx's `Any` driver, so each
//! table's SQL is written once (portable SQL with `$N` placeholders, which
//! SQLite and PostgreSQL both accept). The few statements that need a
//! backend's own functions ask [`Dialect`].
//!
//! SQLite (embedded default): one writer connection (SQLite allows one
//! writer at a time; serialising in the pool avoids `SQLITE_BUSY`) plus a
//! read pool (WAL lets readers run beside the writer).
//! PostgreSQL (scale-out): one pool serves both roles; several instances may
//! share the database (task claims in [`tts_tasks::claim`]).

pub mod attempt_stats;
pub mod attempts;
pub mod audio_cache;
pub mod faults;
pub mod items;
pub mod page;
pub mod sql;
pub mod tags;
pub mod translations;
pub mod tts_tasks;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection};

use crate::config::{DatabaseBackend, DatabaseSettings};

/// A connection of either backend (transactions deref to it).
pub type Conn = AnyConnection;
/// A pool of either backend.
pub type Pool = AnyPool;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which SQL dialect a pool or connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a pool, from the scheme of its URL.
    pub fn of_pool(pool: &Pool) -> Self {
        Self::from_scheme(pool.connect_options().database_url.scheme())
    }

    /// The dialect of an open connection.
    pub fn of_conn(conn: &Conn) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }

    fn from_scheme(scheme: &str) -> Self {
        if scheme.starts_with("postgres") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }
}

/// Handles to the database.
#[derive(Debug, Clone)]
pub struct Db {
    /// Connections that write (SQLite: exactly one).
    pub writer: Pool,
    /// Connections for reads (PostgreSQL: the same pool as `writer`).
    pub reader: Pool,
    /// The SQLite file's guard (`None` on PostgreSQL). Writes go through
    /// [`Db::begin_write`]/[`Db::acquire_write`], which refuse once the
    /// file is lost.
    pub file: Option<std::sync::Arc<faults::FileGuard>>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot migrate the database {path}: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
}

impl Db {
    /// Open (creating a SQLite file if missing) and migrate the database.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        match &settings.backend {
            DatabaseBackend::Sqlite(path) => connect_sqlite(path, settings.read_connections).await,
            DatabaseBackend::Postgres(url) => {
                connect_postgres(url, settings.read_connections).await
            }
        }
    }

    /// `SELECT 1` on both pools, for `/health`.
    /// Health: both pools answer, the SQLite file is the one opened, and a
    /// write could start (see `faults::probe_write`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.check_file()?;
        // A reader busy with a long query is proof the pool works; asking
        // for one anyway would make /health wait behind statistics.
        if let Some(mut conn) = faults::idle_connection(&self.reader).await? {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
        }
        // The probe runs on the writer connection itself (a `SELECT 1`
        // before it would leave the connection on its way back to the pool).
        faults::probe_write(&self.writer).await
    }

    /// A write transaction; refused at once when the SQLite file is lost.
    pub async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.check_file()?;
        self.writer.begin().await
    }

    /// The writer connection; refused at once when the SQLite file is lost.
    pub async fn acquire_write(&self) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.check_file()?;
        self.writer.acquire().await
    }

    /// Look at the SQLite file again (the watchdog calls this every second).
    pub fn check_file(&self) -> sqlx::Result<()> {
        match &self.file {
            Some(file) if !file.check() => Err(faults::file_lost_error()),
            _ => Ok(()),
        }
    }

    /// The dialect of this database.
    pub fn dialect(&self) -> Dialect {
        Dialect::of_pool(&self.writer)
    }

    /// Close all connections (checkpoints a SQLite WAL).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

async fn connect_sqlite(path: &Path, read_connections: u32) -> Result<Db, ConnectError> {
    let shown = path.display().to_string();
    let open_error = |source| ConnectError::Open {
        path: shown.clone(),
        source,
    };
    create_parent_dir(path).map_err(|source| ConnectError::Directory {
        path: shown.clone(),
        source,
    })?;
    // The Any driver rebuilds SQLite options from a URL, so the file name
    // travels percent-encoded and the pragmas are set after connecting.
    let file = SqliteConnectOptions::new().filename(path);
    let rw = AnyConnectOptions::from_url(&file.clone().create_if_missing(true).to_url_lossy())
        .map_err(open_error)?;
    let ro =
        AnyConnectOptions::from_url(&file.read_only(true).to_url_lossy()).map_err(open_error)?;
    let writer = pool_options()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(rw)
        .await
        .map_err(open_error)?;
    SQLITE_MIGRATOR
        .run(&writer)
        .await
        .map_err(|source| ConnectError::Migrate {
            path: shown.clone(),
            source,
        })?;
    let reader = pool_options()
        .max_connections(read_connections)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("PRAGMA busy_timeout = 10000")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(ro)
        .await
        .map_err(open_error)?;
    let file = Some(std::sync::Arc::new(faults::FileGuard::new(path)));
    Ok(Db {
        writer,
        reader,
        file,
    })
}

async fn connect_postgres(url: &str, connections: u32) -> Result<Db, ConnectError> {
    let shown = redact_password(url);
    let open_error = |source| ConnectError::Open {
        path: shown.clone(),
        source,
    };
    let options: AnyConnectOptions = url.parse().map_err(open_error)?;
    let pool = pool_options()
        .max_connections(connections.max(2))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(open_error)?;
    // Instances starting together: the migrator takes an advisory lock, so
    // one applies the migrations and the others wait, then see them applied.
    POSTGRES_MIGRATOR
        .run(&pool)
        .await
        .map_err(|source| ConnectError::Migrate {
            path: shown.clone(),
            source,
        })?;
    Ok(Db {
        writer: pool.clone(),
        reader: pool,
        file: None,
    })
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, so a
/// connection error never prints a password.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparseable database URL>".to_string(),
    }
}

/// How long a pooled connection may sit idle before it is checked on checkout.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Pool options shared by every pool: a checked-out connection is pinged only when it sat idle
/// for [`PING_IDLE_AFTER`].
///
/// Why: sqlx pings every connection it hands out by default, a round trip of its own before each
/// statement run on a pool: to the connection's worker thread on SQLite (two thread switches), to
/// the server on PostgreSQL. Under load a connection is idle for microseconds and the ping
/// proves nothing the statement would not; after a quiet second it still catches a connection
/// the server dropped meanwhile (sqlx then opens a fresh one). sqlx also pings every connection
/// it takes back, so one that broke during a statement is never handed out again.
fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

fn create_parent_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://lw:hunter2@db:5432/lw"),
            "postgres://lw:***@db:5432/lw"
        );
        assert_eq!(
            redact_password("postgres://lw@db/lw"),
            "postgres://lw@db/lw"
        );
        assert!(!redact_password("::not a url hunter2").contains("hunter2"));
    }
}
