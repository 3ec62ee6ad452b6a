//! Speech synthesis: the engine contract (more engines and the task
//! pipeline plug in here).

pub mod provider;
