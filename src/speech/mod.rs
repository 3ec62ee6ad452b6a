//! Speech on demand: one engine call per sentence, encoded as it finishes, streamed to the
//! caller and stored in the [`SpeechCache`] at the end — so the first sentence's audio leaves
//! before the rest is synthesised, and a repeat request is a cache hit that never touches the
//! engine. Concurrent identical requests share one production (the cache's single-flight).
//!
//! The producer runs as its own task feeding a small bounded channel: a slow reader slows the
//! producer (backpressure) for at most the slow-reader limit, after which that reader is cut
//! off and production goes on for the cache and the requests waiting on it — one stalled
//! reader never holds up anyone else (issue 17). When the reader is gone and nobody else
//! waits, production stops. A streamed production is written to a file in the cache as it
//! goes, never held whole in memory; only a clip small enough for the cache's memory tier is
//! also kept in memory.

pub mod cache;
pub mod sessions;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use crate::audio::wav::{self, Patch};
use crate::audio::{AudioFormat, StreamEncoder};
use crate::domain::status::FailureClass;
use crate::speech::cache::{
    canonical_text, CacheError, CachedAudio, Flight, KeyParts, Reuse, SpeechCache, Ticket,
    HOT_MAX_ITEM,
};
use crate::speech::sessions::Sessions;
use crate::tts::provider::{ProviderError, SynthesisRequest, TtsProvider, Urgency};

/// Encoded blocks buffered between the producer and a slow reader.
const CHANNEL_CAPACITY: usize = 4;

/// What to say and how to encode it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechRequest {
    pub text: String,
    pub language: String,
    pub voice: Option<String>,
    pub speed: f32,
    pub format: AudioFormat,
    /// Requested output rate; see [`AudioFormat::output_rate`].
    pub sample_rate: u32,
}

/// Why speech could not be produced. Messages are safe to show (no request text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechError {
    #[error("TTS service not initialized")]
    NoEngine,
    #[error("{0}")]
    BadRequest(String),
    /// The requested voice is not one the engine has.
    #[error("{0}")]
    UnknownVoice(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    Failed(String),
    /// The audio could not be stored for lack of space.
    #[error("{0}")]
    StorageFull(String),
    /// Production stopped because no reader and no waiting request was left.
    #[error("nobody is listening any more")]
    Abandoned,
}

impl From<ProviderError> for SpeechError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::InvalidInput(m) => SpeechError::BadRequest(m),
            ProviderError::UnknownVoice(m) => SpeechError::UnknownVoice(m),
            ProviderError::Unavailable(m) => SpeechError::Unavailable(m),
            ProviderError::TimedOut(m) => SpeechError::TimedOut(m),
            ProviderError::Engine(m) => SpeechError::Failed(m),
        }
    }
}

impl SpeechError {
    /// The class a failed item reports for this error (`tts_error`).
    pub fn failure_class(&self) -> FailureClass {
        match self {
            SpeechError::NoEngine | SpeechError::Unavailable(_) | SpeechError::Abandoned => {
                FailureClass::EngineUnavailable
            }
            SpeechError::BadRequest(_) => FailureClass::UnspeakableText,
            SpeechError::UnknownVoice(_) => FailureClass::UnsupportedVoice,
            SpeechError::TimedOut(_) => FailureClass::EngineTimeout,
            SpeechError::StorageFull(_) => FailureClass::DiskFull,
            SpeechError::Failed(_) => FailureClass::EngineFailed,
        }
    }
}

impl From<CacheError> for SpeechError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::StorageFull(_) => SpeechError::StorageFull(e.to_string()),
            other => SpeechError::Failed(other.to_string()),
        }
    }
}

/// Audio ready to send.
#[derive(Debug)]
pub enum Speech {
    /// A complete cached file (a hit, or produced by a concurrent identical request).
    Cached(CachedAudio),
    /// Being produced now: encoded blocks in order; an `Err` ends the stream.
    Stream {
        key: String,
        chunks: mpsc::Receiver<Result<Bytes, SpeechError>>,
    },
}

