//! The size limits of items, in one place: item validation enforces them
//! and `GET /metadata` publishes them (`limits`), so the two cannot drift.

/// Longest `text` (and `spoken_text`) of an item, in characters.
pub const MAX_TEXT_LENGTH: usize = 10_000;
/// Most entries in one `POST /v1/items/bulk`.
pub const MAX_ITEMS_PER_BULK_REQUEST: usize = 100;
/// Most tags an item may be created with.
pub const MAX_TAGS_PER_ITEM: usize = 20;
/// Longest tag given at creation, in characters.
pub const MAX_TAG_LENGTH: usize = 50;
