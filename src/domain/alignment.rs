//! Word-level alignment of an attempt against its reference, for feedback
//! ("Helsingissä → helsingisa"). Words are compared as the scorer compares
//! them (normalised tokens, `scoring::tokenize`), but shown as written.
//!
//! This is always a Levenshtein alignment, even where the legacy score of
//! contract §5 compares equal-length texts position by position: the score
//! stays bit-compatible, the alignment shows what a learner actually missed.

use serde::Serialize;

use crate::domain::scoring::tokenize;

/// What happened to one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Equal,
    Substitute,
    /// A word the learner added.
    Insert,
    /// A reference word the learner left out.
    Delete,
}

/// One aligned pair; `reference`/`attempt` are the words as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub op: Op,
    pub reference: Option<String>,
    pub attempt: Option<String>,
}

/// A scoring token with the written word it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub token: String,
    pub written: String,
}

/// Split text into scoring tokens, each labelled with its written form.
/// A written word that yields several tokens (`hyvää-päivää`) is split at
/// its separators when the pieces match the tokens one to one.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        let tokens = tokenize(raw);
        let pieces: Vec<&str> = raw
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '_'))
            .filter(|p| !p.is_empty())
            .collect();
        let use_pieces = tokens.len() > 1 && pieces.len() == tokens.len();
        for (i, token) in tokens.into_iter().enumerate() {
            let written = if use_pieces { pieces[i] } else { raw };
            out.push(Word {
                token,
                written: written.to_string(),
            });
        }
    }
    out
}

/// Largest edit table we build (about 32 MB); beyond it (thousands of words
/// on both sides) the alignment falls back to word-by-word positions.
const MAX_CELLS: usize = 4_000_000;

fn pair(op: Op, reference: Option<&Word>, attempt: Option<&Word>) -> Pair {
    Pair {
        op,
        reference: reference.map(|w| w.written.clone()),
        attempt: attempt.map(|w| w.written.clone()),
    }
}

/// Position-by-position pairing, for inputs too large for the edit table.
fn positional(r: &[Word], h: &[Word], same: &impl Fn(&Word, &Word) -> bool) -> Vec<Pair> {
    (0..r.len().max(h.len()))
        .map(|i| match (r.get(i), h.get(i)) {
            (Some(a), Some(b)) if same(a, b) => pair(Op::Equal, Some(a), Some(b)),
            (Some(a), Some(b)) => pair(Op::Substitute, Some(a), Some(b)),
            (Some(a), None) => pair(Op::Delete, Some(a), None),
            (None, b) => pair(Op::Insert, None, b),
        })
        .collect()
}

/// Align `attempt` to `reference` with unit-cost edits.
pub fn align(reference: &str, attempt: &str) -> Vec<Pair> {
    align_with(reference, attempt, |r, h| r.token == h.token)
}

