//! Wire scalars the response types share: the API's timestamp and the
//! status vocabularies.
//!
//! Why here: they are properties of the HTTP contract, not of the domain or
//! the services, so they live in the http layer and the layers below never
//! import `crate::http`. [`Timestamp`] is the real field type of every
//! response timestamp. The statuses are stored as text and passed through
//! unchanged (parsing them into enums would have to invent an answer for a
//! value the column does not expect); their enums name the values a client
//! can see and are referenced with `#[schema(value_type = …)]`.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::domain::timestamp::{db_to_api, to_api};

/// A naive local timestamp (contract §1.2): `YYYY-MM-DDTHH:MM:SS`, plus
/// `.ffffff` when the microseconds are not zero. No offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(
    value_type = String,
    pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$",
    example = "2025-11-20T14:46:45.309071"
)]
pub struct Timestamp(String);

impl Timestamp {
    /// A stored timestamp (see [`db_to_api`]: text it cannot read is sent
    /// as stored).
    pub fn from_db(text: &str) -> Self {
        Timestamp(db_to_api(text))
    }

    /// A time of this process's clock.
    pub fn from_time(time: NaiveDateTime) -> Self {
        Timestamp(to_api(time))
    }
}

// The status enums are the domain's own types: their schemas list the
// spellings those types serialise to, so the document cannot drift from
// what the handlers send.
pub use crate::domain::status::{FailureClass, ItemTtsStatus, TaskStatus, TranslationStatus};
pub use crate::speech::sessions::SessionStatus;

/// A string schema whose values are `values`.
fn spelled_schema(description: &str, values: Vec<&'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

macro_rules! spelled_to_schema {
    ($($name:ty => $description:literal,)+) => {
        $(
            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    spelled_schema($description, <$name>::ALL.iter().map(|v| v.as_str()).collect())
                }
            }

            impl ToSchema for $name {}
        )+
    };
}

spelled_to_schema! {
    ItemTtsStatus => "An item's speech status (contract §6.1).",
    TaskStatus => "A TTS task's status (contract §7.3).",
    SessionStatus => "A streaming session's state.",
    TranslationStatus => "A stored translation's state.",
    FailureClass => "Why an item's speech failed (`tts_error`).",
}

// The requests hold the parsed `crate::audio::AudioFormat`; this names what
// they accept.
/// Every spelling of an output format the batch and session APIs accept
/// (case-insensitive): `wav`; `pcm16` (aliases `pcm`, `pcm_s16le`; raw
/// 16-bit little-endian); `mulaw` (`ulaw`, `mu-law`, `pcm_mulaw`); `opus`
/// (`ogg`; Ogg/Opus at 48 kHz); `mp3`.
#[allow(dead_code)] // A vocabulary, never built.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AudioFormatName {
    Wav,
    Pcm16,
    Pcm,
    PcmS16le,
    Mulaw,
    Ulaw,
    #[schema(rename = "mu-law")]
    MuLaw,
    PcmMulaw,
    Opus,
    Ogg,
    Mp3,
}