/// Cheap-to-clone handle.
#[derive(Debug, Clone)]
pub struct SpeechService {
    cache: SpeechCache,
    provider: Option<Arc<dyn TtsProvider>>,
    /// Engine identity in cache keys (provider kind, model, device).
    engine_label: String,
    tracker: TaskTracker,
    sessions: Sessions,
    engine_calls: Arc<AtomicU64>,
    /// How long a streaming reader may leave a block untaken before it is
    /// cut off (`SPEECH_SLOW_READER_SECONDS`).
    slow_reader: Duration,
}

impl SpeechService {
    pub fn new(
        cache: SpeechCache,
        provider: Option<Arc<dyn TtsProvider>>,
        engine_label: String,
        tracker: TaskTracker,
        slow_reader: Duration,
    ) -> Self {
        SpeechService {
            cache,
            provider,
            engine_label,
            tracker,
            sessions: Sessions::default(),
            engine_calls: Arc::new(AtomicU64::new(0)),
            slow_reader,
        }
    }

    pub fn cache(&self) -> &SpeechCache {
        &self.cache
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Engine calls made by speech on demand since start-up (one per sentence).
    pub fn engine_calls(&self) -> u64 {
        self.engine_calls.load(Ordering::Relaxed)
    }

    /// The cache key (and ETag) of a request, after checking the format can be produced.
    pub fn key(&self, req: &SpeechRequest) -> Result<String, SpeechError> {
        let rate = req
            .format
            .output_rate(req.sample_rate)
            .map_err(|e| SpeechError::BadRequest(e.to_string()))?;
        Ok(KeyParts {
            provider: &self.engine_label,
            voice: req.voice.as_deref().unwrap_or(""),
            language: &req.language,
            speed: req.speed,
            format: req.format,
            sample_rate: rate,
            text: &req.text,
        }
        .key())
    }

    /// Item and task audio: the whole WAV clip of `req` (at the engine's own
    /// rate when `sample_rate` is 0; `format` is ignored) through the same cache, single flight
    /// and sentence-by-sentence production as speech on demand, so a text
    /// spoken once — by a task, an item or `/v1/audio/speech` — is not
    /// synthesised again while its clip is cached.
    /// [`Reuse::Fresh`] makes it anew and replaces the cached clip.
    pub async fn clip(&self, mut req: SpeechRequest, reuse: Reuse) -> Result<Clip, SpeechError> {
        req.format = AudioFormat::Wav;
        let provider = self.provider.clone().ok_or(SpeechError::NoEngine)?;
        let sentences = split_sentences(&canonical_text(&req.text));
        if sentences.is_empty() {
            return Err(SpeechError::BadRequest("input has nothing to speak".into()));
        }
        let parts = KeyParts {
            provider: &self.engine_label,
            voice: req.voice.as_deref().unwrap_or(""),
            language: &req.language,
            speed: req.speed,
            format: req.format,
            sample_rate: req.sample_rate,
            text: &req.text,
        };
        let mut ran_on = None;
        let mut produced = None;
        let mut job = Production {
            provider,
            req: req.clone(),
            sentences,
            tx: None,
            engine_calls: self.engine_calls.clone(),
            slow_reader: self.slow_reader,
        };
        let (produced_here, by) = (&mut produced, &mut ran_on);
        let (audio, hit) = self
            .cache
            .get_or_insert_with(&parts, reuse, || async move {
                let mut bytes = Vec::new();
                let (_, engine) = job.produce(&mut bytes, None).await?;
                *by = engine;
                *produced_here = Some(wav::rate_and_seconds(&bytes));
                Ok::<_, SpeechError>(bytes)
            })
            .await?;
        let reused = hit || produced.is_none();
        // What production measured; a clip made elsewhere is measured from
        // its header (from memory when the cache's memory tier holds it).
        let facts =
            match produced {
                Some(facts) => facts,
                None => {
                    wav::rate_and_seconds(&self.cache.read(&audio).await.map_err(|e| {
                        SpeechError::Failed(format!("cannot read cached audio: {e}"))
                    })?)
                }
            };
        let (sample_rate, seconds) = facts
            .map_err(|e| SpeechError::Failed(format!("synthesised audio is not valid WAV: {e}")))?;
        Ok(Clip {
            audio,
            reused,
            ran_on,
            sample_rate,
            seconds,
        })
    }

    /// The cached audio of `req`, or a stream of it being produced.
    pub async fn speak(&self, req: SpeechRequest) -> Result<Speech, SpeechError> {
        let provider = self.provider.clone().ok_or(SpeechError::NoEngine)?;
        let key = self.key(&req)?;
        let sentences = split_for_stream(&canonical_text(&req.text));
        if sentences.is_empty() {
            return Err(SpeechError::BadRequest("input has nothing to speak".into()));
        }
        loop {
            match self.cache.claim(&key, req.format).await {
                Ticket::Hit(audio) => return Ok(Speech::Cached(audio)),
                Ticket::Follower(rx) => {
                    if let Some(audio) = SpeechCache::wait(rx).await? {
                        return Ok(Speech::Cached(audio));
                    }
                }
                Ticket::Leader(flight) => {
                    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
                    let job = Production {
                        provider,
                        req,
                        sentences,
                        tx: Some(tx),
                        engine_calls: self.engine_calls.clone(),
                        slow_reader: self.slow_reader,
                    };
                    self.tracker.spawn(job.run(flight));
                    return Ok(Speech::Stream { key, chunks: rx });
                }
            }
        }
    }
}

struct Production {
    provider: Arc<dyn TtsProvider>,
    req: SpeechRequest,
    sentences: Vec<String>,
    /// The reader of a streamed response; `None` for whole clips, and once
    /// the reader is gone or cut off.
    tx: Option<mpsc::Sender<Result<Bytes, SpeechError>>>,
    engine_calls: Arc<AtomicU64>,
    slow_reader: Duration,
}

/// A whole clip for item or task audio.
#[derive(Debug, Clone)]
pub struct Clip {
    pub audio: CachedAudio,
    /// Served from the cache (or from a concurrent identical production)
    /// without calling the engine here.
    pub reused: bool,
    /// The engine that spoke, when a fallback chain reports it (fresh clips only).
    pub ran_on: Option<String>,
    pub sample_rate: u32,
    pub seconds: f64,
}

/// Where produced bytes go: memory for item clips (a `Vec`, bounded by the
/// item text limit at the engine's rate), a file in the cache for streamed
/// speech ([`FileSink`], any size).
trait Sink {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), SpeechError>;
    /// Overwrite bytes already written (a WAV's true sizes in its streaming header).
    async fn patch(&mut self, patch: Patch) -> Result<(), SpeechError>;
}

