//! Creating, listing, changing and deleting dictation items.

use chrono::NaiveDateTime;

use crate::db::attempt_stats;
use crate::db::items::{self as items_db, ItemFilter, ItemRow, ItemSort, NewItemRow};
use crate::db::tts_tasks as tasks_db;
use crate::db::Db;
use crate::domain::difficulty;
use crate::domain::status::{FailureClass, ItemTtsStatus};
use crate::domain::timestamp::to_db;
use crate::domain::timestamp::Clock;
use crate::services::tts::TtsService;
use crate::services::tts::{ItemToSpeak, Refusal};
use crate::services::ServiceError;

/// A validated item to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub locale: String,
    pub text: String,
    pub difficulty: Option<i64>,
    pub tags: Vec<String>,
    /// A teacher's reading; `None` = derived from the text.
    pub spoken_text: Option<String>,
    /// A voice of the engine (see `GET /v1/voices`); `None` = its default.
    pub voice: Option<String>,
}

pub const ITEM_NOT_FOUND: &str = "Item not found";

fn not_found() -> ServiceError {
    ServiceError::NotFound(ITEM_NOT_FOUND.to_string())
}

/// Decode the stored tag list; a NULL or unreadable value is no tags.
pub fn decode_tags(tags_json: Option<&str>) -> Vec<String> {
    tags_json
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

fn encode_tags(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_string())
}

/// Insert items in one transaction, then queue their TTS after the commit.
pub async fn create_many(
    db: &Db,
    clock: &Clock,
    tts: &TtsService,
    new_items: &[NewItem],
) -> Result<Vec<ItemRow>, ServiceError> {
    let mut tx = db.begin_write().await?;
    let mut ids = Vec::with_capacity(new_items.len());
    for item in new_items {
        let now = to_db(clock.now());
        let tags_json = encode_tags(&item.tags);
        let spoken = item
            .spoken_text
            .clone()
            .unwrap_or_else(|| tts.spoken_form(&item.text, &item.locale));
        let row = NewItemRow {
            locale: &item.locale,
            text: &item.text,
            difficulty: item
                .difficulty
                .unwrap_or_else(|| difficulty::infer(&item.text)),
            tags_json: &tags_json,
            spoken_text: &spoken,
            voice: item.voice.as_deref(),
            created_at: &now,
        };
        ids.push(items_db::insert(&mut tx, &row).await?);
    }
    items_db::add_to_total(&mut tx, ids.len() as i64).await?;
    // The rows as created (`pending`, contract §3.2), before their
    // submission may make them `ready` (dedupe) or `failed` (refused).
    let mut rows = Vec::with_capacity(ids.len());
    for id in &ids {
        rows.push(items_db::get(&mut tx, *id).await?.ok_or_else(not_found)?);
    }
    let to_speak: Vec<ItemToSpeak> = rows.iter().map(ItemToSpeak::from).collect();
    let queued = tts.submit_in(&mut tx, &to_speak).await?;
    tx.commit().await?;
    tracing::info!(count = rows.len(), first_id = ids.first(), "items created");
    tts.enqueue_all(queued);
    Ok(rows)
}

pub async fn get(db: &Db, id: i64) -> Result<ItemRow, ServiceError> {
    items_db::find(&db.reader, id).await?.ok_or_else(not_found)
}

/// Why an item's speech failed, as a class a page can explain
/// (`unsupported_locale`, `engine_unavailable`, `blank_text`,
/// `unspeakable_text`, `unsupported_voice`, `engine_timeout`, `disk_full`,
/// `engine_failed`);
/// `None` unless the item is `failed`. An item refused before reaching an
/// engine has no task: its refusal is what the same submission meets now.
pub async fn tts_failure(
    db: &Db,
    tts: &TtsService,
    item: &ItemRow,
) -> Result<Option<FailureClass>, ServiceError> {
    if item.tts_status != ItemTtsStatus::Failed {
        return Ok(None);
    }
    if let Some(task_id) = &item.task_id {
        let task = tasks_db::find(&db.reader, task_id).await?;
        if let Some(class) = task.and_then(|t| t.error_class) {
            return Ok(Some(
                FailureClass::parse(&class).unwrap_or(FailureClass::EngineFailed),
            ));
        }
    }
    let spoken = item.spoken_text.as_deref().unwrap_or(&item.text);
    Ok(Some(
        tts.refusal(spoken, &item.locale)
            .map_or(FailureClass::EngineFailed, Refusal::class),
    ))
}

/// One page of items and the total number matching.
pub async fn list(
    db: &Db,
    filter: &ItemFilter,
    sort: ItemSort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ItemRow>, i64), ServiceError> {
    let (rows, total) = items_db::list(&db.reader, filter, sort, limit, offset).await?;
    let total = match total {
        Some(total) => total,
        // A page past the end carries no total.
        None => items_db::count(&db.reader, filter).await?,
    };
    Ok((rows, total))
}

