//! Speech on demand through the real server with the tiny deterministic fixture model:
//! OpenAI's `/v1/audio/speech` in every format (decoded back), the batch API and its token,
//! cache hit/miss/304/Range, single-flight, and the WebSocket sessions (ordering, EOS, resume,
//! errors, a client leaving mid-stream).

use std::io::Cursor;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_app_with_engine, TestApp};

/// Samples the fixture model produces for "Hei maailma!" at 16 kHz (0.4 s).
const HEI_SAMPLES: u64 = 6_400;

async fn speech(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/v1/audio/speech", body).await
}

fn openai(format: &str, input: &str) -> Value {
    json!({ "model": "tts-1", "input": input, "voice": "alloy", "response_format": format })
}

async fn stats(app: &TestApp) -> Value {
    app.get("/v1/tts/cache").await.json().await.unwrap()
}

/// Rate and samples of a WAV body, read to its end: a response made now starts with a
/// streaming header (sizes "to the end"), a stored copy says its true sizes.
fn wav(bytes: &[u8]) -> (u32, u32) {
    let r = hound::WavReader::new(Cursor::new(bytes)).expect("valid WAV");
    let data = (bytes.len() - 44) as u32;
    let said = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    assert!(
        said == u32::MAX - 1 || said == data,
        "data size {said} of {data}"
    );
    (r.spec().sample_rate, data / 2)
}

/// A streamed WAV with the true sizes written in, as the cache stores it.
fn with_true_sizes(streamed: &[u8]) -> Vec<u8> {
    let mut out = streamed.to_vec();
    let data = (out.len() - 44) as u32;
    out[4..8].copy_from_slice(&(data + 36).to_le_bytes());
    out[40..44].copy_from_slice(&data.to_le_bytes());
    out
}

fn opus_samples(bytes: &[u8]) -> usize {
    let mut reader = opus_pure::OggOpusReader::new(Cursor::new(bytes.to_vec())).unwrap();
    let head = reader.head().clone();
    let mut decoder = head.decoder(48_000).unwrap();
    let mut trim = opus_pure::Trim::new(&head, 48_000, 1).unwrap();
    let mut pcm = vec![0f32; 5_760];
    let mut total = 0;
    while let Some(packet) = reader.read_packet().unwrap() {
        let n = decoder.decode(&packet.data, 5_760, &mut pcm).unwrap();
        total += trim.keep(&packet, &pcm[..n]).len();
    }
    total
}

fn mp3(bytes: &[u8]) -> (u32, u64) {
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::probe::Hint;
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let mut format = symphonia::default::get_probe()
        .format(&hint, mss, &Default::default(), &Default::default())
        .unwrap()
        .format;
    let params = format.default_track().unwrap().codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .unwrap();
    let (mut rate, mut frames) = (0, 0u64);
    while let Ok(packet) = format.next_packet() {
        let d = decoder.decode(&packet).unwrap();
        rate = d.spec().rate;
        frames += d.frames() as u64;
    }
    (rate, frames)
}