impl Sink for Vec<u8> {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), SpeechError> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    async fn patch(&mut self, patch: Patch) -> Result<(), SpeechError> {
        if patch.apply(self) {
            Ok(())
        } else {
            Err(patched_past_the_end())
        }
    }
}

/// A streamed production's file; the bytes are also kept in memory while
/// the clip stays small enough for the cache's memory tier.
struct FileSink {
    path: PathBuf,
    file: tokio::fs::File,
    size: u64,
    small: Option<Vec<u8>>,
}

fn patched_past_the_end() -> SpeechError {
    SpeechError::Failed("encoder patched past its output".into())
}

fn store_failed(e: std::io::Error) -> SpeechError {
    SpeechError::Failed(format!("cannot store speech: {e}"))
}

impl FileSink {
    async fn create(path: PathBuf) -> Result<FileSink, SpeechError> {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(store_failed)?;
        }
        let file = tokio::fs::File::create(&path).await.map_err(store_failed)?;
        Ok(FileSink {
            path,
            file,
            size: 0,
            small: Some(Vec::new()),
        })
    }

    /// Flush the file to the disk and hand it to the flight.
    async fn complete(mut self, flight: Flight, rate: u32) -> Result<CachedAudio, CacheError> {
        let flushed = async {
            self.file.flush().await?;
            self.file.sync_all().await
        }
        .await;
        drop(self.file);
        match flushed {
            Ok(()) => {
                flight
                    .complete_file(&self.path, self.size, self.small.map(Bytes::from), rate)
                    .await
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&self.path).await;
                Err(flight.fail(format!("cannot store speech: {e}")))
            }
        }
    }

    async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

