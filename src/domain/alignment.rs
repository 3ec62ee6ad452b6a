//! Word-level alignment of an attempt against its reference, for feedback
//! ("Helsingissä → helsingisä") and for the learner-facing score.
//!
//! Both texts are cut into *units*: a written word (or a piece of a
//! hyphenated word), or — where the spoken-form normaliser expanded
//! something — the whole written run it expanded ("8.30", "12,50 €"). A
//! unit is compared through its scoring tokens (`scoring::tokenize`) and,
//! where it has one, its spoken form, so "8.30" is the same unit as the
//! learner's "kahdeksan kolmekymmentä" and is shown once, as one pair.
//!
//! The alignment minimises edits (substituted, missing and extra units),
//! and among alignments with the fewest edits it prefers the one that pairs
//! words by letter similarity, so a misspelling is shown as a substitution
//! of the word it misspells rather than as a miss next to an unrelated
//! "wrong" word. Substitutions carry the letter-level difference.
//!
//! Memory stays linear in the input: each written word appears once in the
//! result, and a text without spaces (CJK, say) is one unit, not one entry
//! per token. The edit table is bounded by [`MAX_CELLS`]; beyond it units
//! are paired by position.
//!
//! This is always an edit-distance alignment, even where the legacy score of
//! contract §5 compares equal-length texts position by position: that score
//! stays bit-compatible (`scoring`), this one shows what a learner missed.

use std::collections::HashMap;

use crate::domain::scoring::tokenize;
use crate::domain::spoken;
use crate::domain::transliterate::transliterate_char;

/// What happened to one unit (or one run of letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equal,
    Substitute,
    /// Something the learner added.
    Insert,
    /// Something of the reference the learner left out.
    Delete,
}

/// One aligned pair; `reference`/`attempt` are the words as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub op: Op,
    pub reference: Option<String>,
    pub attempt: Option<String>,
    /// `true` when the words matched only through a spoken form ("8" and
    /// "kahdeksan"); absent otherwise.
    pub spoken: bool,
    /// For a substitution: the letters of both words, aligned (punctuation
    /// left out; letters compared as the scorer compares them, so case and
    /// accents do not count). Absent for other operations and for words too
    /// long to compare letter by letter.
    pub letters: Option<Vec<Letters>>,
}

/// A run of letters with one operation: `delete` letters are missing from
/// the attempt, `insert` letters are extra, `substitute` letters are wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letters {
    pub op: Op,
    pub reference: Option<String>,
    pub attempt: Option<String>,
}

/// One unit of a text: what is shown, and what it is compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// As written (a hyphenated word's piece, or the whole expanded run).
    pub written: String,
    /// Scoring tokens, joined by spaces: the unit's identity in statistics.
    pub key: String,
    exact: Vec<u32>,
    /// Tokens of the spoken form when it differs from `exact`; else empty.
    spoken: Vec<u32>,
}

/// Interns tokens so that comparing units compares integers.
#[derive(Default)]
pub struct Tokens(HashMap<String, u32>);

impl Tokens {
    fn ids(&mut self, tokens: Vec<String>) -> Vec<u32> {
        tokens
            .into_iter()
            .map(|t| {
                let next = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
                *self.0.entry(t).or_insert(next)
            })
            .collect()
    }
}

/// The units of `text`, in order. Words without any scoring token ("—",
/// "?!") are not units.
pub fn units(text: &str, tokens: &mut Tokens) -> Vec<Unit> {
    let normalized = spoken::expand(text);
    let mut segments = Vec::with_capacity(normalized.segments.len());
    let mut pos = 0;
    for segment in &normalized.segments {
        let end = pos + segment.written.len();
        segments.push((pos, end, segment));
        pos = end;
    }
    let expansions: Vec<(usize, usize)> = segments
        .iter()
        .filter(|(_, _, s)| s.written != s.spoken)
        .map(|(start, end, _)| (*start, *end))
        .collect();
    let mut out = Vec::new();
    for (start, end, expanded) in groups(&word_spans(text), &expansions) {
        let written = &text[start..end];
        if !expanded {
            plain_units(written, tokens, &mut out);
            continue;
        }
        let spoken_text: String = segments
            .iter()
            .filter(|(s, e, _)| *s < end && *e > start)
            .map(|(s, e, segment)| {
                if segment.written == segment.spoken {
                    &text[(*s).max(start)..(*e).min(end)]
                } else {
                    segment.spoken.as_str()
                }
            })
            .collect();
        let exact_words = tokenize(written);
        let key = exact_words.join(" ");
        let exact = tokens.ids(exact_words);
        let spoken = tokens.ids(tokenize(&spoken_text));
        if exact.is_empty() && spoken.is_empty() {
            continue;
        }
        let spoken = if spoken == exact { Vec::new() } else { spoken };
        out.push(Unit {
            written: written.to_string(),
            key,
            exact,
            spoken,
        });
    }
    out
}

