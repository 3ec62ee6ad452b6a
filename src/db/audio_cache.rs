//! SQL of the `audio_cache` table: the index of cached speech files (size and last access),
//! which eviction reads. A cache hit does not need it: the file path follows from the key.

use sqlx::Row;

use super::{Conn, Pool};

/// An indexed cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRow {
    pub cache_key: String,
    pub path: String,
    pub size_bytes: i64,
}

/// Record (or replace) an entry.
pub async fn upsert(
    conn: &mut Conn,
    key: &str,
    path: &str,
    format: &str,
    sample_rate: i64,
    size_bytes: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audio_cache (cache_key, path, format, sample_rate, size_bytes, created_at, last_access_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (cache_key) DO UPDATE SET path = excluded.path, size_bytes = excluded.size_bytes,
             last_access_at = excluded.last_access_at",
    )
    .bind(key)
    .bind(path)
    .bind(format)
    .bind(sample_rate)
    .bind(size_bytes)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Note a hit.
pub async fn touch(conn: &mut Conn, key: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE audio_cache SET last_access_at = $1, hits = hits + 1 WHERE cache_key = $2")
        .bind(now)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Entries not used since `before`.
pub async fn older_than(pool: &Pool, before: i64) -> Result<Vec<CacheRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT cache_key, path, size_bytes FROM audio_cache WHERE last_access_at < $1 LIMIT 1000",
    )
    .bind(before)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row).collect()
}

/// The least recently used entries, oldest first.
pub async fn least_recent(pool: &Pool, limit: i64) -> Result<Vec<CacheRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT cache_key, path, size_bytes FROM audio_cache ORDER BY last_access_at, created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row).collect()
}

/// (entries, total bytes).
pub async fn totals(pool: &Pool) -> Result<(i64, i64), sqlx::Error> {
    let r =
        sqlx::query("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS bytes FROM audio_cache")
            .fetch_one(pool)
            .await?;
    Ok((r.try_get("n")?, r.try_get("bytes")?))
}

pub async fn delete(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM audio_cache WHERE cache_key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn row(r: &sqlx::any::AnyRow) -> Result<CacheRow, sqlx::Error> {
    Ok(CacheRow {
        cache_key: r.try_get("cache_key")?,
        path: r.try_get("path")?,
        size_bytes: r.try_get("size_bytes")?,
    })
}
