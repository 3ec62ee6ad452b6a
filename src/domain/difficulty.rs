//! Difficulty inference for items created without one (contract §4).

/// Level 1..=5 from word and letter counts; the first matching rule wins, and
/// each rule is "few words OR few letters", so short-in-either means easy.
pub fn infer(text: &str) -> i64 {
    let words = text.split_whitespace().count();
    let letters = text.chars().filter(|c| *c != ' ').count();
    if words <= 6 || letters <= 50 {
        1
    } else if words <= 9 || letters <= 80 {
        2
    } else if words <= 12 || letters <= 110 {
        3
    } else if words <= 15 || letters <= 140 {
        4
    } else {
        5
    }
}

#[cfg(test)]
mod tests {
    use super::infer;

    #[test]
    fn short_in_either_measure_is_level_one() {
        assert_eq!(infer("Hyvää huomenta"), 1);
        assert_eq!(infer(&"ab ".repeat(20)), 1);
        assert_eq!(infer(&format!("{} b c d e", "x".repeat(60))), 1);
    }

    #[test]
    fn levels_follow_word_and_letter_bands() {
        let words = |n: usize| vec!["sanaaaaaaaaa"; n].join(" ");
        assert_eq!(infer(&words(7)), 2);
        assert_eq!(infer(&words(10)), 3);
        assert_eq!(infer(&words(13)), 4);
        assert_eq!(infer(&words(16)), 5);
    }

    #[test]
    fn only_ascii_spaces_are_not_letters() {
        // 7 words separated by tabs: tabs count as letters.
        let text = ["abcdefgh"; 7].join("\t");
        assert_eq!(text.chars().filter(|c| *c != ' ').count(), 62);
        assert_eq!(infer(&text), 2);
    }
}
