//! Phonemes → the ids a Piper voice was trained on.
//!
//! Why exactly Piper's rules (`piper/phoneme_ids.py`, piper-tts 1.8): the voice only sounds right
//! with the same sequence it saw in training. The sequence is BOS `^`, pad `_`, then every phoneme
//! followed by a pad, then EOS `$`; phonemes the map lacks are skipped (Piper logs and skips them
//! too); punctuation and spaces are phonemes like any other. Known vowel clusters from the card
//! are merged into one symbol first, greedily and longest first, as Piper does.

use std::collections::HashMap;

/// Beginning of sentence.
pub const BOS: &str = "^";
/// End of sentence.
pub const EOS: &str = "$";
/// Padding between phonemes.
pub const PAD: &str = "_";

/// Ids of one sentence's phonemes, and the phonemes the map had no id for.
pub fn phonemes_to_ids(
    phonemes: &[String],
    id_map: &HashMap<String, Vec<i64>>,
) -> (Vec<i64>, Vec<String>) {
    let symbol = |s: &str| id_map.get(s).map(Vec::as_slice).unwrap_or_default();
    let mut ids = Vec::with_capacity(phonemes.len() * 2 + 3);
    let mut missing = Vec::new();
    ids.extend_from_slice(symbol(BOS));
    ids.extend_from_slice(symbol(PAD));
    for phoneme in phonemes {
        match id_map.get(phoneme) {
            Some(found) => {
                ids.extend_from_slice(found);
                ids.extend_from_slice(symbol(PAD));
            }
            None => missing.push(phoneme.clone()),
        }
    }
    ids.extend_from_slice(symbol(EOS));
    (ids, missing)
}

/// Merges adjacent phonemes that form one of `clusters` (Piper's `_merge_known_vowel_clusters`).
pub fn merge_vowel_clusters(phonemes: Vec<String>, clusters: &[Vec<String>]) -> Vec<String> {
    let Some(max_len) = clusters.iter().map(Vec::len).max() else {
        return phonemes;
    };
    let mut out = Vec::with_capacity(phonemes.len());
    let mut i = 0;
    while i < phonemes.len() {
        let longest = (2..=max_len.min(phonemes.len() - i))
            .rev()
            .find(|n| clusters.iter().any(|c| c.as_slice() == &phonemes[i..i + n]));
        match longest {
            Some(n) => {
                out.push(phonemes[i..i + n].concat());
                i += n;
            }
            None => {
                out.push(phonemes[i].clone());
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> HashMap<String, Vec<i64>> {
        [("_", 0), ("^", 1), ("$", 2), (" ", 3), ("a", 14), ("b", 15)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), vec![v]))
            .collect()
    }

    fn chars(s: &str) -> Vec<String> {
        s.chars().map(String::from).collect()
    }

    #[test]
    fn bos_pad_between_eos() {
        let (ids, missing) = phonemes_to_ids(&chars("ab a"), &map());
        assert_eq!(ids, vec![1, 0, 14, 0, 15, 0, 3, 0, 14, 0, 2]);
        assert!(missing.is_empty());
    }

    #[test]
    fn unknown_phonemes_are_skipped_and_reported() {
        let (ids, missing) = phonemes_to_ids(&chars("aχb"), &map());
        assert_eq!(ids, vec![1, 0, 14, 0, 15, 0, 2]);
        assert_eq!(missing, vec!["χ".to_owned()]);
    }

    #[test]
    fn vowel_clusters_merge_longest_first() {
        let clusters = vec![chars("ab"), chars("aba")];
        assert_eq!(
            merge_vowel_clusters(chars("abab"), &clusters),
            vec!["aba".to_owned(), "b".to_owned()]
        );
        assert_eq!(merge_vowel_clusters(chars("ba"), &[]), chars("ba"));
    }
}