impl Sink for FileSink {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), SpeechError> {
        self.file.write_all(bytes).await.map_err(store_failed)?;
        self.size += bytes.len() as u64;
        match &mut self.small {
            Some(kept) if kept.len() + bytes.len() <= HOT_MAX_ITEM => kept.extend_from_slice(bytes),
            _ => self.small = None,
        }
        Ok(())
    }

    async fn patch(&mut self, patch: Patch) -> Result<(), SpeechError> {
        if patch.end() > self.size {
            return Err(patched_past_the_end());
        }
        self.file
            .seek(std::io::SeekFrom::Start(patch.at))
            .await
            .map_err(store_failed)?;
        self.file
            .write_all(&patch.bytes)
            .await
            .map_err(store_failed)?;
        self.file
            .seek(std::io::SeekFrom::End(0))
            .await
            .map_err(store_failed)?;
        if let Some(kept) = &mut self.small {
            patch.apply(kept);
        }
        Ok(())
    }
}

impl Production {
    async fn run(mut self, flight: Flight) {
        let mut sink = match FileSink::create(flight.part_path()).await {
            Ok(sink) => sink,
            Err(e) => {
                self.fail(flight, e).await;
                return;
            }
        };
        match self.produce(&mut sink, Some(&flight)).await {
            Ok((rate, _)) => {
                if let Err(e) = sink.complete(flight, rate).await {
                    tracing::error!(error = %e, "cannot store synthesised speech");
                }
            }
            Err(e) => {
                sink.discard().await;
                self.fail(flight, e).await;
            }
        }
    }

    async fn fail(&self, flight: Flight, e: SpeechError) {
        if e == SpeechError::Abandoned {
            // Nobody is listening: the waiters (none) would claim again.
            tracing::debug!(
                key = flight.key(),
                "speech production stopped: no listener left"
            );
            drop(flight);
            return;
        }
        tracing::warn!(error = %e, "speech synthesis failed");
        if let Some(tx) = &self.tx {
            let _ = tx.send(Err(e.clone())).await;
        }
        flight.fail(e.to_string());
    }

    /// Synthesise and encode sentence by sentence into `sink`; returns the rate and the
    /// engine that spoke when a fallback chain says. A requested rate of 0 keeps the
    /// engine's. With a `flight`, production stops once no reader and no follower is left.
    async fn produce(
        &mut self,
        sink: &mut impl Sink,
        flight: Option<&Flight>,
    ) -> Result<(u32, Option<String>), SpeechError> {
        let mut encoder: Option<StreamEncoder> = None;
        let mut ran_on = None;
        let sentences = std::mem::take(&mut self.sentences);
        for (index, sentence) in sentences.iter().enumerate() {
            if let Some(flight) = flight {
                if self.tx.is_none() && !flight.has_followers() {
                    return Err(SpeechError::Abandoned);
                }
            }
            let request = SynthesisRequest {
                text: sentence.clone(),
                language: self.req.language.clone(),
                voice: self.req.voice.clone(),
                speed: self.req.speed,
                // A response (streamed, or awaited by a follower) waits for its first audio;
                // an item's clip waits for nobody.
                urgency: match (flight, index) {
                    (None, _) => Urgency::Background,
                    (Some(_), 0) => Urgency::FirstAudio,
                    (Some(_), _) => Urgency::Streaming,
                },
            };
            self.engine_calls.fetch_add(1, Ordering::Relaxed);
            let audio = self.synthesize(&request, flight).await?;
            if audio.ran_on.is_some() {
                ran_on.clone_from(&audio.ran_on);
            }
            let enc = match encoder.take() {
                Some(enc) => enc,
                None => {
                    let rate = match self.req.sample_rate {
                        0 => audio.sample_rate,
                        rate => rate,
                    };
                    StreamEncoder::new(self.req.format, audio.sample_rate, rate)
                        .map_err(|e| SpeechError::BadRequest(e.to_string()))?
                }
            };
            let (enc, bytes) = blocking(enc, move |enc| enc.push(&audio.samples)).await?;
            encoder = Some(enc);
            self.emit(sink, bytes).await?;
        }
        let enc =
            encoder.ok_or_else(|| SpeechError::BadRequest("input has nothing to speak".into()))?;
        let rate = enc.out_rate();
        let patches = enc.size_patches();
        let bytes = tokio::task::spawn_blocking(move || enc.finish())
            .await
            .map_err(|e| SpeechError::Failed(format!("encoder task: {e}")))?
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
        self.emit(sink, bytes).await?;
        // The reader already has the streaming header; the stored copy gets the true one.
        for patch in patches {
            sink.patch(patch).await?;
        }
        Ok((rate, ran_on))
    }

