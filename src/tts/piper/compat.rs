//! Bridges between the `espeak-ng` crate (a port of espeak-ng 1.51) and the espeak-ng that
//! `piper-tts` bundles (1.52-dev), for English voices.
//!
//! Why: the voice was trained on the newer espeak's phonemes, and the golden test against
//! Piper's own phonemiser showed two systematic differences, both English-only rules of the
//! newer data:
//! * years 1901–1999 are read "nineteen hundred ninety nine" (the port reads "one thousand nine
//!   hundred …" except for round hundreds): the text is rewritten `1999` → `1900 99`, which the
//!   port speaks exactly as Piper does;
//! * a word-final `i`, `iː` or `ɪ` before a vowel-initial word gets the linking `ʲ`
//!   (`θɹˈiːʲ ˈæpəlz`), espeak's `IfNextVowelAppend(;)`.
//!
//! Known remaining differences (not in the golden set, found by probing): stress of a few
//! function words (`we are` → piper `wiːʲ ɑːɹ`, the port `wiː ˈɑːɹ`) and `I am` joined into
//! `aɪˈæm`. They change prosody slightly, not intelligibility.

/// Whether the rules apply to an espeak voice.
pub fn applies(espeak_voice: &str) -> bool {
    espeak_voice.to_ascii_lowercase().starts_with("en")
}

/// `1999` → `1900 99` for four-digit runs 1901–1999 not next to other digits.
pub fn rewrite_years(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        match run.parse::<u32>() {
            Ok(year) if run.len() == 4 && (1901..=1999).contains(&year) => {
                out.push_str("1900 ");
                out.push_str(&(year - 1900).to_string());
            }
            _ => out.push_str(&run),
        }
    }
    out
}

/// Adds the linking `ʲ` between a word ending in an i-vowel and a vowel-initial word.
pub fn link_vowels(ipa: &str) -> String {
    let words: Vec<&str> = ipa.split(' ').collect();
    let mut out = String::with_capacity(ipa.len() + 4);
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word);
        let next_starts_with_vowel = words
            .get(index + 1)
            .and_then(|next| next.chars().find(|c| !matches!(c, 'ˈ' | 'ˌ')))
            .is_some_and(is_vowel);
        if ends_in_i_vowel(word) && next_starts_with_vowel {
            out.push('ʲ');
        }
    }
    out
}

/// `i`, `iː`, or an `ɪ` that is not the end of a diphthong (`aɪ`, `eɪ`, `ɔɪ`).
fn ends_in_i_vowel(word: &str) -> bool {
    if word.ends_with('i') || word.ends_with("iː") {
        return true;
    }
    let mut rev = word.chars().rev();
    rev.next() == Some('ɪ') && !rev.next().is_some_and(is_vowel)
}

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'æ'
            | 'ɐ'
            | 'ɑ'
            | 'ɒ'
            | 'ɔ'
            | 'ə'
            | 'ɚ'
            | 'ɛ'
            | 'ɜ'
            | 'ɝ'
            | 'ɪ'
            | 'ʊ'
            | 'ʌ'
            | 'ᵻ'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_of_the_1900s_only() {
        assert_eq!(
            rewrite_years("in 1999, 1905 and 1900; 1800 2024 19999 1999.5"),
            "in 1900 99, 1900 5 and 1900; 1800 2024 19999 1900 99.5"
        );
    }

    #[test]
    fn linking_yod_before_vowels() {
        assert_eq!(link_vowels("θɹˈiː ˈæpəlz"), "θɹˈiːʲ ˈæpəlz");
        assert_eq!(link_vowels("ðɪ ˈɛnd"), "ðɪʲ ˈɛnd");
        assert_eq!(link_vowels("hˈæpi dˈeɪ"), "hˈæpi dˈeɪ");
        assert_eq!(link_vowels("sˈiː"), "sˈiː");
        assert_eq!(link_vowels("aɪ ˈæm"), "aɪ ˈæm");
    }
}