/// Delete an item with its attempts and its audio file.
pub async fn delete(db: &Db, tts: &TtsService, id: i64) -> Result<(), ServiceError> {
    // The row goes only if its audio goes too: with the audio directory
    // read-only (say) the delete is refused (503) and both stay, instead of
    // a 204 that leaves the WAV behind.
    let mut tx = db.begin_write().await?;
    let days = attempt_stats::forget_item(&mut tx, id).await?;
    if !items_db::delete(&mut tx, id).await? {
        return Err(not_found());
    }
    items_db::add_to_total(&mut tx, -1).await?;
    attempt_stats::resum_days(&mut tx, &days).await?;
    let store = tts.store();
    match store.remove(&store.item_path(id)).await {
        Ok(true) => tracing::info!(item_id = id, "item audio removed"),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(item_id = id, error = %e, "could not remove item audio; item kept");
            return Err(ServiceError::Unavailable(
                "Storage unavailable: the item's audio could not be removed; nothing was deleted"
                    .to_string(),
            ));
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Result of replacing an item's tags.
#[derive(Debug, Clone)]
pub struct TagsChange {
    pub previous: Vec<String>,
    pub current: Vec<String>,
    pub updated_at: NaiveDateTime,
}

pub async fn replace_tags(
    db: &Db,
    clock: &Clock,
    id: i64,
    tags: Vec<String>,
) -> Result<TagsChange, ServiceError> {
    let mut tx = db.begin_write().await?;
    let row = items_db::get(&mut tx, id).await?.ok_or_else(not_found)?;
    let updated_at = clock.now();
    items_db::update_tags(&mut tx, id, &encode_tags(&tags), &to_db(updated_at)).await?;
    tx.commit().await?;
    Ok(TagsChange {
        previous: decode_tags(row.tags_json.as_deref()),
        current: tags,
        updated_at,
    })
}

/// Result of changing an item's difficulty.
#[derive(Debug, Clone)]
pub struct DifficultyChange {
    pub previous: Option<i64>,
    pub current: i64,
    pub updated_at: NaiveDateTime,
}

pub async fn set_difficulty(
    db: &Db,
    clock: &Clock,
    id: i64,
    difficulty: i64,
) -> Result<DifficultyChange, ServiceError> {
    let mut tx = db.begin_write().await?;
    let row = items_db::get(&mut tx, id).await?.ok_or_else(not_found)?;
    let updated_at = clock.now();
    items_db::update_difficulty(&mut tx, id, difficulty, &to_db(updated_at)).await?;
    tx.commit().await?;
    Ok(DifficultyChange {
        previous: row.difficulty,
        current: difficulty,
        updated_at,
    })
}

/// Set (or, with `None`, derive again) what the engine says for an item,
/// and re-synthesise its audio.
pub async fn set_spoken_text(
    db: &Db,
    clock: &Clock,
    tts: &TtsService,
    id: i64,
    spoken_text: Option<String>,
) -> Result<ItemRow, ServiceError> {
    let item = get(db, id).await?;
    let spoken = spoken_text.unwrap_or_else(|| tts.spoken_form(&item.text, &item.locale));
    let mut tx = db.begin_write().await?;
    if !items_db::set_spoken_text(&mut tx, id, &spoken, &to_db(clock.now())).await? {
        return Err(not_found());
    }
    let row = items_db::get(&mut tx, id).await?.ok_or_else(not_found)?;
    let queued = tts.submit_in(&mut tx, &[ItemToSpeak::from(&row)]).await?;
    tx.commit().await?;
    tts.enqueue_all(queued);
    Ok(row)
}

/// A ready item's audio file, opened for streaming.
#[derive(Debug)]
pub struct ItemAudio {
    pub file: tokio::fs::File,
    pub size: u64,
    /// When the file was last written (absent where the filesystem has no times).
    pub modified: Option<std::time::SystemTime>,
}

/// The audio file of a ready item, checked in the contract's order.
pub async fn audio(db: &Db, tts: &TtsService, id: i64) -> Result<ItemAudio, ServiceError> {
    let item = get(db, id).await?;
    if item.tts_status != ItemTtsStatus::Ready {
        return Err(ServiceError::BadRequest(format!(
            "Audio not ready. Current status: {}",
            item.tts_status
        )));
    }
    let file = match tts.store().open(&tts.store().item_path(id)).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ServiceError::NotFound("Audio file not found".to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    // The open handle's metadata: the file a concurrent rewrite replaces
    // is not the one measured.
    let meta = file.metadata().await?;
    Ok(ItemAudio {
        size: meta.len(),
        modified: meta.modified().ok(),
        file,
    })
}
