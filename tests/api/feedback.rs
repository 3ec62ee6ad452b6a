//! Word-level feedback: the `alignment` of an attempt and the most-missed
//! words (practice-page issue). Scores stay as contract §5 says.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn attempts_carry_a_word_alignment_with_the_words_as_written() {
    let app = spawn_app().await;
    let item = app
        .create_item(json!({ "locale": "fi", "text": "Minä asun Helsingissä." }))
        .await;
    let id = item["id"].as_i64().unwrap();
    let attempt = app.create_attempt(id, "minä asun nyt helsingisa").await;
    // Different lengths: the legacy Levenshtein score.
    assert_eq!(attempt["percentage"], 33);
    assert_eq!(
        attempt["alignment"],
        json!([
            { "op": "equal", "reference": "Minä", "attempt": "minä" },
            { "op": "equal", "reference": "asun", "attempt": "asun" },
            { "op": "insert", "reference": null, "attempt": "nyt" },
            { "op": "substitute", "reference": "Helsingissä.", "attempt": "helsingisa", "letters": [
                { "op": "equal", "reference": "Helsingi", "attempt": "helsingi" },
                { "op": "delete", "reference": "s", "attempt": null },
                { "op": "equal", "reference": "sä", "attempt": "sa" }
            ] }
        ])
    );
    let fetched: Value = app
        .get(&format!("/v1/attempts/{}", attempt["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, attempt);
    // Lists stay as they were.
    let list: Value = app.get("/v1/attempts").await.json().await.unwrap();
    assert!(list["attempts"][0].get("alignment").is_none());
}

#[tokio::test]
async fn a_reordering_scores_zero_but_aligns_the_kept_words() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({ "locale": "fi", "text": "yksi kaksi kolme" }))
        .await["id"]
        .as_i64()
        .unwrap();
    let attempt = app.create_attempt(id, "kaksi kolme yksi").await;
    assert_eq!(attempt["percentage"], 0);
    let ops: Vec<&str> = attempt["alignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["delete", "equal", "equal", "insert"]);
}

#[tokio::test]
async fn most_missed_words_are_counted_across_attempts() {
    let app = spawn_app().await;
    let a = app
        .create_item(json!({ "locale": "fi", "text": "Asun Helsingissä." }))
        .await["id"]
        .as_i64()
        .unwrap();
    let b = app
        .create_item(json!({ "locale": "fi", "text": "Helsingissä sataa." }))
        .await["id"]
        .as_i64()
        .unwrap();
    app.create_attempt(a, "asun helsingisa").await;
    app.create_attempt(a, "asun helsingissä").await;
    app.create_attempt(b, "helsingisä sataa").await;
    app.create_attempt(b, "helsingissä").await;

    let body: Value = app.get("/v1/stats/words").await.json().await.unwrap();
    assert_eq!(body["attempts_considered"], 4);
    assert_eq!(
        body["words"],
        json!([
            { "word": "helsingissä", "missed": 2, "seen": 4 },
            { "word": "sataa", "missed": 1, "seen": 2 }
        ])
    );
    let only_b: Value = app
        .get(&format!("/v1/stats/words?item_id={b}&limit=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(only_b["attempts_considered"], 2);
    assert_eq!(only_b["words"].as_array().unwrap().len(), 1);
    let resp = app.get("/v1/stats/words?limit=0").await;
    assert_eq!(resp.status(), 422);
}

/// The counts are kept between calls, so every change that alters them must
/// show at once: a new attempt, an item's new spoken text, a deleted item.
#[tokio::test]
async fn most_missed_words_follow_every_change() {
    let app = spawn_app().await;
    let a = app
        .create_item(json!({ "locale": "fi", "text": "Asun Helsingissä." }))
        .await["id"]
        .as_i64()
        .unwrap();
    let b = app
        .create_item(json!({ "locale": "fi", "text": "Juna lähtee kello 8.30." }))
        .await["id"]
        .as_i64()
        .unwrap();
    app.create_attempt(a, "asun helsingisa").await;
    app.create_attempt(b, "juna lähtee kello puoli yhdeksän")
        .await;
    let words = |path: String| {
        let app = &app;
        async move {
            let body: Value = app.get(&path).await.json().await.unwrap();
            let counts: Vec<(String, i64, i64)> = body["words"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    let n = |k: &str| w[k].as_i64().unwrap();
                    (
                        w["word"].as_str().unwrap().to_string(),
                        n("missed"),
                        n("seen"),
                    )
                })
                .collect();
            (counts, body["attempts_considered"].as_i64().unwrap())
        }
    };
    let all = || words("/v1/stats/words".to_string());
    let first = all().await;
    assert_eq!(first.1, 2);
    assert!(first.0.contains(&("helsingissä".into(), 1, 1)), "{first:?}");
    assert_eq!(all().await, first, "asked again unchanged");

    app.create_attempt(a, "asun").await;
    let (counts, considered) = all().await;
    assert_eq!(considered, 3);
    assert_eq!(counts[0], ("helsingissä".into(), 2, 2), "{counts:?}");

    // b's audio now says what the learner typed: nothing of b is missed.
    let only_b = || words(format!("/v1/stats/words?item_id={b}"));
    assert!(!only_b().await.0.is_empty());
    let resp = app
        .patch_json(
            &format!("/v1/items/{b}/spoken-text"),
            &json!({ "spoken_text": "juna lähtee kello puoli yhdeksän" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        only_b().await,
        (vec![], 1),
        "counted against the new reading"
    );

    assert_eq!(app.delete(&format!("/v1/items/{a}")).await.status(), 204);
    assert_eq!(all().await, (vec![], 1));
}

/// The learner types what the audio says: the learner-facing score, the
/// alignment and the word statistics agree that nothing was missed, while
/// the contract's exact-text score stays as it was.
#[tokio::test]
async fn a_number_typed_as_heard_is_right_everywhere() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({ "locale": "fi", "text": "Juna lähtee kello 8.30 raiteelta 5." }))
        .await["id"]
        .as_i64()
        .unwrap();
    let attempt = app
        .create_attempt(
            id,
            "juna lähtee kello kahdeksan kolmekymmentä raiteelta viisi",
        )
        .await;
    assert_eq!(attempt["percentage"], 57, "exact-text score unchanged");
    assert_eq!(attempt["words_correct"], 4);
    assert_eq!(attempt["percentage_spoken"], 100);
    let pairs = attempt["alignment"].as_array().unwrap();
    assert!(pairs.iter().all(|p| p["op"] == "equal"), "{attempt}");
    assert_eq!(
        pairs[3],
        json!({ "op": "equal", "reference": "8.30", "attempt": "kahdeksan kolmekymmentä", "spoken": true })
    );
    assert_eq!(pairs.len(), 6);

    let words: Value = app.get("/v1/stats/words").await.json().await.unwrap();
    assert_eq!(words["words"], json!([]), "{words}");
    // The daily chart reads the same score; the contract's shape is kept
    // unless asked.
    let day: Value = app
        .get("/v1/stats/progress?spoken=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(day["progress"][0]["avg_percentage"], 57.0);
    assert_eq!(day["progress"][0]["avg_percentage_spoken"], 100.0);
    let plain: Value = app.get("/v1/stats/progress").await.json().await.unwrap();
    assert!(plain["progress"][0].get("avg_percentage_spoken").is_none());
    assert_eq!(
        app.get("/v1/stats/progress?spoken=maybe").await.status(),
        422
    );

    // A real miss is still counted, under the unit's written form.
    app.create_attempt(id, "juna lähtee kello kahdeksan raiteelta viisi")
        .await;
    let words: Value = app.get("/v1/stats/words").await.json().await.unwrap();
    assert_eq!(
        words["words"],
        json!([{ "word": "8.30", "missed": 1, "seen": 2 }])
    );
}

/// The misspelt word is the substitution, the left-out word is missed.
#[tokio::test]
async fn a_misspelling_next_to_a_missing_word_is_shown_as_such() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({ "locale": "fi", "text": "Minä asun Helsingissä nyt." }))
        .await["id"]
        .as_i64()
        .unwrap();
    let attempt = app.create_attempt(id, "minä asun helsingisä").await;
    assert_eq!(attempt["percentage"], 50);
    assert_eq!(attempt["percentage_spoken"], 50);
    let pairs = attempt["alignment"].as_array().unwrap();
    assert_eq!(pairs[2]["op"], "substitute");
    assert_eq!(pairs[2]["reference"], "Helsingissä");
    assert_eq!(pairs[2]["attempt"], "helsingisä");
    assert_eq!(
        pairs[2]["letters"][1],
        json!({ "op": "delete", "reference": "s", "attempt": null })
    );
    assert_eq!(
        pairs[3],
        json!({ "op": "delete", "reference": "nyt.", "attempt": null })
    );
}

/// Text without spaces is one unit: the response stays the size of the
/// input (it was 600 MB for 10,000 characters each).
#[tokio::test]
async fn an_attempt_response_is_bounded_by_its_input() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({ "locale": "fi", "text": "北".repeat(10_000) }))
        .await["id"]
        .as_i64()
        .unwrap();
    let resp = app
        .post_json(
            "/v1/attempts",
            &json!({ "item_id": id, "text": "京".repeat(10_000) }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body = resp.bytes().await.unwrap();
    assert!(body.len() < 200_000, "{} bytes", body.len());
    let attempt: Value = serde_json::from_slice(&body).unwrap();
    let fetched = app
        .get(&format!("/v1/attempts/{}", attempt["id"]))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(fetched.len() < 200_000, "{} bytes", fetched.len());
    let words = app.get("/v1/stats/words").await.bytes().await.unwrap();
    assert!(words.len() < 200_000, "{} bytes", words.len());
}

/// An item spoken from a custom reading credits the learner who typed it.
#[tokio::test]
async fn a_custom_reading_typed_as_heard_scores_full() {
    let app = spawn_app().await;
    let id = app
        .create_item(json!({
            "locale": "fi",
            "text": "Juna lähtee 8.30.",
            "spoken_text": "juna lähtee puoli yhdeksältä"
        }))
        .await["id"]
        .as_i64()
        .unwrap();
    let attempt = app.create_attempt(id, "juna lähtee puoli yhdeksältä").await;
    assert_eq!(attempt["percentage_spoken"], 100, "{attempt}");
    let written = app.create_attempt(id, "juna lähtee 8.30").await;
    assert_eq!(written["percentage_spoken"], 100, "{written}");
}
