//! `DATABASE_URL`: SQLite (embedded default) or PostgreSQL, and the pool size.

use std::path::PathBuf;

use super::{invalid, SettingsError};

/// Where and how to reach the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    pub backend: DatabaseBackend,
    /// SQLite: size of the read-only pool (writes use one connection).
    /// PostgreSQL: size of the one pool that reads and writes.
    pub read_connections: u32,
}

/// The embedded default or the scale-out server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseBackend {
    /// A database file (created if missing).
    Sqlite(PathBuf),
    /// A `postgres://` URL; several instances may share the database.
    Postgres(String),
}

impl DatabaseSettings {
    /// A SQLite file with the default pool size (tests, tools).
    pub fn sqlite(path: PathBuf) -> Self {
        DatabaseSettings {
            backend: DatabaseBackend::Sqlite(path),
            read_connections: 4,
        }
    }
}

/// `postgres://…`/`postgresql://…` (also SQLAlchemy's `postgresql+asyncpg://…`)
/// selects PostgreSQL; anything else must be a SQLite URL.
pub fn parse_database_url(url: &str) -> Result<DatabaseBackend, SettingsError> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return Ok(DatabaseBackend::Postgres(url.to_string()));
    }
    if lower.starts_with("postgresql+") {
        return match url.split_once("://") {
            Some((_, tail)) => Ok(DatabaseBackend::Postgres(format!("postgresql://{tail}"))),
            None => Err(invalid(
                "database_url",
                "expected postgresql://user@host/db",
            )),
        };
    }
    parse_sqlite_url(url).map(DatabaseBackend::Sqlite)
}

/// Accepts SQLAlchemy-style URLs (`sqlite:///relative.db`, `sqlite:////abs.db`,
/// `sqlite+aiosqlite:///…`) and sqlx-style ones (`sqlite://relative.db`,
/// `sqlite:relative.db`). Query strings are ignored.
pub fn parse_sqlite_url(url: &str) -> Result<PathBuf, SettingsError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("sqlite:")
        .or_else(|| {
            url.strip_prefix("sqlite+")
                .and_then(|r| r.split_once(':').map(|(_, rest)| rest))
        })
        .ok_or_else(|| {
            invalid(
                "database_url",
                "expected a SQLite URL such as sqlite:///data/dictation.db or a postgres:// URL",
            )
        })?;
    let rest = rest.split('?').next().unwrap_or_default();
    let path = if let Some(p) = rest.strip_prefix("///") {
        p
    } else if let Some(p) = rest.strip_prefix("//") {
        p
    } else {
        rest
    };
    if path.is_empty() || path.contains(":memory:") {
        return Err(invalid(
            "database_url",
            "a database file path is required (in-memory databases are not supported)",
        ));
    }
    Ok(PathBuf::from(path))
}