#[tokio::test]
async fn openai_speech_in_every_format_decodes_to_the_model_output() {
    let app = spawn_app_with_engine(&[]).await;
    // 0.4 s at the 24 kHz OpenAI rate.
    let expected_24k = HEI_SAMPLES * 3 / 2;

    let resp = speech(&app, &openai("wav", "Hei maailma!")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    let (rate, n) = wav(&resp.bytes().await.unwrap());
    assert_eq!((rate, u64::from(n)), (24_000, expected_24k));

    let resp = speech(&app, &openai("pcm", "Hei maailma!")).await;
    assert_eq!(resp.status(), 200);
    let pcm = resp.bytes().await.unwrap();
    assert_eq!(pcm.len() as u64, expected_24k * 2);

    let resp = speech(&app, &openai("opus", "Hei maailma!")).await;
    assert_eq!(resp.headers()["content-type"], "audio/ogg");
    let ogg = resp.bytes().await.unwrap();
    assert_eq!(opus_samples(&ogg) as u64, HEI_SAMPLES * 3);

    // mp3 is the default format.
    let resp = speech(
        &app,
        &json!({ "model": "tts-1", "input": "Hei maailma!", "voice": "nova" }),
    )
    .await;
    assert_eq!(resp.headers()["content-type"], "audio/mpeg");
    let (rate, frames) = mp3(&resp.bytes().await.unwrap());
    assert_eq!(rate, 24_000);
    // LAME's encoder delay and last-frame padding come on top (≤ 2 frames of 576).
    assert!(
        (expected_24k..expected_24k + 2_400).contains(&frames),
        "{frames}"
    );
}

async fn openai_error(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    let e = &body["error"];
    assert!(e["message"].is_string() && e["type"].is_string(), "{body}");
    assert!(
        e.get("param").is_some() && e.get("code").is_some(),
        "{body}"
    );
    e.clone()
}

#[tokio::test]
async fn openai_errors_use_openais_shape() {
    let app = spawn_app_with_engine(&[]).await;
    let long = "a".repeat(4_097);
    for (body, param) in [
        (json!({ "model": "tts-1", "voice": "alloy" }), "input"),
        (
            json!({ "model": "tts-1", "input": long, "voice": "alloy" }),
            "input",
        ),
        (
            json!({ "model": "tts-1", "input": "  ", "voice": "alloy" }),
            "input",
        ),
        (json!({ "input": "Hei", "voice": "alloy" }), "model"),
        (json!({ "model": "tts-1", "input": "Hei" }), "voice"),
        (openai("aac", "Hei"), "response_format"),
        (openai("flac", "Hei"), "response_format"),
        (openai("ogg", "Hei"), "response_format"),
        (
            json!({ "model": "tts-1", "input": "Hei", "voice": "alloy", "speed": 4.5 }),
            "speed",
        ),
        (
            json!({ "model": "tts-1", "input": "Hei", "voice": "alloy", "speed": "fast" }),
            "speed",
        ),
        (
            json!({ "model": "tts-1", "input": "Hei", "voice": "alloy", "stream_format": "chunks" }),
            "stream_format",
        ),
        (
            json!({ "model": "tts-1", "input": "Hei", "voice": "alloy", "stream_format": 1 }),
            "stream_format",
        ),
    ] {
        let e = openai_error(speech(&app, &body).await, 400).await;
        assert_eq!(e["param"], param, "{body}");
        assert_eq!(e["type"], "invalid_request_error");
    }
    let resp = app
        .raw(
            reqwest::Method::POST,
            "/v1/audio/speech",
            Some("application/json"),
            "{nope",
        )
        .await;
    openai_error(resp, 400).await;
    // Nothing speakable.
    openai_error(speech(&app, &openai("mp3", "!!! ...")).await, 400).await;

    let no_engine = spawn_app().await;
    let e = openai_error(speech(&no_engine, &openai("mp3", "Hei")).await, 503).await;
    assert_eq!(e["type"], "server_error");
}

/// Speed on the fixture (a layout-(a) export, whose length scale the engine makes an input):
/// what a learner hears gets longer at 0.5 and shorter at 2, at the same pitch (a change of
/// duration, not a resample: the rate stays 24 kHz and the model's frames are repeated).
#[tokio::test]
async fn openai_speed_changes_how_long_the_speech_lasts() {
    let app = spawn_app_with_engine(&[]).await;
    let text = "Junan lähtö viivästyy noin kymmenen minuuttia.";
    let mut seconds = Vec::new();
    for speed in [0.5, 1.0, 2.0] {
        let mut body = openai("wav", text);
        body["speed"] = json!(speed);
        let resp = speech(&app, &body).await;
        assert_eq!(resp.status(), 200);
        let (rate, samples) = wav(&resp.bytes().await.unwrap());
        seconds.push(f64::from(samples) / f64::from(rate));
    }
    eprintln!("seconds at speed 0.5, 1, 2: {seconds:?}");
    assert!(
        seconds[0] > seconds[1] && seconds[1] > seconds[2],
        "{seconds:?}"
    );
}

/// `stream_format: "sse"`: OpenAI's events, whose audio is the same file as without events.
#[tokio::test]
async fn openai_sse_events_carry_the_same_audio() {
    use base64::Engine as _;
    let app = spawn_app_with_engine(&[]).await;
    let text = "Hei maailma!";
    for format in ["wav", "mp3"] {
        let mut body = openai(format, text);
        body["stream_format"] = json!("sse");
        let resp = speech(&app, &body).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let stream = resp.text().await.unwrap();
        let events: Vec<Value> = stream
            .split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
            .collect();
        let (done, deltas) = events.split_last().unwrap();
        assert_eq!(done["type"], "speech.audio.done");
        assert_eq!(done["usage"]["input_tokens"], 12);
        assert_eq!(done["usage"]["output_tokens"], 0);
        assert_eq!(done["usage"]["total_tokens"], 12);
        let mut audio = Vec::new();
        for delta in deltas {
            assert_eq!(delta["type"], "speech.audio.delta");
            let piece = delta["audio"].as_str().unwrap();
            audio.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(piece)
                    .unwrap(),
            );
        }
        let plain = speech(&app, &openai(format, text)).await;
        assert_eq!(
            plain.headers()["content-type"],
            if format == "wav" {
                "audio/wav"
            } else {
                "audio/mpeg"
            }
        );
        if format == "wav" {
            // The events carried the streaming header; the stored file has the true sizes.
            audio = with_true_sizes(&audio);
        }
        assert_eq!(audio, plain.bytes().await.unwrap().to_vec(), "{format}");
    }
    // The default and `audio` are the plain body.
    let mut body = openai("wav", text);
    body["stream_format"] = json!("audio");
    let resp = speech(&app, &body).await;
    assert_eq!(resp.headers()["content-type"], "audio/wav");
}

