//! The task pipeline: turns queued TTS tasks into stored audio. A bounded
//! queue of task ids ([`queue`]) feeds workers ([`worker`]) that claim a
//! task, have `crate::speech` produce its clip and report an [`events`]
//! event; the [`monitor`] applies each event to the task row and the items
//! linked to it. Calls down only: speech, files, db.

pub mod events;
pub mod monitor;
pub mod queue;
pub mod worker;
