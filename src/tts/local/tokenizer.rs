//! Text → input ids, bit-identical to transformers' `VitsTokenizer` (MMS-TTS).
//!
//! Why our own code instead of a plain "lowercase + intersperse blanks": the original service fed
//! `AutoTokenizer.from_pretrained("facebook/mms-tts-fin")` output to the model, and that tokenizer
//! has two behaviours other implementations (fairseq, transformers.js, sherpa-onnx) do not share:
//!
//! * it `strip()`s the filtered text, and
//! * the id-0 character is also the pad token, which transformers registers as a special token and
//!   splits the text on *before* blanks are inserted. Every occurrence of that character becomes a
//!   single `0`, and each piece between occurrences gets its own blanks, so a text of n characters
//!   yields `2n + 1 − (number of id-0 characters)` ids rather than `2n + 1`.
//!
//! Closed form implemented here (see `tts-models.md` §2): lowercase characters that are not vocab
//! keys (per character, like Python's `str.lower()`), drop characters that are not vocab keys,
//! strip whitespace at both ends, then walk the text: the pad character emits its id alone; any
//! other character emits a blank first if it starts a piece (first character, or right after a
//! pad character), then its id and a blank.
//!
//! We deliberately use these Hugging Face rules for *both* model layouts, including sherpa-onnx
//! exports (whose own front end would emit `0 0 c1 0 … cn 0 0` without the split quirk or the
//! strip), so that a given text produces exactly the ids the original Python service produced.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The id ONNX MMS models use for the blank inserted between characters.
const BLANK_ID: i64 = 0;

/// Why a tokenizer file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but its content is not what an MMS tokenizer needs.
    #[error("invalid {}: {reason}", .path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// Options from `tokenizer_config.json` (or sherpa-onnx metadata) that change the ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerOptions {
    /// Insert the blank (id 0) around every character (`add_blank`, true for MMS).
    pub add_blank: bool,
    /// Lowercase characters that are not vocab keys (`normalize`, true for MMS).
    pub normalize: bool,
    /// The pad token character; `None` = the character with id 0 (the MMS convention).
    pub pad: Option<char>,
    /// `language` from the tokenizer config; only `ron` changes anything (ț → ţ).
    pub language: Option<String>,
}

impl Default for TokenizerOptions {
    fn default() -> Self {
        Self {
            add_blank: true,
            normalize: true,
            pad: None,
            language: None,
        }
    }
}

/// A character-level MMS-TTS tokenizer; see the module docs for the exact rules.
#[derive(Debug, Clone)]
pub struct VitsTokenizer {
    vocab: HashMap<char, i64>,
    /// Character that is split off as a special token, with its id.
    pad: Option<(char, i64)>,
    add_blank: bool,
    normalize: bool,
    romanian_fixup: bool,
}

impl VitsTokenizer {
    /// Builds a tokenizer from a `{character: id}` vocabulary.
    ///
    /// Fails if the vocabulary has no id 0 (it is the blank) or if the pad character is not in it.
    pub fn new(vocab: HashMap<char, i64>, options: TokenizerOptions) -> Result<Self, String> {
        if vocab.is_empty() {
            return Err("the vocabulary is empty".to_owned());
        }
        if let Some((c, id)) = vocab.iter().find(|(_, id)| **id < 0) {
            return Err(format!("negative id {id} for {c:?}"));
        }
        let id0 = vocab
            .iter()
            .filter(|(_, id)| **id == BLANK_ID)
            .map(|(c, _)| *c)
            .min()
            .ok_or_else(|| "no character has id 0 (the blank)".to_owned())?;
        let pad_char = options.pad.unwrap_or(id0);
        let pad_id = *vocab
            .get(&pad_char)
            .ok_or_else(|| format!("pad token {pad_char:?} is not in the vocabulary"))?;
        Ok(Self {
            vocab,
            pad: Some((pad_char, pad_id)),
            add_blank: options.add_blank,
            normalize: options.normalize,
            romanian_fixup: options.language.as_deref() == Some("ron"),
        })
    }

    /// Loads a Hugging Face model directory: `vocab.json` plus, if present, `tokenizer_config.json`.
    pub fn from_hf_dir(dir: &Path) -> Result<Self, TokenizerError> {
        let vocab_path = dir.join("vocab.json");
        let vocab =
            parse_vocab_json(&read(&vocab_path)?).map_err(|reason| invalid(&vocab_path, reason))?;
        let config_path = dir.join("tokenizer_config.json");
        let options = if config_path.is_file() {
            parse_tokenizer_config(&read(&config_path)?)
                .map_err(|reason| invalid(&config_path, reason))?
        } else {
            TokenizerOptions::default()
        };
        Self::new(vocab, options).map_err(|reason| invalid(&vocab_path, reason))
    }