#[tokio::test]
async fn cache_hit_miss_etag_304_and_range() {
    let app = spawn_app_with_engine(&[]).await;
    let body = openai("wav", "Hyvää huomenta.");
    let first = speech(&app, &body).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-cache"], "miss");
    let weak = first.headers()["etag"].to_str().unwrap().to_string();
    // A WAV made now has a streaming header, so its tag is weak; the stored copy's is strong.
    let etag = weak.strip_prefix("W/").unwrap_or_default().to_string();
    assert_eq!(etag.len(), 66, "quoted SHA-256: {weak}");
    assert!(first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let streamed = first.bytes().await.unwrap();

    let second = speech(&app, &body).await;
    assert_eq!(second.headers()["x-cache"], "hit");
    assert_eq!(second.headers()["etag"], etag.as_str());
    assert_eq!(second.headers()["accept-ranges"], "bytes");
    let first = second.bytes().await.unwrap();
    assert_eq!(first, with_true_sizes(&streamed));
    let s = stats(&app).await;
    assert_eq!(
        (s["hits"].as_u64(), s["misses"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["engine_calls"], 1, "a hit never touches the engine");
    assert_eq!(s["entries"], 1);
    assert_eq!(s["bytes"], first.len());
    let cached: Vec<_> = walk(&app.audio_dir.join("cache"));
    assert_eq!(cached.len(), 1, "{cached:?}");
    // The file on disk has the true sizes too (large clips and restarts are served from it).
    assert_eq!(std::fs::read(&cached[0]).unwrap(), first);

    let revalidate = |tag: String| {
        app.client
            .post(app.url("/v1/audio/speech"))
            .header("if-none-match", tag)
            .json(&body)
            .send()
    };
    let resp = revalidate(etag.clone()).await.unwrap();
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["etag"], etag.as_str());
    assert!(resp.bytes().await.unwrap().is_empty());
    // The weak tag of the streamed response revalidates too (If-None-Match compares weakly).
    let resp = revalidate(weak.clone()).await.unwrap();
    assert_eq!(resp.status(), 304);

    let ranged = |range: &'static str| {
        app.client
            .post(app.url("/v1/audio/speech"))
            .header("range", range)
            .json(&body)
            .send()
    };
    let resp = ranged("bytes=0-99").await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 0-99/{}", first.len()).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap(), first.slice(0..100));
    let resp = ranged("bytes=-10").await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap(), first.slice(first.len() - 10..));
    let resp = ranged("bytes=999999-").await.unwrap();
    assert_eq!(resp.status(), 416);
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes */{}", first.len()).as_str()
    );

    // Anything that changes the bytes is another entry.
    let mut faster = body.clone();
    faster["speed"] = json!(1.5);
    let resp = speech(&app, &faster).await;
    assert_eq!(resp.headers()["x-cache"], "miss");
    assert_ne!(resp.headers()["etag"], etag.as_str());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn concurrent_identical_requests_are_synthesised_once() {
    let app = spawn_app_with_engine(&[]).await;
    let body = openai("mp3", "Tämä on ensimmäinen lause. Ja tämä toinen!");
    let requests = (0..8).map(|_| {
        let (client, url, body) = (
            app.client.clone(),
            app.url("/v1/audio/speech"),
            body.clone(),
        );
        tokio::spawn(async move {
            let resp = client.post(url).json(&body).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap()
        })
    });
    let bodies: Vec<_> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(bodies.iter().all(|b| *b == bodies[0] && !b.is_empty()));
    let s = stats(&app).await;
    assert_eq!(s["misses"], 1, "{s}");
    assert_eq!(
        s["hits"].as_u64().unwrap() + s["coalesced"].as_u64().unwrap(),
        7,
        "{s}"
    );
    assert_eq!(s["engine_calls"], 2, "one synthesis: two sentences, {s}");
}

