//! Every statement touching `tags` (the preset tag list).

use super::sql::Sql;
use super::{Conn, Dialect, Pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagRow {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Insert a tag; `Ok(None)` when the name already exists.
#[tracing::instrument(skip(conn, name), fields(name_len = name.len()))]
pub async fn insert(conn: &mut Conn, name: &str, now: &str) -> sqlx::Result<Option<TagRow>> {
    sqlx::query_as(
        "INSERT INTO tags (name, created_at, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at, updated_at",
    )
    .bind(name)
    .bind(now)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Tags ordered by name in code-point order (SQLite BINARY collation;
/// the PostgreSQL column is declared `COLLATE "C"`).
#[tracing::instrument(skip(pool))]
pub async fn list(pool: &Pool, limit: i64, offset: i64) -> sqlx::Result<Vec<TagRow>> {
    let mut sql = Sql::new("SELECT id, name, created_at, updated_at FROM tags ORDER BY name ASC");
    sql.push_page(Dialect::of_pool(pool), limit, offset);
    let (text, args) = sql.build()?;
    sqlx::query_as_with(&text, args).fetch_all(pool).await
}

#[tracing::instrument(skip(pool))]
pub async fn count(pool: &Pool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM tags")
        .fetch_one(pool)
        .await
}

#[tracing::instrument(skip(conn))]
pub async fn delete(conn: &mut Conn, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