    /// Loads a sherpa-onnx `tokens.txt`; `add_blank` comes from the model's metadata.
    pub fn from_tokens_txt(path: &Path, add_blank: bool) -> Result<Self, TokenizerError> {
        let vocab = parse_tokens_txt(&read(path)?).map_err(|reason| invalid(path, reason))?;
        let options = TokenizerOptions {
            add_blank,
            ..TokenizerOptions::default()
        };
        Self::new(vocab, options).map_err(|reason| invalid(path, reason))
    }

    /// Number of characters in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Turns text into model input ids exactly like `VitsTokenizer(text).input_ids`.
    ///
    /// Returns an empty vector when nothing speakable is left (e.g. `"!!!"` or digits only).
    pub fn encode(&self, text: &str) -> Vec<i64> {
        let filtered = self.normalize_and_filter(text);
        let mut ids = Vec::with_capacity(filtered.len() * 2 + 1);
        let mut piece_start = true;
        for c in filtered {
            if let Some((pad_char, pad_id)) = self.pad {
                if c == pad_char {
                    ids.push(pad_id);
                    piece_start = true;
                    continue;
                }
            }
            let Some(&id) = self.vocab.get(&c) else {
                continue;
            };
            if self.add_blank && piece_start {
                ids.push(BLANK_ID);
            }
            ids.push(id);
            if self.add_blank {
                ids.push(BLANK_ID);
            }
            piece_start = false;
        }
        ids
    }

    /// Steps 1–4 of `tts-models.md` §2: case, language fix-up, filter, strip.
    fn normalize_and_filter(&self, text: &str) -> Vec<char> {
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            if self.vocab.contains_key(&c) || !self.normalize {
                out.push(c);
            } else {
                // Per character, like the Python loop (so no final-sigma context rule).
                out.extend(c.to_lowercase());
            }
        }
        if self.romanian_fixup {
            for c in &mut out {
                if *c == 'ț' {
                    *c = 'ţ';
                }
            }
        }
        out.retain(|c| self.vocab.contains_key(c));
        let start = out
            .iter()
            .position(|c| !is_python_space(*c))
            .unwrap_or(out.len());
        let end = out
            .iter()
            .rposition(|c| !is_python_space(*c))
            .map_or(start, |i| i + 1);
        out.truncate(end);
        out.drain(..start);
        out
    }
}

/// Python's `str.isspace()`: Rust's `char::is_whitespace` plus the ASCII separators U+001C–U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Parses `vocab.json` (`{character: id}`). Keys longer than one character can never match after
/// filtering, so they are skipped.
pub fn parse_vocab_json(content: &str) -> Result<HashMap<char, i64>, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(content)
        .map_err(|e| format!("not a JSON object of character ids: {e}"))?;
    let mut vocab = HashMap::with_capacity(map.len());
    for (key, value) in map {
        let id = value
            .as_i64()
            .ok_or_else(|| format!("id of {key:?} is not an integer"))?;
        let mut chars = key.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            vocab.insert(c, id);
        } else {
            tracing::debug!(token = %key, "ignoring multi-character vocabulary entry");
        }
    }
    Ok(vocab)
}

/// Parses the fields of `tokenizer_config.json` that change the ids.
pub fn parse_tokenizer_config(content: &str) -> Result<TokenizerOptions, String> {
    let value: serde_json::Value =
        serde_json::from_str(content).map_err(|e| format!("not valid JSON: {e}"))?;
    let flag = |name: &str, default: bool| {
        value
            .get(name)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(default)
    };
    if flag("phonemize", false) {
        return Err(
            "phonemize=true (espeak phonemes) is not supported by the local engine".to_owned(),
        );
    }
    if flag("is_uroman", false) {
        return Err(
            "is_uroman=true (romanized-text models) is not supported by the local engine"
                .to_owned(),
        );
    }
    // `pad_token` is either a string or a serialized AddedToken `{"content": "...", ...}`.
    let pad_text = match value.get("pad_token") {
        Some(serde_json::Value::String(s)) => Some(s.as_str()),
        Some(serde_json::Value::Object(o)) => o.get("content").and_then(serde_json::Value::as_str),
        _ => None,
    };
    let pad = match pad_text {
        None => None,
        Some(s) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => return Err(format!("pad_token {s:?} is not a single character")),
            }
        }
    };
    Ok(TokenizerOptions {
        add_blank: flag("add_blank", true),
        normalize: flag("normalize", true),
        pad,
        language: value
            .get("language")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    })
}

