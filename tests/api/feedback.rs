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
            { "op": "substitute", "reference": "Helsingissä.", "attempt": "helsingisa" }
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
