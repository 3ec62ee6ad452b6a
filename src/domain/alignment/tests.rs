use super::*;

/// One pair, compactly: `=ref/att` equal, `=ref/att*` equal through a
/// spoken form, `~ref/att` substituted, `-ref` missing, `+att` extra.
fn compact(pair: &Pair) -> String {
    let r = pair.reference.as_deref().unwrap_or("");
    let a = pair.attempt.as_deref().unwrap_or("");
    match pair.op {
        Op::Equal if pair.spoken => format!("={r}/{a}*"),
        Op::Equal => format!("={r}/{a}"),
        Op::Substitute => format!("~{r}/{a}"),
        Op::Delete => format!("-{r}"),
        Op::Insert => format!("+{a}"),
    }
}

/// Letters of a substitution, compactly: `[x]` missing, `(x)` extra,
/// `{x>y}` wrong; equal letters as written in the reference.
fn compact_letters(pair: &Pair) -> String {
    let Some(letters) = &pair.letters else {
        return String::new();
    };
    letters
        .iter()
        .map(|l| {
            let r = l.reference.as_deref().unwrap_or("");
            let a = l.attempt.as_deref().unwrap_or("");
            match l.op {
                Op::Equal => r.to_string(),
                Op::Delete => format!("[{r}]"),
                Op::Insert => format!("({a})"),
                Op::Substitute => format!("{{{r}>{a}}}"),
            }
        })
        .collect()
}

fn check(reference: &str, attempt: &str, pairs: &[&str], percentage: i64) {
    let got = align(reference, attempt);
    let compacted: Vec<String> = got.pairs.iter().map(compact).collect();
    assert_eq!(compacted, pairs, "{reference:?} vs {attempt:?}");
    assert_eq!(got.percentage(), percentage, "{reference:?} vs {attempt:?}");
}

// Finnish cases: case endings, compounds, doubled letters, numbers,
// dates, abbreviations, money, extra and missing words.

