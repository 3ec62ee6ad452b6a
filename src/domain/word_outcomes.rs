//! Which reference words one attempt got, kept with the attempt. Why: the
//! most-missed words (`GET /v1/stats/words`) count over the newest 2,000
//! attempts, and aligning each of them again on every call cost about
//! 0.35 s whatever the history's size. The alignment is made when the
//! attempt is scored anyway; its per-word result is stored then (a few
//! bytes per word, bounded by the item text limit) and read back.
//!
//! The outcomes name the item text they were made against (a fingerprint
//! of its text and spoken text): the statistics align an attempt with its
//! item's *current* text, so outcomes of a text changed since are not used.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::domain::alignment::Alignment;

/// One attempt's word results against one version of its item's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordOutcomes {
    /// [`fingerprint`] of the text they were made against.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Per reference unit: its statistics key, the word as written, and
    /// whether the learner got it.
    pub words: Vec<(String, String, bool)>,
}

/// Identifies an item's text and spoken text (hex MD5; not a secret).
pub fn fingerprint(text: &str, spoken: Option<&str>) -> String {
    let mut hash = Md5::new();
    hash.update(text.as_bytes());
    if let Some(spoken) = spoken {
        hash.update([0u8]);
        hash.update(spoken.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl WordOutcomes {
    pub fn of(assessed: &Alignment, text: &str, spoken: Option<&str>) -> Self {
        WordOutcomes {
            reference: fingerprint(text, spoken),
            words: assessed
                .reference
                .iter()
                .zip(&assessed.heard)
                .map(|(unit, got)| (unit.key.clone(), unit.written.clone(), *got))
                .collect(),
        }
    }

    /// The stored form (compact JSON).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The outcomes stored for `text`/`spoken`, when they were made against
    /// exactly that text and can be read.
    pub fn decode_for(stored: &str, text: &str, spoken: Option<&str>) -> Option<Self> {
        Self::decode_matching(stored, &fingerprint(text, spoken))
    }

    /// The same, for a text whose [`fingerprint`] is already known.
    pub fn decode_matching(stored: &str, fingerprint: &str) -> Option<Self> {
        let outcomes: WordOutcomes = serde_json::from_str(stored).ok()?;
        (outcomes.reference == fingerprint).then_some(outcomes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lenient::assess;

    #[test]
    fn outcomes_round_trip_only_for_the_text_they_were_made_against() {
        let a = assess("Kissa istuu ikkunalla.", None, "kissa istui ikkunalla");
        let kept = WordOutcomes::of(&a, "Kissa istuu ikkunalla.", None);
        assert_eq!(kept.words.len(), 3);
        assert_eq!(
            kept.words.iter().map(|w| w.2).collect::<Vec<_>>(),
            [true, false, true]
        );
        let stored = kept.encode();
        assert_eq!(
            WordOutcomes::decode_for(&stored, "Kissa istuu ikkunalla.", None),
            Some(kept)
        );
        assert_eq!(
            WordOutcomes::decode_for(&stored, "Kissa istuu.", None),
            None
        );
        assert_eq!(
            WordOutcomes::decode_for(&stored, "Kissa istuu ikkunalla.", Some("x")),
            None
        );
        assert_eq!(WordOutcomes::decode_for("not json", "a", None), None);
    }
}
