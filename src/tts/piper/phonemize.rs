//! Text → espeak-ng phonemes, sentence by sentence, the way Piper's phonemiser does it.
//!
//! Why the `espeak-ng` crate (a pure-Rust port of espeak-ng 1.51 with its dictionaries embedded)
//! rather than the C library through `espeakng-sys`: it builds with no system packages, no
//! libclang/bindgen and no download at build time, needs no `unsafe` (this crate forbids it) and
//! cannot disagree with a Debian data directory of another version (Debian's data gives wrong
//! Finnish stress with it). Its output was checked against the espeak-ng CLI, and the tests check
//! the resulting ids against Piper's own Python phonemiser (`tests/fixtures/piper/`). The cost is
//! GPL-3.0-or-later, the same licence as libespeak-ng itself.
//!
//! Piper asks espeak-ng for one clause at a time and rebuilds the punctuation from the clause
//! terminator: the clause's phonemes, then its terminator (`.`, `?`, `!`, `,`, `:`, `;`), then a
//! space after `,` `:` `;`. A sentence ends at `.`, `?`, `!`; each sentence is synthesised
//! separately. Phoneme strings are split into Unicode code points after NFD, so stress marks and
//! combining diacritics are phonemes of their own. The crate's own clause reader is a simplified
//! split, so clauses are cut here with espeak-ng's basic rule: a terminator followed by white
//! space or the end of the text (so `3.5` and `1,000` stay one clause).
//!
//! The embedded dictionaries are written once per process into a directory under the system
//! temporary directory (the crate reads files), shared by processes of the same version.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use espeak_ng::Translator;

use super::compat;
use unicode_normalization::UnicodeNormalization;

/// Languages whose espeak-ng data this build embeds (Cargo features of `espeak-ng`).
const BUNDLED: &[&str] = &["en", "fi"];
/// Bumped with the `espeak-ng` crate so an old extraction is not reused.
const DATA_TAG: &str = "espeak-ng-0.2.0";

/// One clause as espeak-ng reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub text: String,
    pub terminator: Option<char>,
    pub end_of_sentence: bool,
}

/// Text → phonemes (one list of code-point phonemes per sentence) for an espeak-ng voice.
pub fn phonemize(espeak_voice: &str, text: &str) -> Result<Vec<Vec<String>>, String> {
    let translator = translator(espeak_voice)?;
    let english = compat::applies(espeak_voice);
    let text = if english {
        compat::rewrite_years(text)
    } else {
        text.to_owned()
    };
    let mut sentences = Vec::new();
    let mut current = String::new();
    for clause in split_clauses(&text) {
        let ipa = if clause.text.trim().is_empty() {
            String::new()
        } else {
            translator
                .text_to_ipa(&clause.text)
                .map_err(|e| format!("espeak-ng could not phonemise the text: {e}"))?
        };
        let ipa = strip_language_flags(&ipa);
        let ipa = ipa.trim();
        if english {
            current.push_str(&compat::link_vowels(ipa));
        } else {
            current.push_str(ipa);
        }
        if let Some(t) = clause.terminator {
            current.push(t);
            if matches!(t, ',' | ':' | ';') {
                current.push(' ');
            }
        }
        if clause.end_of_sentence {
            sentences.push(code_points(&current));
            current.clear();
        }
    }
    if !current.is_empty() {
        sentences.push(code_points(&current));
    }
    sentences.retain(|s| !s.is_empty());
    Ok(sentences)
}

/// A translator for `espeak_voice` over the bundled data.
fn translator(espeak_voice: &str) -> Result<Translator, String> {
    let dir = data_dir()?;
    Translator::new(espeak_voice, Some(dir)).map_err(|e| {
        format!(
            "espeak-ng voice {espeak_voice:?} is not available ({e}); this build bundles {}",
            BUNDLED.join(", ")
        )
    })
}

/// Splits text into clauses at terminators followed by white space or the end of the text.
pub fn split_clauses(text: &str) -> Vec<Clause> {
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let at_boundary = chars.peek().is_none_or(|n| n.is_whitespace());
        let end_of_sentence = matches!(c, '.' | '!' | '?');
        if at_boundary && (end_of_sentence || matches!(c, ',' | ':' | ';')) {
            clauses.push(Clause {
                text: std::mem::take(&mut current),
                terminator: Some(c),
                end_of_sentence,
            });
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        clauses.push(Clause {
            text: current,
            terminator: None,
            end_of_sentence: true,
        });
    }
    clauses
}

/// Drops espeak-ng's language-switch flags such as `(fr)`, as Piper does.
fn strip_language_flags(ipa: &str) -> String {
    let mut out = String::with_capacity(ipa.len());
    let mut depth = 0usize;
    for c in ipa.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(if c == '\n' { ' ' } else { c }),
            _ => {}
        }
    }
    out
}

fn code_points(phonemes: &str) -> Vec<String> {
    phonemes.nfd().map(String::from).collect()
}

/// The extracted espeak-ng data, written on first use.
fn data_dir() -> Result<&'static Path, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| extract_data(&std::env::temp_dir().join(format!("last-whisper-{DATA_TAG}"))))
        .as_deref()
        .map_err(Clone::clone)
}

/// Extracts into a fresh directory and renames it into place, so a reader never sees half a copy.
fn extract_data(target: &Path) -> Result<PathBuf, String> {
    let ready = |dir: &Path| dir.join("phontab").is_file() && dir.join("en_dict").is_file();
    if ready(target) {
        return Ok(target.to_path_buf());
    }
    let failed =
        |e: std::io::Error| format!("cannot write espeak-ng data to {}: {e}", target.display());
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(failed)?;
    let staging = tempfile::tempdir_in(parent).map_err(failed)?;
    espeak_ng::install_bundled_languages(staging.path(), BUNDLED).map_err(failed)?;
    let staged = staging.keep();
    if std::fs::rename(&staged, target).is_err() {
        // Another process won the race; use its copy.
        let _ = std::fs::remove_dir_all(&staged);
    }
    if ready(target) {
        Ok(target.to_path_buf())
    } else {
        Err(format!(
            "espeak-ng data in {} is incomplete; delete it and retry",
            target.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_split_like_espeak() {
        let clauses = split_clauses("Hello, world! It costs 3.5 or 1,000. Ok");
        let got: Vec<(&str, Option<char>, bool)> = clauses
            .iter()
            .map(|c| (c.text.trim(), c.terminator, c.end_of_sentence))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Hello", Some(','), false),
                ("world", Some('!'), true),
                ("It costs 3.5 or 1,000", Some('.'), true),
                ("Ok", None, true),
            ]
        );
    }

    #[test]
    fn language_flags_are_removed() {
        assert_eq!(
            strip_language_flags("(fr)bɔ̃ʒˈuːɹ(en) wˈɜːld"),
            "bɔ̃ʒˈuːɹ wˈɜːld"
        );
    }

    #[test]
    fn punctuation_is_kept_as_phonemes() {
        let sentences = phonemize("en-us", "Hello, world! Yes").unwrap();
        assert_eq!(sentences.len(), 2);
        let first: String = sentences[0].concat();
        assert!(first.contains(", ") && first.ends_with('!'), "{first}");
    }
}
