//! Item translations (addendum §5): a translation of an item's text into a
//! target language, cached per (item, target) and invalidated by the MD5 of
//! the text. The provider is called outside any transaction, so a slow
//! provider never holds the database writer; the answer is stored in one
//! statement. Logs carry ids, languages and lengths, never the texts.

use std::sync::Arc;

use crate::db::items as items_db;
use crate::db::translations::{self as translations_db, Translated, TranslationRow};
use crate::db::Db;
use crate::domain::timestamp::{to_db, Clock};
use crate::services::tts::text_hash;
use crate::services::ServiceError;
use crate::translate::{TranslateError, Translator};

/// The 400 of every refused `POST …/translations` (addendum §5.2 steps 1–3).
pub const INVALID_REQUEST: &str =
    "Invalid translation request (item missing, unsupported language, or source-target identical)";
pub const NOT_CONFIGURED: &str = "Translation is not configured";
pub const CACHED_NOT_FOUND: &str = "Cached translation not found";
pub const TRANSLATION_NOT_FOUND: &str = "Translation not found";

/// A stored translation as the API shows it.
#[derive(Debug, Clone)]
pub struct TranslationView {
    pub row: TranslationRow,
    /// The item's current text (may be newer than the translation, §5.3).
    pub text: String,
    /// Served from the cache without calling the provider.
    pub cached: bool,
}

/// Cheap-to-clone handle to the translation cache and its provider.
#[derive(Debug, Clone)]
pub struct TranslationService {
    db: Db,
    clock: Arc<Clock>,
    provider: Option<Arc<dyn Translator>>,
    supported_languages: Arc<[String]>,
}

impl TranslationService {
    /// Without a provider, answers come only from the cache and new
    /// translations are refused with a 503.
    pub fn new(
        db: Db,
        clock: Arc<Clock>,
        provider: Option<Arc<dyn Translator>>,
        supported_languages: Vec<String>,
    ) -> Self {
        TranslationService {
            db,
            clock,
            provider,
            supported_languages: supported_languages.into(),
        }
    }

    pub fn provider(&self) -> Option<&Arc<dyn Translator>> {
        self.provider.as_ref()
    }

    pub fn supported_languages(&self) -> &[String] {
        &self.supported_languages
    }

    /// `POST /v1/items/{id}/translations`: the cached translation when it
    /// was made from the item's current text, else a new one.
    pub async fn translate(
        &self,
        item_id: i64,
        target: &str,
        force_refresh: bool,
    ) -> Result<TranslationView, ServiceError> {
        let invalid = || ServiceError::BadRequest(INVALID_REQUEST.to_string());
        if !self.supported_languages.iter().any(|l| l == target) {
            return Err(invalid());
        }
        let item = items_db::find(&self.db.reader, item_id)
            .await?
            .ok_or_else(invalid)?;
        if item.locale == target {
            return Err(invalid());
        }
        let hash = text_hash(&item.text);
        if !force_refresh {
            if let Some(row) = translations_db::find(&self.db.reader, item_id, target).await? {
                if row.text_hash == hash {
                    tracing::debug!(item_id, target, "translation served from the cache");
                    return Ok(TranslationView {
                        row,
                        text: item.text,
                        cached: true,
                    });
                }
            }
        }
        self.call_and_store(item_id, &item.text, &item.locale, target)
            .await?
            .ok_or_else(invalid)
    }

    /// `GET /v1/items/{id}/translations?target_lang=`: the stored row, as
    /// it is (stale after a text change, decision L7); never the provider.
    pub async fn cached(
        &self,
        item_id: i64,
        target: &str,
    ) -> Result<TranslationView, ServiceError> {
        let not_found = || ServiceError::NotFound(CACHED_NOT_FOUND.to_string());
        let row = translations_db::find(&self.db.reader, item_id, target)
            .await?
            .ok_or_else(not_found)?;
        let item = items_db::find(&self.db.reader, item_id)
            .await?
            .ok_or_else(not_found)?;
        Ok(TranslationView {
            row,
            text: item.text,
            cached: true,
        })
    }

    /// `POST /v1/translations/{id}/refresh`: translate the item's current
    /// text again with the row's languages.
    pub async fn refresh(&self, translation_id: i64) -> Result<TranslationView, ServiceError> {
        let not_found = || ServiceError::NotFound(TRANSLATION_NOT_FOUND.to_string());
        let row = translations_db::find_by_id(&self.db.reader, translation_id)
            .await?
            .ok_or_else(not_found)?;
        let item = items_db::find(&self.db.reader, row.item_id)
            .await?
            .ok_or_else(not_found)?;
        self.call_and_store(item.id, &item.text, &row.source_lang, &row.target_lang)
            .await?
            .ok_or_else(not_found)
    }

    /// Ask the provider, then store its answer; `None` when the item was
    /// deleted meanwhile (nothing is stored).
    async fn call_and_store(
        &self,
        item_id: i64,
        text: &str,
        source: &str,
        target: &str,
    ) -> Result<Option<TranslationView>, ServiceError> {
        let provider = self
            .provider
            .as_ref()
            .ok_or_else(|| ServiceError::Unavailable(NOT_CONFIGURED.to_string()))?;
        let translation = provider
            .translate(text, source, target)
            .await
            .map_err(|e| {
                tracing::warn!(item_id, source, target, error = %e, "translation failed");
                match e {
                    TranslateError::Unavailable(why) => {
                        ServiceError::Unavailable(format!("Translation unavailable: {why}"))
                    }
                    TranslateError::Failed(why) => {
                        ServiceError::Upstream(format!("Translation failed: {why}"))
                    }
                }
            })?;
        let metadata = serde_json::json!({
            "detected_source_language": translation.detected_source_language,
            "model": translation.model,
        })
        .to_string();
        let now = to_db(self.clock.now());
        let hash = text_hash(text);
        let mut tx = self.db.begin_write().await?;
        let stored = translations_db::upsert(
            &mut tx,
            &Translated {
                item_id,
                target_lang: target,
                source_lang: source,
                text_hash: &hash,
                translated_text: translation.text.as_deref(),
                provider: provider.name(),
                metadata: &metadata,
                now: &now,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            item_id,
            source,
            target,
            text_len = text.len(),
            translated_len = translation.text.as_deref().map_or(0, str::len),
            "translation stored"
        );
        Ok(stored.map(|row| TranslationView {
            row,
            text: text.to_string(),
            cached: false,
        }))
    }
}