    /// One engine call that is given up as soon as the reader leaves and no follower waits:
    /// dropping the engine's future takes the piece out of its queue (the local engine's
    /// `Interest`), so the engine's time goes to listeners. Before, a vanished reader's next
    /// piece (and the first piece of a response that had timed out) was synthesised anyway.
    async fn synthesize(
        &mut self,
        request: &SynthesisRequest,
        flight: Option<&Flight>,
    ) -> Result<crate::tts::provider::SynthesizedAudio, SpeechError> {
        let call = self.provider.synthesize(request);
        tokio::pin!(call);
        loop {
            let (Some(tx), Some(flight)) = (&self.tx, flight) else {
                return Ok(call.await?);
            };
            tokio::select! {
                audio = &mut call => return Ok(audio?),
                () = tx.closed() => {
                    self.tx = None;
                    if !flight.has_followers() {
                        return Err(SpeechError::Abandoned);
                    }
                }
            }
        }
    }

    /// Keep the bytes for the cache and offer them to the reader, who may be gone, or too
    /// slow: a reader that leaves a block untaken for the slow-reader limit is cut off (its
    /// stream ends) and production goes on without it.
    async fn emit(&mut self, sink: &mut impl Sink, bytes: Vec<u8>) -> Result<(), SpeechError> {
        if bytes.is_empty() {
            return Ok(());
        }
        sink.write(&bytes).await?;
        if let Some(tx) = &self.tx {
            match tokio::time::timeout(self.slow_reader, tx.send(Ok(Bytes::from(bytes)))).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => self.tx = None,
                Err(_) => {
                    tracing::warn!(
                        limit_s = self.slow_reader.as_secs_f64(),
                        "speech reader too slow; cut off"
                    );
                    self.tx = None;
                }
            }
        }
        Ok(())
    }
}

/// Run CPU-bound encoder work off the async runtime, handing the encoder back.
async fn blocking<F>(enc: StreamEncoder, f: F) -> Result<(StreamEncoder, Vec<u8>), SpeechError>
where
    F: FnOnce(&mut StreamEncoder) -> Result<Vec<u8>, crate::audio::AudioError> + Send + 'static,
{
    let (enc, result) = tokio::task::spawn_blocking(move || {
        let mut enc = enc;
        let r = f(&mut enc);
        (enc, r)
    })
    .await
    .map_err(|e| SpeechError::Failed(format!("encoder task: {e}")))?;
    Ok((enc, result.map_err(|e| SpeechError::Failed(e.to_string()))?))
}

/// Longest piece sent to the engine in one call before clause splitting kicks in.
const MAX_PIECE_CHARS: usize = 100;

/// Split at `. ! ? ;` followed by whitespace (or the end) and at newlines; a sentence longer
/// than [`MAX_PIECE_CHARS`] is further cut after `,`/`:` and its clauses packed greedily, so
/// the first audio of a long sentence leaves after its first clause rather than the whole
/// sentence (speakers pause at those commas anyway). Pieces without a letter or digit (lone
/// punctuation, emoji) are dropped because no engine can speak them.
pub fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in split_at(text, |c, next| {
        c == '\n' || (matches!(c, '.' | '!' | '?' | ';') && next.is_none_or(char::is_whitespace))
    }) {
        if sentence.chars().count() <= MAX_PIECE_CHARS {
            push_piece(&mut out, &sentence);
            continue;
        }
        let mut packed = String::new();
        for clause in split_at(&sentence, |c, next| {
            matches!(c, ',' | ':') && next.is_none_or(char::is_whitespace)
        }) {
            let len = packed.chars().count();
            if len > 0 && len + 1 + clause.chars().count() > MAX_PIECE_CHARS {
                push_piece(&mut out, &packed);
                packed.clear();
            }
            if !packed.is_empty() {
                packed.push(' ');
            }
            packed.push_str(&clause);
        }
        push_piece(&mut out, &packed);
    }
    out
}

