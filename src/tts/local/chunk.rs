//! Splitting long text into pieces the model can take in one run.
//!
//! Why: VITS attention and memory grow with the input length, and one run over a 10,000-character
//! text would hold a huge intermediate state. Short texts (up to the limit) are kept whole so their
//! ids are exactly what the original service fed the model; longer ones are cut at sentence ends
//! (`. ! ? ;` followed by whitespace, and newlines), sentences are packed greedily up to the limit,
//! and a sentence longer than the limit is cut at its last comma/colon, else its last space, else
//! hard at the limit.

/// Characters that end a sentence when followed by whitespace or the end of the text.
const SENTENCE_END: [char; 4] = ['.', '!', '?', ';'];
/// Preferred cut points inside an over-long sentence.
const CLAUSE_END: [char; 2] = [',', ':'];

/// Splits `text` into chunks of at most `max_chars` characters (`max_chars` ≥ 1).
/// Blank chunks are dropped; a text of at most `max_chars` characters is returned unchanged.
pub(crate) fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    if text.chars().count() <= max_chars {
        return if text.trim().is_empty() {
            Vec::new()
        } else {
            vec![text.to_owned()]
        };
    }
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for sentence in sentences(text) {
        let len = sentence.chars().count();
        if len > max_chars {
            flush(&mut chunks, &mut current, &mut current_len);
            chunks.extend(split_long(sentence, max_chars));
        } else if current_len == 0 {
            current.push_str(sentence);
            current_len = len;
        } else if current_len + 1 + len <= max_chars {
            current.push(' ');
            current.push_str(sentence);
            current_len += 1 + len;
        } else {
            flush(&mut chunks, &mut current, &mut current_len);
            current.push_str(sentence);
            current_len = len;
        }
    }
    flush(&mut chunks, &mut current, &mut current_len);
    chunks
}

fn flush(chunks: &mut Vec<String>, current: &mut String, current_len: &mut usize) {
    if !current.trim().is_empty() {
        chunks.push(std::mem::take(current));
    }
    current.clear();
    *current_len = 0;
}

/// Trimmed, non-empty sentences of `text`.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|&(_, n)| n);
        let boundary =
            c == '\n' || (SENTENCE_END.contains(&c) && next.is_none_or(|n| n.is_whitespace()));
        if boundary {
            let end = i + c.len_utf8();
            push_trimmed(&mut out, &text[start..end]);
            start = end;
        }
    }
    push_trimmed(&mut out, &text[start..]);
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s);
    }
}

/// Cuts one over-long sentence into pieces of at most `max_chars` characters.
fn split_long(sentence: &str, max_chars: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = sentence.trim();
    while rest.chars().count() > max_chars {
        // Byte offset just past the first `max_chars` characters.
        let window_end = rest
            .char_indices()
            .nth(max_chars)
            .map_or(rest.len(), |(i, _)| i);
        let window = &rest[..window_end];
        let cut = window
            .char_indices()
            .rev()
            .find(|(_, c)| CLAUSE_END.contains(c))
            .map(|(i, c)| i + c.len_utf8())
            .or_else(|| {
                window
                    .char_indices()
                    .rev()
                    .find(|(i, c)| *i > 0 && c.is_whitespace())
                    .map(|(i, _)| i)
            })
            .unwrap_or(window_end);
        let piece = rest[..cut].trim();
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_owned());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_limit(chunks: &[String], max: usize) {
        for c in chunks {
            assert!(c.chars().count() <= max, "{c:?} longer than {max}");
            assert!(!c.trim().is_empty());
        }
    }

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(
            split_text("  Hei. Moi!  ", 400),
            vec!["  Hei. Moi!  ".to_owned()]
        );
        assert!(split_text("   \n ", 400).is_empty());
    }

    #[test]
    fn packs_sentences_up_to_the_limit() {
        let chunks = split_text(
            "Yksi kaksi. Kolme neljä! Viisi kuusi? Seitsemän; kahdeksan\nyhdeksän",
            25,
        );
        assert_eq!(
            chunks,
            vec![
                "Yksi kaksi. Kolme neljä!",
                "Viisi kuusi? Seitsemän;",
                "kahdeksan yhdeksän"
            ]
        );
    }

    #[test]
    fn decimal_points_do_not_end_sentences() {
        assert_eq!(
            sentences("Luku 3.5 on pieni. Toinen"),
            vec!["Luku 3.5 on pieni.", "Toinen"]
        );
    }

    #[test]
    fn long_sentence_is_cut_at_commas_then_spaces_then_hard() {
        let text = "aaaa bbbb, cccc dddd eeee ffff gggg";
        let chunks = split_text(text, 12);
        assert_limit(&chunks, 12);
        assert_eq!(chunks[0], "aaaa bbbb,");
        let hard = split_text(&"x".repeat(25), 10);
        assert_eq!(hard, vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    }

    #[test]
    fn multibyte_text_respects_char_limit() {
        let text = "äöå ".repeat(300);
        let chunks = split_text(&text, 50);
        assert_limit(&chunks, 50);
        let joined: String = chunks.join(" ");
        assert_eq!(joined.split_whitespace().count(), 300);
    }

    #[test]
    fn ten_thousand_characters() {
        let text = "Tämä on lause, jossa on pilkku. ".repeat(320);
        let chunks = split_text(&text, 400);
        assert_limit(&chunks, 400);
        assert!(chunks.len() >= 25);
    }
}