/// Byte spans of the whitespace-separated words of `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Words joined into groups: words that one expansion covers (e.g. "12,50"
/// and "€") form one group. Each group is `(start, end, expanded)`.
fn groups(words: &[(usize, usize)], expansions: &[(usize, usize)]) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let (mut k, mut r) = (0, 0);
    while k < words.len() {
        let (start, mut end) = words[k];
        let mut last = k;
        let mut expanded = false;
        while r < expansions.len() && expansions[r].1 <= start {
            r += 1;
        }
        loop {
            let mut grew = false;
            let mut q = r;
            while q < expansions.len() && expansions[q].0 < end {
                if expansions[q].1 > start {
                    expanded = true;
                    if expansions[q].1 > end {
                        end = expansions[q].1;
                        grew = true;
                    }
                }
                q += 1;
            }
            while last + 1 < words.len() && words[last + 1].0 < end {
                last += 1;
                if words[last].1 > end {
                    end = words[last].1;
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        out.push((start, end, expanded));
        k = last + 1;
    }
    out
}

/// A written word without expansions: split at its separators when the
/// pieces match its tokens one to one (`hyvää-päivää`), else one unit.
fn plain_units(raw: &str, tokens: &mut Tokens, out: &mut Vec<Unit>) {
    let words = tokenize(raw);
    if words.is_empty() {
        return;
    }
    let pieces: Vec<&str> = raw
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '_'))
        .filter(|p| !p.is_empty())
        .collect();
    if words.len() > 1 && pieces.len() == words.len() {
        for (piece, word) in pieces.into_iter().zip(words) {
            out.push(Unit {
                written: piece.to_string(),
                exact: tokens.ids(vec![word.clone()]),
                key: word,
                spoken: Vec::new(),
            });
        }
    } else {
        out.push(Unit {
            written: raw.to_string(),
            key: words.join(" "),
            exact: tokens.ids(words),
            spoken: Vec::new(),
        });
    }
}

/// Largest edit table we build (each cell 10 bytes: about 20 MB); beyond it
/// (over a thousand words on both sides) units are paired by position.
const MAX_CELLS: usize = 2_000_000;

/// Above this many cells, substitutions are not ranked by letter
/// similarity (it costs a letter-level comparison per cell).
const MAX_SIMILARITY_CELLS: usize = 250_000;

/// Longest word (in letters) compared letter by letter.
const MAX_LETTERS: usize = 48;

/// Most units one unit can match as a run ("8.30" ↔ "kahdeksan kolmekymmentä").
const MAX_RUN: usize = 16;

/// Dissimilarity of an edit that pairs nothing (a missing or extra unit);
/// a substitution costs 0..=`UNPAIRED` by how different its letters are.
const UNPAIRED: u64 = 1_000;

/// The result of aligning an attempt against a reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    pub pairs: Vec<Pair>,
    /// The reference's units, in order.
    pub reference: Vec<Unit>,
    /// For each reference unit: whether the learner got it (part of an
    /// `equal` pair).
    pub heard: Vec<bool>,
    /// Substituted, missing and extra units.
    pub edits: usize,
}

impl Alignment {
    /// Learner-facing percentage: units right minus extra units, over the
    /// reference's units, truncated like the contract's score (an empty
    /// reference is 100 for an empty attempt, else 0).
    pub fn percentage(&self) -> i64 {
        let n = self.reference.len();
        if n == 0 {
            return if self.pairs.is_empty() { 100 } else { 0 };
        }
        let correct = n.saturating_sub(self.edits);
        // Python: int((correct / n) * 100), as scoring::percentage.
        ((correct as f64 / n as f64 * 100.0) as i64).clamp(0, 100)
    }
}

/// Align `attempt` to `reference`.
pub fn align(reference: &str, attempt: &str) -> Alignment {
    let mut tokens = Tokens::default();
    let r = units(reference, &mut tokens);
    let h = units(attempt, &mut tokens);
    align_units(r, &h)
}

