//! SQLite access: one writer connection (SQLite allows one writer at a time;
//! serialising in the pool avoids `SQLITE_BUSY`) plus a read pool (WAL lets
//! readers run beside the writer). One module per table holds its SQL.

pub mod attempts;
pub mod audio_cache;
pub mod items;
pub mod tags;
pub mod tts_tasks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::config::DatabaseSettings;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Handles to the database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The only connection that writes.
    pub writer: SqlitePool,
    /// Read-only connections.
    pub reader: SqlitePool,
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
    /// Open (creating if missing) and migrate the database.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, ConnectError> {
        let path = &settings.sqlite_path;
        let shown = path.display().to_string();
        create_parent_dir(path).map_err(|source| ConnectError::Directory {
            path: shown.clone(),
            source,
        })?;
        let base = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| ConnectError::Open {
                path: shown.clone(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone())
            .await
            .map_err(|source| ConnectError::Open {
                path: shown.clone(),
                source,
            })?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|source| ConnectError::Migrate {
                path: shown.clone(),
                source,
            })?;
        let reader = SqlitePoolOptions::new()
            .max_connections(settings.read_connections)
            .connect_with(base.read_only(true))
            .await
            .map_err(|source| ConnectError::Open {
                path: shown,
                source,
            })?;
        Ok(Db { writer, reader })
    }

    /// `SELECT 1` on both pools, for `/health`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        sqlx::query("SELECT 1").execute(&self.writer).await?;
        Ok(())
    }

    /// Close all connections (checkpoints the WAL).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn create_parent_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
        _ => Ok(()),
    }
}
