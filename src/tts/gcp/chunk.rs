//! Splitting long text for Google, which limits one request's input.
//!
//! Like the original: at most 4,500 characters per request, split on word
//! boundaries (words re-joined with single spaces). Google's documented limit
//! is 5,000 *bytes*, and Finnish letters such as ä take two bytes in UTF-8, so
//! a chunk is also kept under 5,000 bytes. A single word longer than a chunk
//! is cut at character boundaries.

/// Characters per request (contract §8).
pub const MAX_CHARS: usize = 4_500;
/// Bytes per request (Google's input limit).
pub const MAX_BYTES: usize = 5_000;

/// The text as request-sized pieces; text that fits is returned unchanged.
pub fn chunk_text(text: &str, max_chars: usize, max_bytes: usize) -> Vec<String> {
    let fits = |s: &str| s.chars().count() <= max_chars && s.len() <= max_bytes;
    if fits(text) {
        return vec![text.to_string()];
    }
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for word in text.split_whitespace() {
        for piece in split_word(word, max_chars, max_bytes) {
            let piece_chars = piece.chars().count();
            let sep = usize::from(!current.is_empty());
            if current_chars + sep + piece_chars > max_chars
                || current.len() + sep + piece.len() > max_bytes
            {
                chunks.push(std::mem::take(&mut current));
                current_chars = 0;
            }
            if !current.is_empty() {
                current.push(' ');
                current_chars += 1;
            }
            current.push_str(piece);
            current_chars += piece_chars;
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// A word, or slices of it when it alone exceeds a chunk.
fn split_word(word: &str, max_chars: usize, max_bytes: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut chars = 0;
    for (i, c) in word.char_indices() {
        if chars + 1 > max_chars || i + c.len_utf8() - start > max_bytes {
            pieces.push(&word[start..i]);
            start = i;
            chars = 0;
        }
        chars += 1;
    }
    pieces.push(&word[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(
            chunk_text("  Hei  maailma ", 15, 100),
            vec!["  Hei  maailma "]
        );
    }

    #[test]
    fn long_text_splits_on_words_within_both_limits() {
        let text = "sana ".repeat(2000);
        let chunks = chunk_text(&text, MAX_CHARS, MAX_BYTES);
        assert_eq!(chunks.len(), 3);
        for c in &chunks {
            assert!(c.chars().count() <= MAX_CHARS && c.len() <= MAX_BYTES);
            assert!(!c.starts_with(' ') && !c.ends_with(' '));
        }
        assert_eq!(chunks.join(" "), text.trim_end());

        let finnish = "hyvää ".repeat(1000); // 6 chars but 8 bytes per word
        for c in chunk_text(&finnish, MAX_CHARS, MAX_BYTES) {
            assert!(c.len() <= MAX_BYTES);
        }
    }

    #[test]
    fn overlong_words_are_cut_on_char_boundaries() {
        let chunks = chunk_text("ääääää b", 4, 100);
        assert_eq!(chunks, vec!["ääää", "ää b"]);
        let chunks = chunk_text("ääääää", 100, 5);
        assert_eq!(chunks, vec!["ää", "ää", "ää"]);
    }
}
