//! Every statement touching `translations` (the item translation cache,
//! addendum §5.7): one row per item and target language.

use super::{Conn, Pool};
use crate::domain::status::TranslationStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TranslationRow {
    pub id: i64,
    pub item_id: i64,
    pub target_lang: String,
    pub source_lang: String,
    /// MD5 of the item text the translation was made from.
    pub text_hash: String,
    pub translated_text: Option<String>,
    pub provider: String,
    #[sqlx(try_from = "String")]
    pub status: TranslationStatus,
    pub metadata: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_refreshed_at: Option<String>,
}

/// A provider's answer, to be stored.
#[derive(Debug, Clone)]
pub struct Translated<'a> {
    pub item_id: i64,
    pub target_lang: &'a str,
    pub source_lang: &'a str,
    pub text_hash: &'a str,
    pub translated_text: Option<&'a str>,
    pub provider: &'a str,
    pub metadata: &'a str,
    pub now: &'a str,
}

const COLUMNS: &str = "id, item_id, target_lang, source_lang, text_hash, translated_text, \
     provider, status, metadata, created_at, updated_at, last_refreshed_at";

#[tracing::instrument(skip(pool))]
pub async fn find(
    pool: &Pool,
    item_id: i64,
    target_lang: &str,
) -> sqlx::Result<Option<TranslationRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM translations WHERE item_id = $1 AND target_lang = $2"
    ))
    .bind(item_id)
    .bind(target_lang)
    .fetch_optional(pool)
    .await
}

#[tracing::instrument(skip(pool))]
pub async fn find_by_id(pool: &Pool, id: i64) -> sqlx::Result<Option<TranslationRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM translations WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Insert or replace the translation of (item, target): a replaced row
/// keeps its id and `created_at` (addendum §5.2 step 5). `None` when the
/// item is gone (the foreign key refuses the row).
#[tracing::instrument(skip_all, fields(item_id = t.item_id, target = t.target_lang))]
pub async fn upsert(conn: &mut Conn, t: &Translated<'_>) -> sqlx::Result<Option<TranslationRow>> {
    let stored = sqlx::query_as(&format!(
        "INSERT INTO translations (item_id, target_lang, source_lang, text_hash, translated_text, \
         provider, status, error, metadata, created_at, updated_at, last_refreshed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'completed', NULL, $7, $8, $9, $10) \
         ON CONFLICT (item_id, target_lang) DO UPDATE SET source_lang = excluded.source_lang, \
         text_hash = excluded.text_hash, translated_text = excluded.translated_text, \
         provider = excluded.provider, status = 'completed', error = NULL, \
         metadata = excluded.metadata, updated_at = excluded.updated_at, \
         last_refreshed_at = excluded.last_refreshed_at \
         RETURNING {COLUMNS}"
    ))
    .bind(t.item_id)
    .bind(t.target_lang)
    .bind(t.source_lang)
    .bind(t.text_hash)
    .bind(t.translated_text)
    .bind(t.provider)
    .bind(t.metadata)
    .bind(t.now)
    .bind(t.now)
    .bind(t.now)
    .fetch_one(conn)
    .await;
    match stored {
        Ok(row) => Ok(Some(row)),
        // The item was deleted meanwhile: its foreign key refuses the row.
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Ok(None),
        Err(e) => Err(e),
    }
}