/// A Finnish case: reference, attempt, compact pairs, percentage.
type Case<'a> = (&'a str, &'a str, &'a [&'a str], i64);

/// Checks every case of a table.
fn check_all(cases: &[Case]) {
    for (reference, attempt, pairs, percentage) in cases {
        check(reference, attempt, pairs, *percentage);
    }
}

/// The contract's examples, and a misspelling next to a missing word.
#[test]
fn contract_examples() {
    check_all(&[
        // Contract examples.
        (
            "Hyvää huomenta!",
            "hyvaa huomenta",
            &["=Hyvää/hyvaa", "=huomenta!/huomenta"],
            100,
        ),
        (
            "Minä asun Helsingissä.",
            "Minä asun nyt Helsingissä.",
            &[
                "=Minä/Minä",
                "=asun/asun",
                "+nyt",
                "=Helsingissä./Helsingissä.",
            ],
            66,
        ),
        // A misspelling next to a missing word: the misspelt word is the substitution.
        (
            "Minä asun Helsingissä nyt.",
            "minä asun helsingisä",
            &[
                "=Minä/minä",
                "=asun/asun",
                "~Helsingissä/helsingisä",
                "-nyt.",
            ],
            50,
        ),
    ]);
}

/// Times and numbers match whether typed as heard or as written, either way round.
#[test]
fn times_and_numbers_match_spoken_or_written() {
    check_all(&[
        // The spoken form of a time and a number, typed as heard.
        (
            "Juna lähtee kello 8.30 raiteelta 5.",
            "juna lähtee kello kahdeksan kolmekymmentä raiteelta viisi",
            &[
                "=Juna/juna",
                "=lähtee/lähtee",
                "=kello/kello",
                "=8.30/kahdeksan kolmekymmentä*",
                "=raiteelta/raiteelta",
                "=5./viisi*",
            ],
            100,
        ),
        // ... and as written.
        (
            "Juna lähtee kello 8.30 raiteelta 5.",
            "juna lähtee kello 8.30 raiteelta 5",
            &[
                "=Juna/juna",
                "=lähtee/lähtee",
                "=kello/kello",
                "=8.30/8.30",
                "=raiteelta/raiteelta",
                "=5./5",
            ],
            100,
        ),
        // The reference in words, the attempt in digits.
        (
            "kello kahdeksan kolmekymmentä",
            "kello 8.30",
            &["=kello/kello", "=kahdeksan kolmekymmentä/8.30*"],
            100,
        ),
        (
            "Minulla on kolme omenaa.",
            "minulla on 3 omenaa",
            &["=Minulla/minulla", "=on/on", "=kolme/3*", "=omenaa./omenaa"],
            100,
        ),
    ]);
}

/// A wrong case ending is a substitution; a numeral with a case ending matches its spoken form.
#[test]
fn case_endings() {
    check_all(&[
        // Case endings.
        (
            "Asun talossa.",
            "asun talosta",
            &["=Asun/asun", "~talossa./talosta"],
            50,
        ),
        (
            "Kissa istuu pöydällä.",
            "kissa pöydälle",
            &["=Kissa/kissa", "-istuu", "~pöydällä./pöydälle"],
            33,
        ),
        (
            "Asun 5:ssä kerroksessa.",
            "asun viidessä kerroksessa",
            &[
                "=Asun/asun",
                "=5:ssä/viidessä*",
                "=kerroksessa./kerroksessa",
            ],
            100,
        ),
    ]);
}

/// A missing doubled consonant or vowel is a substitution.
#[test]
fn doubled_letters() {
    check_all(&[
        // Doubled consonants and vowels.
        (
            "Tapasin tutun kadulla.",
            "tapasin tutun kadula",
            &["=Tapasin/tapasin", "=tutun/tutun", "~kadulla./kadula"],
            66,
        ),
        (
            "Tuuli puhaltaa.",
            "tuli puhaltaa",
            &["~Tuuli/tuli", "=puhaltaa./puhaltaa"],
            50,
        ),
        (
            "Ostin kaksi kirjaa.",
            "ostin kaksi kirja",
            &["=Ostin/ostin", "=kaksi/kaksi", "~kirjaa./kirja"],
            66,
        ),
    ]);
}

/// Hyphenated words and compounds typed apart.
#[test]
fn compounds() {
    check_all(&[
        // Compounds: a hyphenated word is two units; a compound typed apart
        // is a misspelling of the compound plus an extra word.
        (
            "hyvää-päivää",
            "hyvää paivaa",
            &["=hyvää/hyvää", "=päivää/paivaa"],
            100,
        ),
        (
            "Kirjastokortti unohtui.",
            "kirjasto kortti unohtui",
            &["~Kirjastokortti/kirjasto", "+kortti", "=unohtui./unohtui"],
            0,
        ),
    ]);
}

/// Abbreviations match their spoken form.
#[test]
fn abbreviations() {
    check_all(&[
        // Abbreviations.
        (
            "Osta esim. maitoa.",
            "osta esimerkiksi maitoa",
            &["=Osta/osta", "=esim./esimerkiksi*", "=maitoa./maitoa"],
            100,
        ),
        (
            "Tule klo 9.",
            "tule kello yhdeksän",
            &["=Tule/tule", "=klo/kello*", "=9./yhdeksän*"],
            100,
        ),
    ]);
}

/// Dates, years and money match their spoken forms, even across two written words.
#[test]
fn dates_years_and_money() {
    check_all(&[
        // Dates and years.
        (
            "Juhlat ovat 6.12.",
            "juhlat ovat kuudes joulukuuta",
            &["=Juhlat/juhlat", "=ovat/ovat", "=6.12./kuudes joulukuuta*"],
            100,
        ),
        (
            "Vuonna 2025 satoi.",
            "vuonna kaksituhattakaksikymmentäviisi satoi",
            &[
                "=Vuonna/vuonna",
                "=2025/kaksituhattakaksikymmentäviisi*",
                "=satoi./satoi",
            ],
            100,
        ),
        // Money across two written words.
        (
            "Se maksaa 12,50 €.",
            "se maksaa kaksitoista euroa viisikymmentä senttiä",
            &[
                "=Se/se",
                "=maksaa/maksaa",
                "=12,50 €./kaksitoista euroa viisikymmentä senttiä*",
            ],
            100,
        ),
    ]);
}

/// Extra and missing words, down to an empty attempt.
#[test]
fn extra_and_missing_words() {
    check_all(&[
        // Extra and missing words.
        (
            "Hän tuli eilen kotiin.",
            "hän tuli kotiin",
            &["=Hän/hän", "=tuli/tuli", "-eilen", "=kotiin./kotiin"],
            75,
        ),
        (
            "Sataa lunta.",
            "sataa paljon lunta",
            &["=Sataa/sataa", "+paljon", "=lunta./lunta"],
            50,
        ),
        (
            "Hän juoksi nopeasti.",
            "hän juoksi hyvin nopesti",
            &["=Hän/hän", "=juoksi/juoksi", "+hyvin", "~nopeasti./nopesti"],
            33,
        ),
        ("Hei maailma", "", &["-Hei", "-maailma"], 0),
        ("?!", "", &[], 100),
    ]);
}

/// A reordering keeps the words in order; accents and case do not count.
#[test]
fn reordering_accents_and_case() {
    check_all(&[
        // A reordering keeps the two words in order (the legacy score is 0).
        (
            "yksi kaksi kolme",
            "kaksi kolme yksi",
            &["-yksi", "=kaksi/kaksi", "=kolme/kolme", "+yksi"],
            33,
        ),
        // Accents and case do not count, as in the score.
        (
            "Hyvää päivää",
            "HYVAA PAIVAA",
            &["=Hyvää/HYVAA", "=päivää/PAIVAA"],
            100,
        ),
    ]);
}

#[test]
fn substitutions_carry_their_letter_difference() {
    let cases = [
        ("Helsingissä", "helsingisä", "Helsingi[s]sä"),
        ("kadulla", "kadula", "kadu[l]la"),
        ("Tuuli", "tuli", "T[u]uli"),
        ("talossa", "talosta", "talos{s>t}a"),
        ("kirja", "kirjaa", "kirj(a)a"),
        ("pöydällä.", "pöydälle", "pöydäll{ä>e}"),
        ("koulussa", "koulusa", "koulu[s]sa"),
    ];
    for (reference, attempt, want) in cases {
        let got = align(reference, attempt);
        assert_eq!(got.pairs.len(), 1, "{reference} {attempt}");
        assert_eq!(got.pairs[0].op, Op::Substitute);
        assert_eq!(
            compact_letters(&got.pairs[0]),
            want,
            "{reference} {attempt}"
        );
    }
    // Letters keep the written characters of each side.
    let pair = &align("Helsingissä", "HELSINGISÄ").pairs[0];
    let letters = pair.letters.as_ref().unwrap();
    assert_eq!(letters[0].reference.as_deref(), Some("Helsingi"));
    assert_eq!(letters[0].attempt.as_deref(), Some("HELSINGI"));
    assert_eq!(letters[1].op, Op::Delete);
}

#[test]
fn a_text_without_spaces_is_one_unit_and_appears_once() {
    let reference = "北".repeat(10_000);
    let attempt = "京".repeat(10_000);
    let got = align(&reference, &attempt);
    assert_eq!(got.pairs.len(), 1);
    assert_eq!(got.pairs[0].op, Op::Substitute);
    assert!(
        got.pairs[0].letters.is_none(),
        "too long to compare letters"
    );
    // The serialised size is checked in `http::attempts`.
}

#[test]
fn the_response_is_linear_in_the_input() {
    // Many short words on both sides: each written word appears once.
    let reference = "sana ".repeat(900);
    let attempt = "sama ".repeat(900);
    let got = align(&reference, &attempt);
    assert_eq!(got.pairs.len(), 900);
    // The serialised size is checked in `http::attempts`.
}

#[test]
fn huge_inputs_fall_back_to_positions() {
    let long = "sana ".repeat(2_100);
    let got = align(&long, &format!("{long} lisä"));
    assert_eq!(got.pairs.len(), 2_101);
    assert_eq!(got.pairs[2_100].op, Op::Insert);
    assert!(got.pairs[..2_100].iter().all(|p| p.op == Op::Equal));
    assert_eq!(got.edits, 1);
}

#[test]
fn heard_marks_each_reference_unit() {
    let got = align(
        "Juna lähtee kello 8.30 raiteelta 5.",
        "juna kello kahdeksan kolmekymmentä",
    );
    let keys: Vec<&str> = got.reference.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["juna", "lahtee", "kello", "8 30", "raiteelta", "5"]);
    assert_eq!(got.heard, [true, false, true, true, false, false]);
}
