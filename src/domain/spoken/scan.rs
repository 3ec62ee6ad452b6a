//! Small, allocation-free helpers for looking around a byte position in the
//! input. All positions are byte offsets on `char` boundaries.

/// The character just before `pos`.
pub(super) fn prev_char(text: &str, pos: usize) -> Option<char> {
    text.get(..pos)?.chars().next_back()
}

/// The character starting at `pos`.
pub(super) fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..)?.chars().next()
}

/// End of the run of ASCII digits starting at `pos` (== `pos` if none).
pub(super) fn digits_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    pos + rest.bytes().take_while(u8::is_ascii_digit).count()
}

/// End of the run of letters starting at `pos` (== `pos` if none).
pub(super) fn letters_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    let len: usize = rest
        .chars()
        .take_while(|c| c.is_alphabetic())
        .map(char::len_utf8)
        .sum();
    pos + len
}

/// A space that may sit between a number and its unit or between thousands
/// groups: ASCII space, no-break space or narrow no-break space.
pub(super) fn is_inline_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// Skips one inline space at `pos`, if there is one.
pub(super) fn skip_inline_space(text: &str, pos: usize) -> usize {
    match char_at(text, pos) {
        Some(c) if is_inline_space(c) => pos + c.len_utf8(),
        _ => pos,
    }
}

/// A dash that joins the two ends of a range ("5–10", "8-16").
pub(super) fn is_range_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '–' | '—')
}

/// `true` when nothing alphanumeric starts at `pos` (the end of a token).
pub(super) fn at_word_end(text: &str, pos: usize) -> bool {
    !char_at(text, pos).is_some_and(char::is_alphanumeric)
}

/// `true` when nothing alphanumeric ends at `pos` (the start of a token).
pub(super) fn at_word_start(text: &str, pos: usize) -> bool {
    !prev_char(text, pos).is_some_and(char::is_alphanumeric)
}

/// The word after the whitespace that follows `pos`, if `pos` is followed by
/// whitespace and then letters: `("24. joulukuuta", 3)` → `"joulukuuta"`.
pub(super) fn next_word(text: &str, pos: usize) -> Option<&str> {
    let rest = text.get(pos..)?;
    let trimmed = rest.trim_start();
    if trimmed.len() == rest.len() {
        return None;
    }
    let start = pos + (rest.len() - trimmed.len());
    let end = letters_end(text, start);
    (end > start).then(|| &text[start..end])
}

/// The word before `pos` (skipping whitespace), without a trailing period:
/// `("vuonna 1918", 7)` → `"vuonna"`, `("v. 1918", 3)` → `"v"`.
pub(super) fn previous_word(text: &str, pos: usize) -> Option<&str> {
    let before = text.get(..pos)?.trim_end();
    let before = before.strip_suffix('.').unwrap_or(before);
    let word_len: usize = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .map(char::len_utf8)
        .sum();
    (word_len > 0).then(|| &before[before.len() - word_len..])
}

/// Whether a period ending at `pos` also ends the sentence: nothing but
/// whitespace follows, or the next word starts with a capital letter, or a
/// line break follows.
pub(super) fn ends_sentence(text: &str, pos: usize) -> bool {
    let rest = text.get(pos..).unwrap_or("");
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        return true;
    }
    let gap = &rest[..rest.len() - trimmed.len()];
    if gap.is_empty() {
        return false;
    }
    gap.contains('\n') || trimmed.chars().next().is_some_and(char::is_uppercase)
}

/// `true` when a case ending written after a colon starts at `pos`
/// ("Oy:llä", "kg:n"): the token before it is then an inflected word.
pub(super) fn colon_ending_at(text: &str, pos: usize) -> bool {
    char_at(text, pos) == Some(':') && char_at(text, pos + 1).is_some_and(char::is_alphabetic)
}