#[tokio::test]
async fn long_text_streams_sentence_by_sentence_into_one_valid_file() {
    let app = spawn_app_with_engine(&[]).await;
    let text = "Yksi. Kaksi! Kolme? Neljä; viisi.";
    let resp = speech(&app, &openai("pcm", text)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none(), "chunked");
    let mut parts = 0;
    let mut streamed = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        streamed.extend_from_slice(&chunk.unwrap());
        parts += 1;
    }
    assert!(parts >= 1);
    assert_eq!(
        stats(&app).await["engine_calls"],
        5,
        "one call per sentence"
    );
    let cached = speech(&app, &openai("pcm", text)).await;
    assert_eq!(cached.headers()["x-cache"], "hit");
    assert_eq!(cached.bytes().await.unwrap().to_vec(), streamed);
}

#[tokio::test]
async fn synthesize_speech_checks_the_user_token() {
    let app = spawn_app_with_engine(&[("SYNTHESIZE_USER_TOKEN", "s3cret")]).await;
    let body = json!({ "text": "Hei maailma!", "voice": "default" });
    let resp = app.post_json("/synthesizeSpeech", &body).await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .client
        .post(app.url("/synthesizeSpeech"))
        .header("user-token", "wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = app
        .client
        .post(app.url("/synthesizeSpeech"))
        .header("user-token", "s3cret")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    let (rate, n) = wav(&resp.bytes().await.unwrap());
    assert_eq!(
        (rate, u64::from(n)),
        (22_050, HEI_SAMPLES * 22_050 / 16_000)
    );
}

#[tokio::test]
async fn synthesize_speech_without_a_token_and_its_errors() {
    let app = spawn_app_with_engine(&[]).await;
    let resp = app
        .post_json(
            "/synthesizeSpeech",
            &json!({ "text": "Hei maailma!", "format": "mulaw", "sample_rate": 8000 }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/basic");
    assert_eq!(resp.bytes().await.unwrap().len() as u64, HEI_SAMPLES / 2);
    for body in [
        json!({ "voice": "x" }),
        json!({ "text": "" }),
        json!({ "text": "Hei", "format": "aac" }),
        json!({ "text": "Hei", "format": "mp3", "sample_rate": 12345 }),
        json!({ "text": "Hei", "sample_rate": -1 }),
    ] {
        let resp = app.post_json("/synthesizeSpeech", &body).await;
        assert!(
            [400, 422].contains(&resp.status().as_u16()),
            "{body}: {}",
            resp.status()
        );
        let detail: Value = resp.json().await.unwrap();
        assert!(detail["detail"].is_string(), "{detail}");
    }
}

// ------------------------------------------------------------------ sessions

pub async fn create_session(app: &TestApp, body: Value) -> String {
    let resp = app.post_json("/v1/tts/sessions", &body).await;
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "created");
    assert_eq!(
        v["stream_url"],
        format!(
            "/v1/tts/sessions/{}/stream",
            v["session_id"].as_str().unwrap()
        )
        .as_str()
    );
    v["session_id"].as_str().unwrap().to_string()
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(app: &TestApp, id: &str, query: &str) -> Ws {
    let url = format!(
        "{}/v1/tts/sessions/{id}/stream{query}",
        app.address.replace("http://", "ws://")
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

/// (audio chunks as (seq, bytes), final JSON message, close code).
async fn read_all(mut ws: Ws) -> (Vec<(u64, Vec<u8>)>, Value, Option<u16>) {
    use base64::Engine as _;
    let mut chunks = Vec::new();
    let mut last = Value::Null;
    let mut code = None;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(30), ws.next())
        .await
        .unwrap()
    {
        match msg.unwrap() {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "audio" {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(v["data"].as_str().unwrap())
                        .unwrap();
                    chunks.push((v["seq"].as_u64().unwrap(), data));
                } else {
                    last = v;
                }
            }
            Message::Close(frame) => {
                code = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => {}
        }
    }
    (chunks, last, code)
}

#[tokio::test]
async fn session_rest_api_and_validation() {
    let app = spawn_app_with_engine(&[]).await;
    let id = create_session(
        &app,
        json!({ "text": "Hei maailma!", "provider": "local", "voice": null, "sample_rate_hz": 16000, "target_format": "pcm16", "language": "fi" }),
    )
    .await;
    let info: Value = app
        .get(&format!("/v1/tts/sessions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["target_format"], "pcm16");
    assert_eq!(info["sample_rate_hz"], 16000);
    assert!(info.get("text").is_none(), "the text is not echoed");
    assert_eq!(app.get("/v1/tts/sessions/nope").await.status(), 404);
    assert_eq!(app.get("/v1/tts/sessions/nope/stream").await.status(), 404);
    // Not a WebSocket upgrade.
    assert_eq!(
        app.get(&format!("/v1/tts/sessions/{id}/stream"))
            .await
            .status(),
        400
    );

    for body in [
        json!({ "text": "Hei", "sample_rate_hz": 0, "target_format": "pcm16" }),
        json!({ "text": "Hei", "sample_rate_hz": 16000, "target_format": "aac" }),
        json!({ "text": "Hei", "sample_rate_hz": 12345, "target_format": "mp3" }),
        json!({ "text": "Hei", "target_format": "wav" }),
        json!({ "text": " ", "sample_rate_hz": 16000, "target_format": "wav" }),
        json!({ "text": "Hei", "sample_rate_hz": 16000, "target_format": "wav", "provider": "azure" }),
        json!({ "text": "Hei", "sample_rate_hz": 16000, "target_format": "wav", "language": "xx" }),
    ] {
        let resp = app.post_json("/v1/tts/sessions", &body).await;
        assert_eq!(resp.status(), 422, "{body}");
    }
}

#[tokio::test]
async fn websocket_streams_ordered_chunks_then_eos_and_resumes() {
    let app = spawn_app_with_engine(&[]).await;
    // 48 kHz pcm16: 96 KB per second of audio, so several 8 KiB chunks per sentence.
    let id = create_session(
        &app,
        json!({ "text": "Yksi lause. Toinen lause! Kolmas lause?", "sample_rate_hz": 48000, "target_format": "pcm16" }),
    )
    .await;
    let (chunks, eos, code) = read_all(connect(&app, &id, "").await).await;
    assert!(chunks.len() > 3, "{}", chunks.len());
    for (i, (seq, _)) in chunks.iter().enumerate() {
        assert_eq!(*seq, i as u64, "gap-free, strictly increasing");
    }
    let all: Vec<u8> = chunks.iter().flat_map(|(_, d)| d.clone()).collect();
    assert_eq!(eos["type"], "eos");
    assert_eq!(eos["chunks"], chunks.len());
    assert_eq!(eos["bytes"], all.len());
    assert_eq!(eos["cache"], "miss");
    assert_eq!(eos["sample_rate_hz"], 48000);
    assert_eq!(code, Some(1000));
    assert_eq!(all.len() % 2, 0);

    let info: Value = app
        .get(&format!("/v1/tts/sessions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["status"], "completed");
    assert_eq!(info["chunks_sent"], chunks.len());

    // Resume: the same chunks from seq 2 on, now from the cache.
    let (resumed, eos, _) = read_all(connect(&app, &id, "?from_seq=2").await).await;
    assert_eq!(eos["cache"], "hit");
    assert_eq!(resumed.first().map(|c| c.0), Some(2));
    assert_eq!(resumed.as_slice(), &chunks[2..]);

    // Resuming past the end is an error.
    let (none, err, code) = read_all(connect(&app, &id, "?from_seq=9999").await).await;
    assert!(none.is_empty());
    assert_eq!(err["type"], "error");
    assert_eq!(code, Some(4400));
}

#[tokio::test]
async fn websocket_formats_decode() {
    let app = spawn_app_with_engine(&[]).await;
    for (format, rate) in [
        ("opus", 24_000),
        ("mp3", 16_000),
        ("wav", 8_000),
        ("mulaw", 8_000),
    ] {
        let id = create_session(
            &app,
            json!({ "text": "Hei maailma!", "sample_rate_hz": rate, "target_format": format }),
        )
        .await;
        let (chunks, eos, code) = read_all(connect(&app, &id, "").await).await;
        assert_eq!(code, Some(1000), "{format}");
        let all: Vec<u8> = chunks.into_iter().flat_map(|(_, d)| d).collect();
        match format {
            "opus" => {
                assert_eq!(eos["sample_rate_hz"], 48000);
                assert_eq!(opus_samples(&all) as u64, HEI_SAMPLES * 3);
            }
            "mp3" => {
                let (r, frames) = mp3(&all);
                assert_eq!(r, 16_000);
                assert!((HEI_SAMPLES..HEI_SAMPLES + 2_400).contains(&frames));
            }
            "wav" => assert_eq!(wav(&all), (8_000, (HEI_SAMPLES / 2) as u32)),
            _ => assert_eq!(all.len() as u64, HEI_SAMPLES / 2),
        }
    }
}

#[tokio::test]
async fn websocket_reports_errors_with_a_close_code() {
    let app = spawn_app_with_engine(&[]).await;
    let id = create_session(
        &app,
        json!({ "text": "😀 😀", "sample_rate_hz": 16000, "target_format": "pcm16" }),
    )
    .await;
    let (chunks, err, code) = read_all(connect(&app, &id, "").await).await;
    assert!(chunks.is_empty());
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "invalid_request");
    assert_eq!(code, Some(4400));
    let info: Value = app
        .get(&format!("/v1/tts/sessions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["status"], "failed");

    let no_engine = spawn_app().await;
    let id = create_session(
        &no_engine,
        json!({ "text": "Hei", "sample_rate_hz": 16000, "target_format": "pcm16" }),
    )
    .await;
    let (_, err, code) = read_all(connect(&no_engine, &id, "").await).await;
    assert_eq!(err["code"], "unavailable");
    assert_eq!(code, Some(1013));
}

#[tokio::test]
async fn a_client_leaving_mid_stream_leaves_no_broken_state() {
    let app = spawn_app_with_engine(&[]).await;
    // Thirty sentences, one engine call each: far more than the stream
    // buffers, so the reader's leaving is seen long before the end.
    let text = (1..=30)
        .map(|i| format!("Tämä on lause numero {i} tässä."))
        .collect::<Vec<_>>()
        .join(" ");
    let id = create_session(
        &app,
        json!({ "text": text, "sample_rate_hz": 48000, "target_format": "pcm16" }),
    )
    .await;
    let mut ws = connect(&app, &id, "").await;
    let first = ws.next().await.unwrap().unwrap();
    assert!(matches!(first, Message::Text(_)));
    drop(ws);

    // With nobody left listening (and nobody waiting for the same audio)
    // the producer stops instead of synthesising the rest for nobody
    // (issue 17); nothing half-made is cached.
    let mut calls = -1;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = stats(&app).await["engine_calls"].as_i64().unwrap();
        if now == calls {
            break;
        }
        calls = now;
    }
    assert!(calls < 30, "{calls} engine calls for a reader that left");
    assert_eq!(stats(&app).await["entries"], 0);
    // Streaming it again produces it whole, and then it is cached.
    let (chunks, eos, code) = read_all(connect(&app, &id, "").await).await;
    assert_eq!((eos["cache"].as_str(), code), (Some("miss"), Some(1000)));
    assert_eq!(eos["chunks"], chunks.len());
    assert_eq!(stats(&app).await["entries"], 1);
    let (chunks, eos, code) = read_all(connect(&app, &id, "").await).await;
    assert_eq!((eos["cache"].as_str(), code), (Some("hit"), Some(1000)));
    assert_eq!(eos["chunks"], chunks.len());
    assert_eq!(app.get("/health").await.status(), 200);
}