/// Trimmed pieces of `text`, each ending where `ends(char, next char)` holds.
fn split_at(text: &str, ends: impl Fn(char, Option<char>) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if ends(c, chars.peek().copied()) {
            out.push(current.trim().to_string());
            current.clear();
        }
    }
    out.push(current.trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

fn push_piece(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if s.chars().any(char::is_alphanumeric) {
        out.push(s.to_string());
    }
}

/// Longest piece a stream produces at once: a clause without punctuation
/// longer than this is cut at words (and a word longer than this, such as
/// text without spaces, into runs), so no engine call — and no block of
/// audio held at once — is for a whole long text. Streams only: item and
/// task clips keep their pieces, so cloud engines are not asked more often.
const MAX_STREAM_PIECE_CHARS: usize = 1_000;

/// [`split_sentences`] with no piece over [`MAX_STREAM_PIECE_CHARS`].
fn split_for_stream(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in split_sentences(text) {
        if piece.chars().count() <= MAX_STREAM_PIECE_CHARS {
            out.push(piece);
            continue;
        }
        let mut packed = String::new();
        let mut packed_len = 0;
        for word in piece.split_whitespace() {
            let chars: Vec<char> = word.chars().collect();
            for run in chars.chunks(MAX_STREAM_PIECE_CHARS) {
                if packed_len > 0 && packed_len + 1 + run.len() > MAX_STREAM_PIECE_CHARS {
                    push_piece(&mut out, &packed);
                    packed.clear();
                    packed_len = 0;
                }
                if packed_len > 0 {
                    packed.push(' ');
                    packed_len += 1;
                }
                packed.extend(run);
                packed_len += run.len();
            }
        }
        push_piece(&mut out, &packed);
    }
    shorten_first_piece(&mut out);
    out
}

/// Longest first piece of a stream. Its listener hears nothing until it is spoken, and while
/// the engine is busy every response's first piece waits for the pieces ahead of it, so a short
/// one brings the first audio sooner (in the 10-minute soak of issue 17 on two cores, a first
/// sentence of up to 250 characters took long enough that responses hit the 30 s request
/// timeout). The cost is a short pause at the cut.
const FIRST_STREAM_PIECE_CHARS: usize = 80;

/// A cut that leaves a first piece shorter than this is not taken (a lone word or two is no
/// faster to the ear than what follows).
const FIRST_STREAM_PIECE_MIN_CHARS: usize = 20;

/// Cuts the first piece after its last `,`/`:` within [`FIRST_STREAM_PIECE_CHARS`], else at its
/// last space within them; a first piece without such a place stays whole.
fn shorten_first_piece(pieces: &mut Vec<String>) {
    let Some(first) = pieces.first() else {
        return;
    };
    if first.chars().count() <= FIRST_STREAM_PIECE_CHARS {
        return;
    }
    let window: Vec<(usize, char)> = first
        .char_indices()
        .take(FIRST_STREAM_PIECE_CHARS + 1)
        .collect();
    // The head keeps a comma or colon it ends at and drops a space; either way it holds at most
    // FIRST_STREAM_PIECE_CHARS characters.
    let cut_after = |wanted: fn(char) -> bool, kept: usize| {
        window
            .iter()
            .enumerate()
            .rev()
            .find(|&(n, &(_, c))| {
                n >= FIRST_STREAM_PIECE_MIN_CHARS
                    && n + kept <= FIRST_STREAM_PIECE_CHARS
                    && wanted(c)
            })
            .map(|(_, &(at, c))| at + c.len_utf8())
    };
    let Some(cut) = cut_after(|c| matches!(c, ',' | ':'), 1)
        .filter(|&at| first[at..].starts_with(char::is_whitespace))
        .or_else(|| cut_after(char::is_whitespace, 0))
    else {
        return;
    };
    let (head, tail) = first.split_at(cut);
    let (head, tail) = (head.trim(), tail.trim());
    if head.chars().any(char::is_alphanumeric) && tail.chars().any(char::is_alphanumeric) {
        let parts = [head.to_owned(), tail.to_owned()];
        pieces.splice(0..1, parts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_stream_piece_is_longer_than_the_limit() {
        let unbroken = "a".repeat(MAX_STREAM_PIECE_CHARS * 3 + 5);
        let words = "sana ".repeat(MAX_STREAM_PIECE_CHARS);
        for text in [unbroken.as_str(), words.as_str()] {
            let pieces = split_for_stream(text);
            assert!(pieces.len() > 1);
            assert!(pieces
                .iter()
                .all(|p| p.chars().count() <= MAX_STREAM_PIECE_CHARS));
            let joined: String = pieces
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let original: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(joined, original);
        }
    }

    #[test]
    fn a_long_first_piece_of_a_stream_is_cut_at_a_comma_or_between_words() {
        let commas = "Aamulla juon kahvia, luen lehden ja kuuntelen radiota, sitten menen töihin bussilla. Hei.";
        assert_eq!(
            split_for_stream(commas),
            [
                "Aamulla juon kahvia, luen lehden ja kuuntelen radiota,",
                "sitten menen töihin bussilla.",
                "Hei."
            ]
        );
        // A comma just past the limit is passed over for a space within it.
        let late = format!(
            "{}, {}",
            "sana ".repeat(16).trim_end(),
            "loppu ".repeat(2).trim_end()
        );
        assert_eq!(
            late.chars().position(|c| c == ','),
            Some(FIRST_STREAM_PIECE_CHARS - 1)
        );
        let pieces = split_for_stream(&late);
        assert!(
            pieces[0].chars().count() <= FIRST_STREAM_PIECE_CHARS,
            "{pieces:?}"
        );
        assert!(pieces[0].ends_with(','), "{pieces:?}");
        let later = format!("x{late}");
        let pieces = split_for_stream(&later);
        assert!(
            pieces[0].chars().count() <= FIRST_STREAM_PIECE_CHARS,
            "{pieces:?}"
        );
        assert_eq!(pieces.join(" "), later);
        let words = "minä asun Helsingissä ja opiskelen suomea kirjastossa joka päivä aamulla ja illalla kun ehdin.";
        let pieces = split_for_stream(words);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert!(pieces[0].chars().count() <= FIRST_STREAM_PIECE_CHARS);
        assert_eq!(pieces.join(" "), words);
        // Only the first piece; short first pieces and unbroken runs stay whole.
        let second_long = format!("Hei. {words}");
        assert_eq!(split_for_stream(&second_long), ["Hei.", words]);
        let unbroken = "a".repeat(FIRST_STREAM_PIECE_CHARS + 10);
        assert_eq!(split_for_stream(&unbroken), [unbroken]);
        // A comma too near the start is passed over for a later space.
        let early = format!("Ah, {}", "sana ".repeat(18).trim_end());
        let pieces = split_for_stream(&early);
        assert!(pieces[0].chars().count() > FIRST_STREAM_PIECE_MIN_CHARS);
        assert_eq!(pieces.join(" "), early);
    }

    #[test]
    fn sentences() {
        assert_eq!(
            split_sentences("Hei! Mitä kuuluu? Hinta on 3.5 euroa. ... 😀"),
            vec!["Hei!", "Mitä kuuluu?", "Hinta on 3.5 euroa."]
        );
        assert!(split_sentences(" !! ").is_empty());
        assert_eq!(split_sentences("yksi\nkaksi"), vec!["yksi", "kaksi"]);
        let long = format!(
            "{}, {}, {}.",
            "a".repeat(60),
            "b".repeat(30),
            "c".repeat(50)
        );
        let pieces = split_sentences(&long);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert_eq!(
            pieces[0],
            format!("{}, {},", "a".repeat(60), "b".repeat(30))
        );
        assert!(pieces.iter().all(|p| p.chars().count() <= MAX_PIECE_CHARS));
    }
}