/// How a cell of the edit table was reached.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Start,
    Delete,
    Insert,
    /// One reference unit against one attempt unit (equal or substituted).
    Diagonal,
    /// One reference unit against a run of `n` attempt units.
    RunOfAttempt(u8),
    /// A run of `n` reference units against one attempt unit.
    RunOfReference(u8),
}

fn same(a: &Unit, b: &Unit) -> Option<bool> {
    if a.exact == b.exact {
        return Some(false);
    }
    let spoken = (!b.spoken.is_empty() && a.exact == b.spoken)
        || (!a.spoken.is_empty() && (a.spoken == b.exact || a.spoken == b.spoken));
    spoken.then_some(true)
}

/// Whether the concatenated exact tokens of `run` equal one of `unit`'s
/// forms; `Some(spoken)` says which.
fn run_matches(unit: &Unit, run: &[Unit]) -> Option<bool> {
    let len: usize = run.iter().map(|u| u.exact.len()).sum();
    let matches = |form: &[u32]| {
        !form.is_empty()
            && form.len() == len
            && run.iter().flat_map(|u| u.exact.iter()).eq(form.iter())
    };
    if matches(&unit.exact) {
        Some(false)
    } else if matches(&unit.spoken) {
        Some(true)
    } else {
        None
    }
}

fn longest_form(unit: &Unit) -> usize {
    unit.exact.len().max(unit.spoken.len()).min(MAX_RUN)
}

/// Align already cut units.
pub fn align_units(r: Vec<Unit>, h: &[Unit]) -> Alignment {
    let (n, m) = (r.len(), h.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return positional(r, h);
    }
    let sides = Sides::new(&r, h);
    let table = Table::fill(&sides);
    let edits = usize::try_from(table.cost_at(n, m) >> 32).unwrap_or(usize::MAX);
    let (pairs, heard) = table.trace_back(&sides);
    Alignment {
        pairs,
        reference: r,
        heard,
        edits,
    }
}

/// Cost of one edit: the edit counts in the high bits, its dissimilarity
/// `extra` ranks edits in the low bits.
fn edit(extra: u64) -> u64 {
    (1u64 << 32) + extra
}