/// Parses a sherpa-onnx `tokens.txt`: one `<symbol> <id>` per line. A line whose symbol part is
/// empty (`" 3"`, or just `"3"`) is the space, as in sherpa-onnx. Only the first symbol of each id
/// is kept: the upper-case alias lines sherpa adds after a symbol are dropped, which leaves exactly
/// the Hugging Face `vocab.json` (Hugging Face lowercases instead of using aliases).
pub fn parse_tokens_txt(content: &str) -> Result<HashMap<char, i64>, String> {
    let mut vocab: HashMap<char, i64> = HashMap::new();
    let mut seen_ids = std::collections::HashSet::new();
    for (index, line) in content.lines().enumerate() {
        let line = line.trim_end();
        if line.trim_start().is_empty() {
            continue;
        }
        let (symbol, id_text) = match line.rsplit_once(char::is_whitespace) {
            Some(("", id)) => (" ", id),
            Some((symbol, id)) => (symbol, id),
            None => (" ", line),
        };
        let id: i64 = id_text
            .parse()
            .map_err(|_| format!("line {}: {id_text:?} is not an id", index + 1))?;
        let mut chars = symbol.chars();
        let c = match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => {
                tracing::debug!(line = index + 1, symbol, "ignoring multi-character token");
                continue;
            }
        };
        if seen_ids.insert(id) {
            vocab.entry(c).or_insert(id);
        }
    }
    if vocab.is_empty() {
        return Err("no tokens found".to_owned());
    }
    Ok(vocab)
}

fn read(path: &Path) -> Result<String, TokenizerError> {
    std::fs::read_to_string(path).map_err(|source| TokenizerError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn invalid(path: &Path, reason: String) -> TokenizerError {
    TokenizerError::Invalid {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stand-in Finnish vocabulary of the fixtures: "j" has id 0.
    const VOCAB: &str = "jöl yådn'bxha-uqecsägzpifomwtkrv";

    fn tokenizer() -> VitsTokenizer {
        let vocab = VOCAB.chars().zip(0..).collect();
        VitsTokenizer::new(vocab, TokenizerOptions::default()).unwrap()
    }

    fn id(c: char) -> i64 {
        VOCAB.chars().position(|v| v == c).unwrap() as i64
    }

    #[test]
    fn id0_character_is_split_off_without_its_own_blanks() {
        // "Jojo" -> 0 0 o 0 0 0 o 0 (8 ids, not 9).
        let o = id('o');
        assert_eq!(tokenizer().encode("Jojo"), vec![0, 0, o, 0, 0, 0, o, 0]);
    }

    #[test]
    fn strips_and_keeps_inner_double_spaces() {
        let t = tokenizer();
        let (a, sp) = (id('a'), id(' '));
        assert_eq!(t.encode("  a1 a  "), vec![0, a, 0, sp, 0, a, 0]);
        assert_eq!(t.encode("a 1 a"), vec![0, a, 0, sp, 0, sp, 0, a, 0]);
    }

    #[test]
    fn nothing_speakable_gives_no_ids() {
        let t = tokenizer();
        assert!(t.encode("!!!").is_empty());
        assert!(t.encode("123 456").is_empty());
        assert!(t.encode("").is_empty());
        assert!(t.encode("   ").is_empty());
    }

    #[test]
    fn lowercases_unicode_and_drops_combining_marks() {
        let t = tokenizer();
        // İ lowercases to i + U+0307; the combining dot is not in the vocab.
        assert_eq!(t.encode("İ"), vec![0, id('i'), 0]);
        assert_eq!(t.encode("ÄÖ"), vec![0, id('ä'), 0, id('ö'), 0]);
    }

    #[test]
    fn without_blanks_the_pad_still_maps_to_its_id() {
        let vocab = VOCAB.chars().zip(0..).collect();
        let options = TokenizerOptions {
            add_blank: false,
            ..TokenizerOptions::default()
        };
        let t = VitsTokenizer::new(vocab, options).unwrap();
        assert_eq!(t.encode("Jo"), vec![0, id('o')]);
    }

    #[test]
    fn tokens_txt_space_line_and_aliases() {
        let txt = "j 0\nJ 0\nö 1\nÖ 1\n  2\na 3\nA 3\n";
        let vocab = parse_tokens_txt(txt).unwrap();
        assert_eq!(vocab.len(), 4);
        assert_eq!(vocab[&' '], 2);
        assert_eq!(vocab[&'j'], 0);
        assert!(!vocab.contains_key(&'J'));
        // One-field forms of the space line.
        assert_eq!(parse_tokens_txt("j 0\n 1\n").unwrap()[&' '], 1);
        assert_eq!(parse_tokens_txt("j 0\n1\n").unwrap()[&' '], 1);
        assert!(parse_tokens_txt("j zero\n").is_err());
    }

    #[test]
    fn tokenizer_config_fields() {
        let o = parse_tokenizer_config(
            r#"{"add_blank": false, "pad_token": {"content": "k"}, "language": "eng"}"#,
        )
        .unwrap();
        assert!(!o.add_blank);
        assert_eq!(o.pad, Some('k'));
        assert!(parse_tokenizer_config(r#"{"phonemize": true}"#).is_err());
        assert!(parse_tokenizer_config(r#"{"is_uroman": true}"#).is_err());
    }

    #[test]
    fn vocab_without_id0_is_rejected() {
        let vocab = [('a', 1), ('b', 2)].into_iter().collect();
        assert!(VitsTokenizer::new(vocab, TokenizerOptions::default()).is_err());
    }
}
