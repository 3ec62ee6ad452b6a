//! The preset tag list.

use crate::db::tags::{self as tags_db, TagRow};
use crate::db::Db;
use crate::domain::timestamp::to_db;
use crate::domain::timestamp::Clock;
use crate::services::ServiceError;

/// Create a tag from an already trimmed name; duplicates are a 400.
pub async fn create(db: &Db, clock: &Clock, name: &str) -> Result<TagRow, ServiceError> {
    let now = to_db(clock.now());
    let mut conn = db.acquire_write().await?;
    tags_db::insert(&mut conn, name, &now)
        .await?
        .ok_or_else(|| ServiceError::BadRequest(format!("Tag with name '{name}' already exists")))
}

pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<(Vec<TagRow>, i64), ServiceError> {
    let rows = tags_db::list(&db.reader, limit, offset).await?;
    let total = tags_db::count(&db.reader).await?;
    Ok((rows, total))
}

pub async fn delete(db: &Db, id: i64) -> Result<(), ServiceError> {
    let mut conn = db.acquire_write().await?;
    if tags_db::delete(&mut conn, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!(
            "Tag with ID {id} not found"
        )))
    }
}