/// Both sides of an alignment, with each unit's letters.
struct Sides<'a> {
    r: &'a [Unit],
    h: &'a [Unit],
    r_letters: Vec<Vec<(char, &'static str)>>,
    h_letters: Vec<Vec<(char, &'static str)>>,
    /// Whether substitutions are ranked by letter similarity.
    ranked: bool,
}

impl<'a> Sides<'a> {
    /// Cuts both sides' letters; ranking is on while the table is small enough.
    fn new(r: &'a [Unit], h: &'a [Unit]) -> Self {
        Sides {
            r,
            h,
            r_letters: r.iter().map(|u| letters(&u.written)).collect(),
            h_letters: h.iter().map(|u| letters(&u.written)).collect(),
            ranked: (r.len() + 1) * (h.len() + 1) <= MAX_SIMILARITY_CELLS,
        }
    }
}

/// The edit table: for each cell `(i, j)` (the first `i` reference units
/// against the first `j` attempt units), its least cost and how it was reached.
struct Table {
    width: usize,
    cost: Vec<u64>,
    step: Vec<Step>,
}

impl Table {
    /// Fills the table row by row, each cell from the cells before it.
    fn fill(sides: &Sides) -> Self {
        let (n, m) = (sides.r.len(), sides.h.len());
        let width = m + 1;
        let mut table = Table {
            width,
            cost: vec![u64::MAX; (n + 1) * width],
            step: vec![Step::Start; (n + 1) * width],
        };
        table.cost[0] = 0;
        for i in 0..=n {
            for j in 0..=m {
                if i == 0 && j == 0 {
                    continue;
                }
                let (cost, step) = table.best(sides, i, j);
                table.cost[i * width + j] = cost;
                table.step[i * width + j] = step;
            }
        }
        table
    }

    /// The least cost of cell `(i, j)`.
    fn cost_at(&self, i: usize, j: usize) -> u64 {
        self.cost[i * self.width + j]
    }

    /// The cheapest way into cell `(i, j)` from the cells already filled.
    fn best(&self, sides: &Sides, i: usize, j: usize) -> (u64, Step) {
        let (r, h) = (sides.r, sides.h);
        let mut best = (u64::MAX, Step::Start);
        let mut offer = |c: u64, s: Step| {
            if c < best.0 {
                best = (c, s);
            }
        };
        if i > 0 && j > 0 {
            let before = self.cost_at(i - 1, j - 1);
            match same(&r[i - 1], &h[j - 1]) {
                Some(_) => offer(before, Step::Diagonal),
                None => {
                    let d = if sides.ranked {
                        dissimilarity(&sides.r_letters[i - 1], &sides.h_letters[j - 1])
                    } else {
                        UNPAIRED
                    };
                    offer(before + edit(d), Step::Diagonal);
                }
            }
            for k in 2..=longest_form(&r[i - 1]).min(j) {
                if run_matches(&r[i - 1], &h[j - k..j]).is_some() {
                    offer(self.cost_at(i - 1, j - k), Step::RunOfAttempt(k as u8));
                }
            }
            for k in 2..=longest_form(&h[j - 1]).min(i) {
                if run_matches(&h[j - 1], &r[i - k..i]).is_some() {
                    offer(self.cost_at(i - k, j - 1), Step::RunOfReference(k as u8));
                }
            }
        }
        if i > 0 {
            offer(self.cost_at(i - 1, j) + edit(UNPAIRED), Step::Delete);
        }
        if j > 0 {
            offer(self.cost_at(i, j - 1) + edit(UNPAIRED), Step::Insert);
        }
        best
    }

    /// Walks back from the last cell, one pair per step, and marks the
    /// reference units the learner got.
    fn trace_back(&self, sides: &Sides) -> (Vec<Pair>, Vec<bool>) {
        let (r, h) = (sides.r, sides.h);
        let (n, m) = (r.len(), h.len());
        let mut pairs = Vec::with_capacity(n.max(m));
        let mut heard = vec![false; n];
        let (mut i, mut j) = (n, m);
        while i > 0 || j > 0 {
            match self.step[i * self.width + j] {
                Step::Diagonal => {
                    let (a, b) = (&r[i - 1], &h[j - 1]);
                    match same(a, b) {
                        Some(spoken) => {
                            heard[i - 1] = true;
                            pairs.push(equal(a.written.clone(), b.written.clone(), spoken));
                        }
                        None => pairs.push(substitute(
                            a,
                            b,
                            &sides.r_letters[i - 1],
                            &sides.h_letters[j - 1],
                        )),
                    }
                    i -= 1;
                    j -= 1;
                }
                Step::RunOfAttempt(k) => {
                    let k = usize::from(k);
                    let spoken = run_matches(&r[i - 1], &h[j - k..j]).unwrap_or(false);
                    heard[i - 1] = true;
                    pairs.push(equal(
                        r[i - 1].written.clone(),
                        joined(&h[j - k..j]),
                        spoken,
                    ));
                    i -= 1;
                    j -= k;
                }
                Step::RunOfReference(k) => {
                    let k = usize::from(k);
                    let spoken = run_matches(&h[j - 1], &r[i - k..i]).unwrap_or(false);
                    heard[i - k..i].iter_mut().for_each(|x| *x = true);
                    pairs.push(equal(
                        joined(&r[i - k..i]),
                        h[j - 1].written.clone(),
                        spoken,
                    ));
                    i -= k;
                    j -= 1;
                }
                Step::Delete => {
                    pairs.push(unpaired(Op::Delete, Some(&r[i - 1]), None));
                    i -= 1;
                }
                Step::Insert | Step::Start => {
                    pairs.push(unpaired(Op::Insert, None, Some(&h[j - 1])));
                    j -= 1;
                }
            }
        }
        pairs.reverse();
        (pairs, heard)
    }
}

/// Position-by-position pairing, for inputs too large for the edit table.
fn positional(r: Vec<Unit>, h: &[Unit]) -> Alignment {
    let mut pairs = Vec::with_capacity(r.len().max(h.len()));
    let mut heard = Vec::with_capacity(r.len());
    let mut edits = 0;
    for i in 0..r.len().max(h.len()) {
        match (r.get(i), h.get(i)) {
            (Some(a), Some(b)) => match same(a, b) {
                Some(spoken) => {
                    heard.push(true);
                    pairs.push(equal(a.written.clone(), b.written.clone(), spoken));
                }
                None => {
                    heard.push(false);
                    edits += 1;
                    pairs.push(substitute(a, b, &letters(&a.written), &letters(&b.written)));
                }
            },
            (a, b) => {
                if a.is_some() {
                    heard.push(false);
                }
                edits += 1;
                let op = if a.is_some() { Op::Delete } else { Op::Insert };
                pairs.push(unpaired(op, a, b));
            }
        }
    }
    Alignment {
        pairs,
        reference: r,
        heard,
        edits,
    }
}

fn joined(run: &[Unit]) -> String {
    run.iter()
        .map(|u| u.written.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn equal(reference: String, attempt: String, spoken: bool) -> Pair {
    Pair {
        op: Op::Equal,
        reference: Some(reference),
        attempt: Some(attempt),
        spoken,
        letters: None,
    }
}

fn unpaired(op: Op, reference: Option<&Unit>, attempt: Option<&Unit>) -> Pair {
    Pair {
        op,
        reference: reference.map(|u| u.written.clone()),
        attempt: attempt.map(|u| u.written.clone()),
        spoken: false,
        letters: None,
    }
}

fn substitute(a: &Unit, b: &Unit, a_letters: &[(char, &str)], b_letters: &[(char, &str)]) -> Pair {
    Pair {
        op: Op::Substitute,
        reference: Some(a.written.clone()),
        attempt: Some(b.written.clone()),
        spoken: false,
        letters: letter_diff(a_letters, b_letters),
    }
}

/// The letters of a written word with the form they are compared by
/// (lower case, transliterated as the scorer does); punctuation is left out.
fn letters(written: &str) -> Vec<(char, &'static str)> {
    written
        .chars()
        .filter_map(|c| {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let folded = transliterate_char(lower);
            folded
                .chars()
                .any(|f| f.is_ascii_alphanumeric() || f == '\'' || f == '_')
                .then_some((c, folded))
        })
        .collect()
}

/// Letter-level edit table of two words, or `None` when either is too long.
fn letter_table(a: &[(char, &str)], b: &[(char, &str)]) -> Option<Vec<Vec<u16>>> {
    if a.len() > MAX_LETTERS || b.len() > MAX_LETTERS {
        return None;
    }
    let mut d = vec![vec![0u16; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i as u16;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j as u16;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = u16::from(!a[i - 1].1.eq_ignore_ascii_case(b[j - 1].1));
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
        }
    }
    Some(d)
}

/// 0 (same letters) ..= `UNPAIRED` (nothing in common).
fn dissimilarity(a: &[(char, &str)], b: &[(char, &str)]) -> u64 {
    let longest = a.len().max(b.len());
    match letter_table(a, b) {
        Some(d) if longest > 0 => u64::from(d[a.len()][b.len()]) * UNPAIRED / longest as u64,
        _ => UNPAIRED,
    }
}

/// The letters of two words aligned into runs of one operation each.
fn letter_diff(a: &[(char, &str)], b: &[(char, &str)]) -> Option<Vec<Letters>> {
    let d = letter_table(a, b)?;
    let mut steps: Vec<(Op, Option<char>, Option<char>)> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 || j > 0 {
        if i > 0 && j > 0 {
            let equal = a[i - 1].1.eq_ignore_ascii_case(b[j - 1].1);
            if d[i][j] == d[i - 1][j - 1] + u16::from(!equal) {
                let op = if equal { Op::Equal } else { Op::Substitute };
                steps.push((op, Some(a[i - 1].0), Some(b[j - 1].0)));
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && d[i][j] == d[i - 1][j] + 1 {
            steps.push((Op::Delete, Some(a[i - 1].0), None));
            i -= 1;
        } else {
            steps.push((Op::Insert, None, Some(b[j - 1].0)));
            j -= 1;
        }
    }
    steps.reverse();
    let mut runs: Vec<Letters> = Vec::new();
    for (op, x, y) in steps {
        let extend = |s: &mut Option<String>, c: Option<char>| {
            if let Some(c) = c {
                s.get_or_insert_with(String::new).push(c);
            }
        };
        match runs.last_mut() {
            Some(last) if last.op == op => {
                extend(&mut last.reference, x);
                extend(&mut last.attempt, y);
            }
            _ => runs.push(Letters {
                op,
                reference: x.map(String::from),
                attempt: y.map(String::from),
            }),
        }
    }
    Some(runs)
}

#[cfg(test)]
mod tests;