/// Align with a custom notion of "same word" (e.g. a digit and its spoken
/// form); the cost is 0 for equal words and 1 for every edit.
pub fn align_with(
    reference: &str,
    attempt: &str,
    same: impl Fn(&Word, &Word) -> bool,
) -> Vec<Pair> {
    let r = words(reference);
    let h = words(attempt);
    let (n, m) = (r.len(), h.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return positional(&r, &h, &same);
    }
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(!same(&r[i - 1], &h[j - 1]));
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
        }
    }
    let mut pairs = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        if i > 0 && j > 0 {
            let equal = same(&r[i - 1], &h[j - 1]);
            let cost = usize::from(!equal);
            if d[i][j] == d[i - 1][j - 1] + cost {
                let op = if equal { Op::Equal } else { Op::Substitute };
                pairs.push(pair(op, Some(&r[i - 1]), Some(&h[j - 1])));
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && d[i][j] == d[i - 1][j] + 1 {
            pairs.push(pair(Op::Delete, Some(&r[i - 1]), None));
            i -= 1;
        } else {
            pairs.push(pair(Op::Insert, None, Some(&h[j - 1])));
            j -= 1;
        }
    }
    pairs.reverse();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (Op, Option<String>, Option<String>);

    fn ops(reference: &str, attempt: &str) -> Vec<Row> {
        align(reference, attempt)
            .into_iter()
            .map(|p| (p.op, p.reference, p.attempt))
            .collect()
    }

    /// Expected rows, written compactly.
    fn rows(expected: &[(Op, Option<&str>, Option<&str>)]) -> Vec<Row> {
        expected
            .iter()
            .map(|(op, r, h)| (*op, r.map(str::to_string), h.map(str::to_string)))
            .collect()
    }

    use Op::*;

    #[test]
    fn contract_examples() {
        assert_eq!(
            ops("Hyvää huomenta!", "hyvaa huomenta"),
            rows(&[
                (Equal, Some("Hyvää"), Some("hyvaa")),
                (Equal, Some("huomenta!"), Some("huomenta"))
            ])
        );
        assert_eq!(
            ops("Minä asun Helsingissä nyt.", "minä asun helsingissä"),
            rows(&[
                (Equal, Some("Minä"), Some("minä")),
                (Equal, Some("asun"), Some("asun")),
                (Equal, Some("Helsingissä"), Some("helsingissä")),
                (Delete, Some("nyt."), None)
            ])
        );
        assert_eq!(
            ops("Minä asun Helsingissä.", "Minä asun nyt Helsingissä."),
            rows(&[
                (Equal, Some("Minä"), Some("Minä")),
                (Equal, Some("asun"), Some("asun")),
                (Insert, None, Some("nyt")),
                (Equal, Some("Helsingissä."), Some("Helsingissä."))
            ])
        );
        assert_eq!(
            ops("Hei maailma", ""),
            rows(&[(Delete, Some("Hei"), None), (Delete, Some("maailma"), None)])
        );
        assert!(ops("?!", "").is_empty());
        assert_eq!(
            ops("kissa", "kissa koira"),
            rows(&[
                (Equal, Some("kissa"), Some("kissa")),
                (Insert, None, Some("koira"))
            ])
        );
    }

    #[test]
    fn a_reordering_is_aligned_even_though_the_legacy_score_is_positional() {
        // Legacy score: 0 % (positional). The alignment finds the two kept words.
        let pairs = ops("yksi kaksi kolme", "kaksi kolme yksi");
        assert_eq!(
            pairs,
            rows(&[
                (Delete, Some("yksi"), None),
                (Equal, Some("kaksi"), Some("kaksi")),
                (Equal, Some("kolme"), Some("kolme")),
                (Insert, None, Some("yksi"))
            ])
        );
    }

    #[test]
    fn substitutions_show_both_written_forms() {
        assert_eq!(
            ops("Asun Helsingissä", "asun helsingisa"),
            rows(&[
                (Equal, Some("Asun"), Some("asun")),
                (Substitute, Some("Helsingissä"), Some("helsingisa"))
            ])
        );
    }

    #[test]
    fn hyphenated_words_split_into_their_parts() {
        assert_eq!(
            ops("hyvää-päivää", "hyvää paivaa"),
            rows(&[
                (Equal, Some("hyvää"), Some("hyvää")),
                (Equal, Some("päivää"), Some("paivaa"))
            ])
        );
    }

    #[test]
    fn huge_inputs_fall_back_to_positions() {
        let long = "sana ".repeat(2_100);
        let pairs = align(&long, &format!("{long} lisä"));
        assert_eq!(pairs.len(), 2_101);
        assert_eq!(pairs[2_100].op, Insert);
        assert!(pairs[..2_100].iter().all(|p| p.op == Equal));
    }

    #[test]
    fn custom_equality_accepts_alternative_forms() {
        let pairs = align_with("kello 8", "kello kahdeksan", |r, h| {
            r.token == h.token || (r.token == "8" && h.token == "kahdeksan")
        });
        assert!(pairs.iter().all(|p| p.op == Equal));
    }
}
