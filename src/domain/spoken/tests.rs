//! Hand-written expectations: each written sentence next to the spoken form a
//! Finnish speaker would read aloud, as issue 10 requires.

use super::*;

/// Checks every `(written, spoken)` pair and reports all mismatches at once.
fn check(cases: &[(&str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(written, expected)| {
            let actual = to_spoken(written);
            (actual != *expected).then(|| {
                format!("\n  written:  {written}\n  expected: {expected}\n  actual:   {actual}")
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:{}",
        failures.len(),
        failures.concat()
    );
}

#[test]
fn the_issue_example() {
    check(&[
        (
            "Juna lähtee kello 8.30 raiteelta 5.",
            "Juna lähtee kello kahdeksan kolmekymmentä raiteelta viisi.",
        ),
        (
            "Juna lähtee klo 8.30 raiteelta 5.",
            "Juna lähtee kello kahdeksan kolmekymmentä raiteelta viisi.",
        ),
    ]);
}

#[test]
fn the_issue_example_maps_written_tokens_to_spoken_words() {
    let spoken = expand("Juna lähtee klo 8.30 raiteelta 5.");
    let pairs: Vec<(&str, &str)> = spoken
        .segments
        .iter()
        .map(|s| (s.written.as_str(), s.spoken.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("Juna lähtee ", "Juna lähtee "),
            ("klo", "kello"),
            (" ", " "),
            ("8.30", "kahdeksan kolmekymmentä"),
            (" raiteelta ", " raiteelta "),
            ("5", "viisi"),
            (".", "."),
        ]
    );
}

#[test]
fn cardinals_negatives_and_thousands() {
    check(&[
        ("Luokassa on 25 oppilasta.", "Luokassa on kaksikymmentäviisi oppilasta."),
        ("Kaupungissa asuu 10 000 ihmistä.", "Kaupungissa asuu kymmenentuhatta ihmistä."),
        (
            "Asiakkaita oli viime vuonna 1 234 567.",
            "Asiakkaita oli viime vuonna miljoona kaksisataakolmekymmentäneljätuhatta viisisataakuusikymmentäseitsemän.",
        ),
        ("Lotossa on jaossa 1 000 000 euroa.", "Lotossa on jaossa miljoona euroa."),
        ("Tililtä puuttui -250 euroa.", "Tililtä puuttui miinus kaksisataaviisikymmentä euroa."),
        ("Hän luki kirjasta 1234 sivua.", "Hän luki kirjasta tuhat kaksisataakolmekymmentäneljä sivua."),
        ("Bussi 55 ajaa keskustaan.", "Bussi viisikymmentäviisi ajaa keskustaan."),
        ("Kello 7 aamulla herätys soi.", "Kello seitsemän aamulla herätys soi."),
        ("Tulos oli 0 pistettä.", "Tulos oli nolla pistettä."),
        (
            "Soita numeroon 040 123 4567.",
            "Soita numeroon nolla neljä nolla yksi kaksi kolme neljä viisi kuusi seitsemän.",
        ),
        ("Postinumero on 00100 Helsinki.", "Postinumero on nolla nolla yksi nolla nolla Helsinki."),
        ("2 + 2 = 4", "kaksi plus kaksi on neljä"),
    ]);
}

#[test]
fn decimals() {
    check(&[
        ("Keskiarvo oli 3,5.", "Keskiarvo oli kolme pilkku viisi."),
        (
            "Hän on 1,75 metriä pitkä.",
            "Hän on yksi pilkku seitsemänkymmentäviisi metriä pitkä.",
        ),
        (
            "Piin likiarvo on 3,14159.",
            "Piin likiarvo on kolme pilkku yksi neljä yksi viisi yhdeksän.",
        ),
        (
            "Virhe oli vain 0,05 prosenttia.",
            "Virhe oli vain nolla pilkku nolla viisi prosenttia.",
        ),
        (
            "Veden lämpö nousi 0,5 astetta.",
            "Veden lämpö nousi nolla pilkku viisi astetta.",
        ),
    ]);
}

#[test]
fn ordinals() {
    check(&[
        (
            "Joulu on 24. joulukuuta.",
            "Joulu on kahdeskymmenesneljäs joulukuuta.",
        ),
        ("Asun 3. kerroksessa.", "Asun kolmannessa kerroksessa."),
        (
            "Hän sijoittui 2. sijalle.",
            "Hän sijoittui toiselle sijalle.",
        ),
        (
            "Tämä on jo 5. kerta tänä vuonna.",
            "Tämä on jo viides kerta tänä vuonna.",
        ),
        ("Poika käy 1. luokkaa.", "Poika käy ensimmäistä luokkaa."),
        ("Tyttö on 2. luokalla.", "Tyttö on toisella luokalla."),
        (
            "Rakennus on 2. maailmansodan ajalta.",
            "Rakennus on toisen maailmansodan ajalta.",
        ),
        (
            "Hän sai kisassa 21. sijan.",
            "Hän sai kisassa kahdennenkymmenennenensimmäisen sijan.",
        ),
        (
            "Kirjan 3. painos ilmestyi.",
            "Kirjan kolmas painos ilmestyi.",
        ),
        ("Hän tuli 2. maaliin.", "Hän tuli kaksi maaliin."),
        ("Hän oli 3:s kilpailussa.", "Hän oli kolmas kilpailussa."),
        (
            "Luin sarjan 3:nnen kirjan.",
            "Luin sarjan kolmannen kirjan.",
        ),
    ]);
}

#[test]
fn case_endings_and_compounds() {
    check(&[
        ("Asun talossa 5:ssä.", "Asun talossa viidessä."),
        (
            "Vuoden 2025:n budjetti hyväksyttiin.",
            "Vuoden kahdentuhannen kahdenkymmenenviiden budjetti hyväksyttiin.",
        ),
        ("Lapsi on 5-vuotias.", "Lapsi on viisivuotias."),
        (
            "Musiikki oli 1990-luvulla hyvää.",
            "Musiikki oli tuhatyhdeksänsataayhdeksänkymmentäluvulla hyvää.",
        ),
        (
            "Talo on 1800-luvulta.",
            "Talo on tuhatkahdeksansataaluvulta.",
        ),
        ("Ostin A4-paperia.", "Ostin A neljäpaperia."),
    ]);
}

#[test]
fn times() {
    check(&[
        (
            "Tavataan klo 14.15 kahvilassa.",
            "Tavataan kello neljätoista viisitoista kahvilassa.",
        ),
        (
            "Elokuva alkaa 20:45.",
            "Elokuva alkaa kaksikymmentä neljäkymmentäviisi.",
        ),
        ("Kokous alkaa klo 9.00.", "Kokous alkaa kello yhdeksän."),
        ("Bussi lähtee 7.05.", "Bussi lähtee seitsemän nolla viisi."),
        (
            "Lähdemme klo 12.10.",
            "Lähdemme kello kaksitoista kymmenen.",
        ),
        (
            "Maaliaika oli 8:30:15.",
            "Maaliaika oli kahdeksan kolmekymmentä viisitoista.",
        ),
        (
            "Kauppa on auki klo 8–16.",
            "Kauppa on auki kello kahdeksasta kuuteentoista.",
        ),
        (
            "Luento on klo 10.15–11.45.",
            "Luento on kello kymmenestä viidestätoista yhteentoista neljäänkymmeneenviiteen.",
        ),
        (
            "Yöjuna saapuu klo 0.30.",
            "Yöjuna saapuu kello nolla kolmekymmentä.",
        ),
    ]);
}

#[test]
fn dates_and_years() {
    check(&[
        (
            "Tavataan 24.12.2025 kello 18.",
            "Tavataan kahdeskymmenesneljäs joulukuuta kaksituhattakaksikymmentäviisi kello kahdeksantoista.",
        ),
        ("Synnyin 3.5.1990.", "Synnyin kolmas toukokuuta tuhatyhdeksänsataayhdeksänkymmentä."),
        ("Palautus 12.10. mennessä.", "Palautus kahdestoista lokakuuta mennessä."),
        ("Juhlat ovat 6.12.", "Juhlat ovat kuudes joulukuuta."),
        (
            "Lomake saapui 07.05.2025.",
            "Lomake saapui seitsemäs toukokuuta kaksituhattakaksikymmentäviisi.",
        ),
        (
            "Tapahtuma on 1.5. klo 12 torilla.",
            "Tapahtuma on ensimmäinen toukokuuta kello kaksitoista torilla.",
        ),
        (
            "Sopimus päättyy 31.1.26.",
            "Sopimus päättyy kolmaskymmenesensimmäinen tammikuuta kaksikymmentäkuusi.",
        ),
        (
            "Kaupunki perustettiin vuonna 1550.",
            "Kaupunki perustettiin vuonna tuhatviisisataaviisikymmentä.",
        ),
        (
            "Hän syntyi v. 1985 Oulussa.",
            "Hän syntyi vuonna tuhatyhdeksänsataakahdeksankymmentäviisi Oulussa.",
        ),
        (
            "Suomi itsenäistyi vuonna 1917.",
            "Suomi itsenäistyi vuonna tuhatyhdeksänsataaseitsemäntoista.",
        ),
        ("Helmikuussa on 29.2.2024 karkauspäivä.", "Helmikuussa on kahdeskymmenesyhdeksäs helmikuuta kaksituhattakaksikymmentäneljä karkauspäivä."),
    ]);
}

#[test]
fn percentages() {
    check(&[
        ("Alennus on 50 %.", "Alennus on viisikymmentä prosenttia."),
        (
            "Alennus on 50% kaikista tuotteista.",
            "Alennus on viisikymmentä prosenttia kaikista tuotteista.",
        ),
        (
            "Korko nousi 2,5 %.",
            "Korko nousi kaksi pilkku viisi prosenttia.",
        ),
        (
            "Inflaatio oli 1 % viime vuonna.",
            "Inflaatio oli yksi prosentti viime vuonna.",
        ),
        (
            "Veren alkoholipitoisuus oli 0,5 ‰.",
            "Veren alkoholipitoisuus oli nolla pilkku viisi promillea.",
        ),
    ]);
}

#[test]
fn money() {
    check(&[
        (
            "Tuotteen hinta on 12,50 €.",
            "Tuotteen hinta on kaksitoista euroa viisikymmentä senttiä.",
        ),
        (
            "Lippu maksaa 3,50 e.",
            "Lippu maksaa kolme euroa viisikymmentä senttiä.",
        ),
        (
            "Lasku oli 45,90 EUR.",
            "Lasku oli neljäkymmentäviisi euroa yhdeksänkymmentä senttiä.",
        ),
        (
            "Vuokra on 1 200 € kuussa.",
            "Vuokra on tuhat kaksisataa euroa kuussa.",
        ),
        (
            "Karkkipussi maksaa 0,50 €.",
            "Karkkipussi maksaa viisikymmentä senttiä.",
        ),
        (
            "Osake nousi 1,01 € päivässä.",
            "Osake nousi yksi euro yksi sentti päivässä.",
        ),
        ("Pullo maksaa 1 €.", "Pullo maksaa yksi euro."),
        (
            "Kahvi maksaa €2,40.",
            "Kahvi maksaa kaksi euroa neljäkymmentä senttiä.",
        ),
        (
            "Hinta on 12,- € kappaleelta.",
            "Hinta on kaksitoista euroa kappaleelta.",
        ),
        (
            "Hinnat vaihtelevat 10–20 €.",
            "Hinnat vaihtelevat kymmenestä kahteenkymmeneen euroa.",
        ),
        (
            "Hanke maksaa 2,5 milj. euroa.",
            "Hanke maksaa kaksi pilkku viisi miljoonaa euroa.",
        ),
        ("Kirja maksoi 15 $.", "Kirja maksoi viisitoista dollaria."),
    ]);
}

#[test]
fn units() {
    check(&[
        (
            "Juoksin 5 km ja kävelin 1 km.",
            "Juoksin viisi kilometriä ja kävelin yksi kilometri.",
        ),
        ("Ulkona on -5 °C.", "Ulkona on miinus viisi celsiusastetta."),
        ("Pakkasta on -1 °C.", "Pakkasta on miinus yksi celsiusaste."),
        (
            "Lämpötila on 20°C.",
            "Lämpötila on kaksikymmentä celsiusastetta.",
        ),
        (
            "Ostin 2 kg perunoita ja 500 g jauhoja.",
            "Ostin kaksi kilogrammaa perunoita ja viisisataa grammaa jauhoja.",
        ),
        (
            "Lisää 3 dl maitoa ja 1 l vettä.",
            "Lisää kolme desilitraa maitoa ja yksi litra vettä.",
        ),
        (
            "Matka kesti 2 h 15 min.",
            "Matka kesti kaksi tuntia viisitoista minuuttia.",
        ),
        (
            "Hän juoksi 100 m ajassa 10,5 s.",
            "Hän juoksi sata metriä ajassa kymmenen pilkku viisi sekuntia.",
        ),
        (
            "Ajoimme 80 km/h koko matkan.",
            "Ajoimme kahdeksankymmentä kilometriä tunnissa koko matkan.",
        ),
        (
            "Asunto on 75 m².",
            "Asunto on seitsemänkymmentäviisi neliömetriä.",
        ),
        (
            "Lumi oli 30 cm syvää.",
            "Lumi oli kolmekymmentä senttimetriä syvää.",
        ),
        ("Matka on 3–5 km.", "Matka on kolmesta viiteen kilometriä."),
        ("Ostin 6 kpl munia.", "Ostin kuusi kappaletta munia."),
        ("Kirjassa on 300 s.", "Kirjassa on kolmesataa sivua."),
        ("Tuo 1,5 l pullo.", "Tuo yksi pilkku viisi litraa pullo."),
    ]);
}

#[test]
fn abbreviations() {
    check(&[
        (
            "Kaupassa oli n. 50 ihmistä.",
            "Kaupassa oli noin viisikymmentä ihmistä.",
        ),
        ("Odotin n. kaksi tuntia.", "Odotin noin kaksi tuntia."),
        (
            "Ostin omenoita, päärynöitä jne.",
            "Ostin omenoita, päärynöitä ja niin edelleen.",
        ),
        (
            "Ostin omenoita jne. Sitten lähdin.",
            "Ostin omenoita ja niin edelleen. Sitten lähdin.",
        ),
        (
            "Tuo esim. leipää ja maitoa.",
            "Tuo esimerkiksi leipää ja maitoa.",
        ),
        (
            "Esim. tämä lause on lyhyt.",
            "esimerkiksi tämä lause on lyhyt.",
        ),
        ("Ks. sivu 5.", "katso sivu viisi."),
        ("Ks. s. 15.", "katso sivu viisitoista."),
        (
            "Mukana oli mm. Helsinki ja Turku.",
            "Mukana oli muun muassa Helsinki ja Turku.",
        ),
        (
            "Kaupasta saa kyniä, vihkoja yms.",
            "Kaupasta saa kyniä, vihkoja ynnä muuta sellaista.",
        ),
        (
            "Paikalla olivat Virtaset ym.",
            "Paikalla olivat Virtaset ynnä muut.",
        ),
        (
            "Tuo kyniä tms. mukanasi.",
            "Tuo kyniä tai muuta sellaista mukanasi.",
        ),
        ("Se on ns. hyvä idea.", "Se on niin sanottu hyvä idea."),
        (
            "Kiitos avusta!\nT. Liisa",
            "Kiitos avusta!\nterveisin Liisa",
        ),
        (
            "Tavataan huomenna. t. Matti",
            "Tavataan huomenna. terveisin Matti",
        ),
        (
            "Puhuja oli tri Virtanen ja prof. Laine.",
            "Puhuja oli tohtori Virtanen ja professori Laine.",
        ),
        ("Katso § 5.", "Katso pykälä viisi."),
        (
            "Soita: puh. 040 1234567",
            "Soita: puhelin nolla neljä nolla yksi kaksi kolme neljä viisi kuusi seitsemän",
        ),
        (
            "Hän työskentelee Nokia Oyj:ssä? Ei, Kone Oy:llä.",
            "Hän työskentelee Nokia Oyj:ssä? Ei, Kone Oy:llä.",
        ),
        (
            "Suomen Latu ry järjestää retken.",
            "Suomen Latu rekisteröity yhdistys järjestää retken.",
        ),
        (
            "Rooma perustettiin 753 eKr.",
            "Rooma perustettiin seitsemänsataaviisikymmentäkolme ennen kristusta.",
        ),
        ("Matti N. Virtanen tuli.", "Matti N. Virtanen tuli."),
        ("Tom & Jerry", "Tom ja Jerry"),
    ]);
}

#[test]
fn punctuation_and_case_are_kept() {
    check(&[
        (
            "Hinta (n. 20 €) on hyvä!",
            "Hinta (noin kaksikymmentä euroa) on hyvä!",
        ),
        ("\"Klo 9\", hän sanoi.", "\"kello yhdeksän\", hän sanoi."),
        ("Sain 5/10 pistettä.", "Sain viisi / kymmenen pistettä."),
        ("KOKOUS ALKAA KLO 9.", "KOKOUS ALKAA kello yhdeksän."),
        (
            "Versio 1.2.3 julkaistiin.",
            "Versio yksi pilkku kaksi. kolme julkaistiin.",
        ),
        (
            "Tulos: 3-2 kotijoukkueelle.",
            "Tulos: kolmesta kahteen kotijoukkueelle.",
        ),
    ]);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// Tiny deterministic generator (xorshift64*), so the properties need no
/// extra dependency and failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let len = items.len() as u64;
        items[usize::try_from(self.next() % len).unwrap_or(0)]
    }
}

const WORDS: &[&str] = &[
    "Juna",
    "lähtee",
    "kello",
    "raiteelta",
    "Hyvää",
    "huomenta",
    "äiti",
    "öljy",
    "Åbo",
    "kissa",
    "noin",
    "esimerkiksi",
    "terveisin",
    "ja",
    "niin",
    "edelleen",
    "Helsinki",
    "KOULU",
    "päivä",
    "joulukuuta",
    "kerroksessa",
    "vuonna",
    "sivu",
    "e",
    "m",
    "km",
    "s",
    "Oy-yhtiö",
    "klooni",
];

const PUNCTUATION: &[&str] = &[
    " ", " ", " ", ", ", ". ", "! ", "? ", "\n", " - ", " – ", "(", ")", "\"", ": ", "; ",
];

const FRAGMENTS: &[&str] = &[
    "8.30",
    "5.",
    "24.12.2025",
    "3,5",
    "12,50 €",
    "€",
    "-",
    "−",
    "5 km",
    "1 km",
    "klo",
    "esim.",
    "n.",
    "jne.",
    "10 000",
    "2025:n",
    "5-vuotias",
    "3–5",
    "%",
    "50%",
    "°C",
    "040",
    "1.",
    ".",
    ",",
    ":",
    "A4",
    "§",
    "&",
    "+",
    "=",
    "x",
    "12,-",
    "0",
    "99",
    "1 234,5",
    "7.05.",
    "t.",
    "T.",
    "s.",
    "v.",
    "ääkköset",
    "😀",
    "\u{a0}",
    "\u{202f}",
    "9:",
    "12:",
    "3.5.",
    "31.2.",
    "1,",
    "1.2.3",
];

fn assert_segments_cover(text: &str) {
    let spoken = expand(text);
    let written: String = spoken.segments.iter().map(|s| s.written.as_str()).collect();
    let said: String = spoken.segments.iter().map(|s| s.spoken.as_str()).collect();
    assert_eq!(written, text, "written segments must rebuild the input");
    assert_eq!(said, spoken.text, "spoken segments must rebuild the text");
    assert!(
        spoken.segments.iter().all(|s| !s.written.is_empty()),
        "no empty segment in {text:?}"
    );
    assert_eq!(to_spoken(text), spoken.text);
}

#[test]
fn segments_rebuild_input_and_output_for_the_example_sentences() {
    let sentences = [
        "Juna lähtee klo 8.30 raiteelta 5.",
        "Tavataan 24.12.2025 kello 18.",
        "Tuotteen hinta on 12,50 €.",
        "Ostin omenoita, päärynöitä jne.",
        "Ostin A4-paperia.",
        "Sain 5/10 pistettä.",
        "2 + 2 = 4",
        "",
    ];
    for sentence in sentences {
        assert_segments_cover(sentence);
    }
}

#[test]
fn segments_rebuild_input_and_output_for_random_text() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let parts = 1 + rng.next() % 12;
        let mut text = String::new();
        for _ in 0..parts {
            let pool = match rng.next() % 3 {
                0 => WORDS,
                1 => PUNCTUATION,
                _ => FRAGMENTS,
            };
            text.push_str(rng.pick(pool));
        }
        assert_segments_cover(&text);
    }
}

#[test]
fn text_without_digits_or_abbreviations_is_unchanged() {
    let sentences = [
        "Hyvää huomenta!",
        "Juna lähtee kello kahdeksan raiteelta viisi.",
        "Äiti osti öljyä, voita ja leipää.",
        "Mitä kuuluu? Kaikki hyvin, kiitos.",
        "KOULU ALKAA HUOMENNA.",
        "Hän sanoi: \"Tule tänne – heti!\"",
        "Esimerkiksi kissa ja koira.",
        "Kloorin haju oli voimakas.",
        "Matti N. Virtanen asuu Helsingissä.",
        "  Välilyönnit   säilyvät\tsellaisinaan.\n",
        "Tämä on n-kirjain ja t-paita.",
        "",
    ];
    for sentence in sentences {
        let spoken = expand(sentence);
        assert_eq!(spoken.text, sentence);
        assert!(spoken.segments.iter().all(|s| s.written == s.spoken));
    }
}

#[test]
fn random_plain_words_are_unchanged() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..2000 {
        let parts = 1 + rng.next() % 10;
        let mut text = String::new();
        for _ in 0..parts {
            let pool = if rng.next().is_multiple_of(2) {
                WORDS
            } else {
                PUNCTUATION
            };
            text.push_str(rng.pick(pool));
        }
        // The one-letter words of WORDS are units or initials only next to a
        // number or a name; without digits nothing may change.
        assert_eq!(to_spoken(&text), text, "changed: {text:?}");
    }
}

#[test]
fn spoken_form_has_no_digits_left() {
    let cases = [
        "Juna lähtee klo 8.30 raiteelta 5.",
        "Tavataan 24.12.2025 kello 18.",
        "Soita 040 123 4567 tai 09-123 456.",
        "Vuosina 1939–1945 sodittiin.",
        "Sää on -12,5 °C ja tuuli 8 m/s.",
        "Versio 1.2.3 julkaistiin.",
        "Tuote 3D-tulostimesta maksoi €19,99.",
    ];
    for case in cases {
        let text = to_spoken(case);
        assert!(
            !text.chars().any(|c| c.is_ascii_digit()),
            "{case:?} → {text:?}"
        );
    }
}
