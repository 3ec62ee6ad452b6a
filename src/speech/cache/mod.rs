//! The content-addressed speech cache: one file per key under `AUDIO_DIR/cache/`, written
//! atomically; an index table (size, last access) for size- and age-bounded eviction; hit/miss
//! counters; and single-flight, so N concurrent identical requests run one synthesis.
//!
//! Why the hit path does not read the database: the file path follows from the key, so a hit
//! is one `stat` plus the read, and the last-access update is throttled and done in the
//! background. The API is generic over what produces the bytes ([`SpeechCache::get_or_insert_with`]),
//! so the item/task pipeline can use the same cache; the streaming endpoints use the
//! lower-level [`SpeechCache::claim`] to send bytes while they are produced.

pub mod hot;
pub mod key;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::watch;

use crate::audio::AudioFormat;
use crate::db::audio_cache as index;
use crate::db::Db;
use crate::domain::timestamp::unix_now;
use crate::files::atomic::write_atomic;
use hot::HotSet;
pub use hot::HOT_MAX_ITEM;

/// Distinct names for files being produced.
static PART_COUNTER: AtomicU64 = AtomicU64::new(0);
pub use key::{canonical_text, KeyParts};

/// How much the cache may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Total bytes of cached files (`AUDIO_CACHE_MAX_BYTES`).
    pub max_bytes: u64,
    /// Entries unused for longer are removed (`AUDIO_CACHE_MAX_AGE_DAYS`).
    pub max_age: Duration,
}

/// Whether a stored clip may answer a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// A stored clip is a hit.
    Cached,
    /// Produce anew and replace the stored clip (an audio refresh, which
    /// the contract says always synthesises).
    Fresh,
}

/// A cached clip on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAudio {
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
}

/// Why the cache could not deliver.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CacheError {
    /// Producing the audio failed (the producer's message, safe to show).
    #[error("{0}")]
    Produce(String),
    /// Storing the audio failed.
    #[error("cache storage failed: {0}")]
    Storage(String),
    /// Storing the audio failed for lack of space.
    #[error("cache storage failed: {0}")]
    StorageFull(String),
}

impl CacheError {
    fn io(e: std::io::Error) -> Self {
        if crate::files::is_storage_full(&e) {
            CacheError::StorageFull(e.to_string())
        } else {
            CacheError::Storage(e.to_string())
        }
    }
}

/// Counters since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
    /// Requests that waited for another request's synthesis instead of starting one.
    pub coalesced: u64,
    pub evictions: u64,
}

type FlightResult = Option<Result<CachedAudio, CacheError>>;

/// The result of [`SpeechCache::claim`]: what a caller holds for a key
/// (named apart from a worker's `tts_tasks::Claim` on a task row).
#[derive(Debug)]
pub enum Ticket {
    /// Already cached.
    Hit(CachedAudio),
    /// Nobody is producing this key: the caller must, then call [`Flight::complete`].
    Leader(Flight),
    /// Another request is producing it; [`SpeechCache::wait`] for the result.
    Follower(watch::Receiver<FlightResult>),
}

/// Interval between last-access updates of one entry, and between background sweeps.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    db: Db,
    limits: CacheLimits,
    flights: Mutex<HashMap<String, watch::Sender<FlightResult>>>,
    /// Recently used clips in memory, so a hot hit needs no file system call (sharded and
    /// locked inside, hence no `Mutex` here).
    hot: HotSet,
    touched: Mutex<HashMap<String, Instant>>,
    last_sweep: Mutex<Option<Instant>>,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    evictions: AtomicU64,
}

/// Cheap-to-clone handle to the cache.
#[derive(Debug, Clone)]
pub struct SpeechCache {
    inner: Arc<Inner>,
}

impl SpeechCache {
    /// A cache storing files under `audio_dir/cache/`.
    pub fn new(audio_dir: &Path, db: Db, limits: CacheLimits) -> Self {
        SpeechCache {
            inner: Arc::new(Inner {
                dir: audio_dir.join("cache"),
                db,
                limits,
                flights: Mutex::new(HashMap::new()),
                hot: HotSet::new(hot::HOT_MAX_BYTES),
                touched: Mutex::new(HashMap::new()),
                last_sweep: Mutex::new(None),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                coalesced: AtomicU64::new(0),
                evictions: AtomicU64::new(0),
            }),
        }
    }

    pub fn counters(&self) -> CacheCounters {
        let i = &self.inner;
        CacheCounters {
            hits: i.hits.load(Ordering::Relaxed),
            misses: i.misses.load(Ordering::Relaxed),
            coalesced: i.coalesced.load(Ordering::Relaxed),
            evictions: i.evictions.load(Ordering::Relaxed),
        }
    }

    /// (entries, bytes) according to the index.
    pub async fn totals(&self) -> Result<(i64, i64), sqlx::Error> {
        index::totals(&self.inner.db.reader).await
    }

    /// Where the file of `key` lives (two-character fan-out keeps directories small).
    pub fn path_for(&self, key: &str, format: AudioFormat) -> PathBuf {
        let fan = key.get(..2).unwrap_or("00");
        self.inner
            .dir
            .join(fan)
            .join(format!("{key}.{}", format.extension()))
    }

    fn hot(&self) -> &HotSet {
        &self.inner.hot
    }

    /// The clip's bytes if they are in memory (no disk access).
    pub fn in_memory(&self, audio: &CachedAudio) -> Option<Bytes> {
        self.hot().get(&audio.key)
    }

    /// The bytes of a cached clip: from memory when hot, else read from disk (and kept hot).
    pub async fn read(&self, audio: &CachedAudio) -> std::io::Result<Bytes> {
        if let Some(bytes) = self.hot().get(&audio.key) {
            return Ok(bytes);
        }
        let bytes = Bytes::from(tokio::fs::read(&audio.path).await?);
        self.hot().insert(&audio.key, bytes.clone());
        Ok(bytes)
    }

    /// The cached clip of `key`, if present. Counts nothing.
    pub async fn lookup(&self, key: &str, format: AudioFormat) -> Option<CachedAudio> {
        let path = self.path_for(key, format);
        if let Some(bytes) = self.hot().get(key) {
            return Some(CachedAudio {
                key: key.to_string(),
                path,
                size: bytes.len() as u64,
            });
        }
        let meta = tokio::fs::metadata(&path).await.ok()?;
        meta.is_file().then(|| CachedAudio {
            key: key.to_string(),
            path,
            size: meta.len(),
        })
    }

    /// Look up `key`; on a miss, become the single producer or join the one running.
    pub async fn claim(&self, key: &str, format: AudioFormat) -> Ticket {
        self.claim_as(key, format, Reuse::Cached).await
    }

    /// [`claim`](Self::claim); with [`Reuse::Fresh`] a stored clip is not
    /// a hit: the caller produces (or joins a production running now) and
    /// its clip replaces the stored one.
    async fn claim_as(&self, key: &str, format: AudioFormat, reuse: Reuse) -> Ticket {
        if reuse == Reuse::Cached {
            if let Some(hit) = self.lookup(key, format).await {
                self.record_hit(key);
                return Ticket::Hit(hit);
            }
        }
        let mut flights = match self.inner.flights.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(tx) = flights.get(key) {
            self.inner.coalesced.fetch_add(1, Ordering::Relaxed);
            return Ticket::Follower(tx.subscribe());
        }
        // A leader may have finished between the lookup and the lock: it fills the hot set
        // before leaving `flights`, so look there again rather than synthesise twice.
        if let Some(bytes) = self.hot().get(key).filter(|_| reuse == Reuse::Cached) {
            drop(flights);
            self.record_hit(key);
            return Ticket::Hit(CachedAudio {
                key: key.to_string(),
                path: self.path_for(key, format),
                size: bytes.len() as u64,
            });
        }
        let (tx, _rx) = watch::channel(None);
        flights.insert(key.to_string(), tx);
        drop(flights);
        self.inner.misses.fetch_add(1, Ordering::Relaxed);
        Ticket::Leader(Flight {
            cache: self.clone(),
            key: key.to_string(),
            format,
            done: false,
        })
    }

    /// Wait for the leader of a flight. `Ok(None)`: the leader gave up without a result
    /// (e.g. it was cancelled); claim again.
    pub async fn wait(
        mut rx: watch::Receiver<FlightResult>,
    ) -> Result<Option<CachedAudio>, CacheError> {
        match rx.wait_for(Option::is_some).await {
            Ok(value) => match value.clone() {
                Some(Ok(audio)) => Ok(Some(audio)),
                Some(Err(e)) => Err(e),
                None => Ok(None),
            },
            Err(_) => Ok(None),
        }
    }

    /// The whole-clip API: the cached clip of `parts`, produced by `produce` (once, however
    /// many callers ask concurrently) on a miss. Returns the clip and whether it was a hit.
    /// The producer's own error reaches the caller unchanged; callers
    /// waiting on the same flight get its message.
    pub async fn get_or_insert_with<F, Fut, E>(
        &self,
        parts: &KeyParts<'_>,
        reuse: Reuse,
        produce: F,
    ) -> Result<(CachedAudio, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<u8>, E>>,
        E: From<CacheError> + std::fmt::Display,
    {
        let key = parts.key();
        let mut produce = Some(produce);
        loop {
            match self.claim_as(&key, parts.format, reuse).await {
                Ticket::Hit(audio) => return Ok((audio, true)),
                Ticket::Follower(rx) => {
                    if let Some(audio) = Self::wait(rx).await? {
                        return Ok((audio, false));
                    }
                }
                Ticket::Leader(flight) => {
                    let Some(produce) = produce.take() else {
                        return Err(CacheError::Produce("producer already used".into()).into());
                    };
                    return match produce().await {
                        Ok(bytes) => Ok((flight.complete(&bytes, parts.sample_rate).await?, false)),
                        Err(e) => {
                            flight.fail(e.to_string());
                            Err(e)
                        }
                    };
                }
            }
        }
    }

    fn record_hit(&self, key: &str) {
        self.inner.hits.fetch_add(1, Ordering::Relaxed);
        let due = {
            let mut touched = match self.inner.touched.lock() {
                Ok(t) => t,
                Err(p) => p.into_inner(),
            };
            let now = Instant::now();
            match touched.get(key) {
                Some(at) if now.duration_since(*at) < TOUCH_EVERY => false,
                _ => {
                    if touched.len() > 10_000 {
                        touched.clear();
                    }
                    touched.insert(key.to_string(), now);
                    true
                }
            }
        };
        if due {
            let cache = self.clone();
            let key = key.to_string();
            tokio::spawn(async move {
                if let Ok(mut conn) = cache.inner.db.acquire_write().await {
                    if let Err(e) = index::touch(&mut conn, &key, unix_now()).await {
                        tracing::warn!(error = %e, "cannot update cache access time");
                    }
                }
                cache.sweep_if_due().await;
            });
        }
    }

    async fn sweep_if_due(&self) {
        let due = {
            let mut last = match self.inner.last_sweep.lock() {
                Ok(l) => l,
                Err(p) => p.into_inner(),
            };
            let now = Instant::now();
            match *last {
                Some(at) if now.duration_since(at) < TOUCH_EVERY => false,
                _ => {
                    *last = Some(now);
                    true
                }
            }
        };
        if due {
            self.evict().await;
        }
    }

    /// Remove entries older than the age limit, then the least recently used ones until the
    /// total fits the size limit. Errors are logged: eviction must never fail a request.
    pub async fn evict(&self) {
        self.evict_sparing(None).await;
    }

    /// [`evict`](Self::evict), keeping `spared` (a clip just produced, which its requester
    /// has not used yet: with a size limit below one clip it would otherwise vanish before
    /// a task could link it). The total may exceed the limit by that clip until the next
    /// eviction.
    async fn evict_sparing(&self, spared: Option<&str>) {
        if let Err(e) = self.try_evict(spared).await {
            tracing::warn!(error = %e, "audio cache eviction failed");
        }
    }

    async fn try_evict(&self, spared: Option<&str>) -> Result<(), sqlx::Error> {
        let limits = self.inner.limits;
        let cutoff = unix_now().saturating_sub(limits.max_age.as_secs() as i64);
        let old = index::older_than(&self.inner.db.reader, cutoff).await?;
        for row in old {
            self.remove(&row).await?;
        }
        loop {
            let (_, bytes) = index::totals(&self.inner.db.reader).await?;
            if bytes as u64 <= limits.max_bytes {
                return Ok(());
            }
            let mut excess = bytes as u64 - limits.max_bytes;
            let victims = index::least_recent(&self.inner.db.reader, 64).await?;
            let mut removed = false;
            for row in victims {
                if excess == 0 {
                    break;
                }
                if spared == Some(row.cache_key.as_str()) {
                    continue;
                }
                excess = excess.saturating_sub(row.size_bytes.max(0) as u64);
                self.remove(&row).await?;
                removed = true;
            }
            if !removed {
                return Ok(());
            }
        }
    }

    async fn remove(&self, row: &index::CacheRow) -> Result<(), sqlx::Error> {
        self.hot().remove(&row.cache_key);
        match tokio::fs::remove_file(&row.path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "cannot delete a cached audio file"),
        }
        let mut conn = self.inner.db.acquire_write().await?;
        index::delete(&mut conn, &row.cache_key).await?;
        self.inner.evictions.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn end_flight(&self, key: &str, result: Result<CachedAudio, CacheError>) {
        let mut flights = match self.inner.flights.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        if let Some(tx) = flights.remove(key) {
            tx.send_replace(Some(result));
        }
    }
}

/// The right (and duty) to produce one key. Dropping it without completing releases the
/// waiters, who then claim again.
#[derive(Debug)]
pub struct Flight {
    cache: SpeechCache,
    key: String,
    format: AudioFormat,
    done: bool,
}

impl Flight {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether other requests are waiting for this flight's result.
    pub fn has_followers(&self) -> bool {
        let flights = match self.cache.inner.flights.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        flights
            .get(&self.key)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// A file to produce this flight's audio into, on the cache's own
    /// filesystem (so [`Flight::complete_file`] can rename it into place):
    /// a long clip is never held in memory whole.
    pub fn part_path(&self) -> PathBuf {
        let n = PART_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.cache
            .inner
            .dir
            .join(format!(".{}.{}.{n}.part", self.key, std::process::id()))
    }

    /// Store a produced file (already flushed to disk) as this flight's
    /// audio: rename it into place, index it, keep `small` (its bytes, when
    /// the clip is small enough for the hot set) in memory, wake the waiters.
    pub async fn complete_file(
        mut self,
        part: &Path,
        size: u64,
        small: Option<Bytes>,
        sample_rate: u32,
    ) -> Result<CachedAudio, CacheError> {
        self.done = true;
        let result = self.store_file(part, size, small, sample_rate).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(part).await;
        }
        self.cache.end_flight(&self.key, result.clone());
        if result.is_ok() {
            self.cache.evict_sparing(Some(&self.key)).await;
        }
        result
    }

    async fn store_file(
        &self,
        part: &Path,
        size: u64,
        small: Option<Bytes>,
        sample_rate: u32,
    ) -> Result<CachedAudio, CacheError> {
        let storage = CacheError::io;
        let path = self.cache.path_for(&self.key, self.format);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(storage)?;
        }
        tokio::fs::rename(part, &path).await.map_err(storage)?;
        if let Some(bytes) = small {
            self.cache.hot().insert(&self.key, bytes);
        }
        self.index(&path, size, sample_rate).await
    }

    async fn index(
        &self,
        path: &Path,
        size: u64,
        sample_rate: u32,
    ) -> Result<CachedAudio, CacheError> {
        let storage = |e: sqlx::Error| CacheError::Storage(e.to_string());
        let mut conn = self.cache.inner.db.acquire_write().await.map_err(storage)?;
        index::upsert(
            &mut conn,
            &self.key,
            &path.display().to_string(),
            self.format.as_str(),
            i64::from(sample_rate),
            i64::try_from(size).unwrap_or(i64::MAX),
            unix_now(),
        )
        .await
        .map_err(storage)?;
        Ok(CachedAudio {
            key: self.key.clone(),
            path: path.to_path_buf(),
            size,
        })
    }

    /// Store the produced bytes, index them, wake the waiters, and evict if over the limits.
    pub async fn complete(
        mut self,
        bytes: &[u8],
        sample_rate: u32,
    ) -> Result<CachedAudio, CacheError> {
        self.done = true;
        let result = self.store(bytes, sample_rate).await;
        self.cache.end_flight(&self.key, result.clone());
        if result.is_ok() {
            self.cache.evict_sparing(Some(&self.key)).await;
        }
        result
    }

    /// Report a failed production to the waiters; returns the error for the caller.
    pub fn fail(mut self, message: String) -> CacheError {
        self.done = true;
        let err = CacheError::Produce(message);
        self.cache.end_flight(&self.key, Err(err.clone()));
        err
    }

    async fn store(&self, bytes: &[u8], sample_rate: u32) -> Result<CachedAudio, CacheError> {
        let path = self.cache.path_for(&self.key, self.format);
        write_atomic(&path, bytes).await.map_err(CacheError::io)?;
        self.cache
            .hot()
            .insert(&self.key, Bytes::copy_from_slice(bytes));
        self.index(&path, bytes.len() as u64, sample_rate).await
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if !self.done {
            let mut flights = match self.cache.inner.flights.lock() {
                Ok(f) => f,
                Err(p) => p.into_inner(),
            };
            // Dropping the sender closes the channel: waiters see "no result" and retry.
            flights.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSettings;
    use std::sync::atomic::AtomicUsize;

    async fn cache(dir: &Path, limits: CacheLimits) -> SpeechCache {
        let db = Db::connect(&DatabaseSettings {
            backend: crate::config::DatabaseBackend::Sqlite(dir.join("db.sqlite")),
            read_connections: 2,
        })
        .await
        .unwrap();
        SpeechCache::new(dir, db, limits)
    }

    fn parts(text: &str) -> KeyParts<'_> {
        KeyParts {
            provider: "test",
            voice: "",
            language: "fi",
            speed: 1.0,
            format: AudioFormat::Pcm16,
            sample_rate: 16_000,
            text,
        }
    }

    const ROOMY: CacheLimits = CacheLimits {
        max_bytes: 1 << 30,
        max_age: Duration::from_secs(86_400),
    };

    #[tokio::test]
    async fn concurrent_identical_requests_produce_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), ROOMY).await;
        let calls = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..16 {
            let (cache, calls) = (cache.clone(), calls.clone());
            joins.push(tokio::spawn(async move {
                cache
                    .get_or_insert_with(&parts("Hei"), Reuse::Cached, || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok::<_, CacheError>(vec![1u8; 1000])
                    })
                    .await
                    .unwrap()
            }));
        }
        for j in joins {
            let (audio, _) = j.await.unwrap();
            assert_eq!(audio.size, 1000);
            assert_eq!(std::fs::read(&audio.path).unwrap(), vec![1u8; 1000]);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let c = cache.counters();
        assert_eq!((c.misses, c.coalesced + c.hits), (1, 15));
        let (_, hit) = cache
            .get_or_insert_with(&parts("Hei"), Reuse::Cached, || async {
                Err::<Vec<u8>, _>(CacheError::Produce("must not run".into()))
            })
            .await
            .unwrap();
        assert!(hit);
        assert_eq!(cache.totals().await.unwrap(), (1, 1000));
    }

    #[tokio::test]
    async fn failures_reach_every_waiter_and_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), ROOMY).await;
        let err = cache
            .get_or_insert_with(&parts("x"), Reuse::Cached, || async {
                Err::<Vec<u8>, _>(CacheError::Produce("engine down".into()))
            })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "engine down");
        let (_, hit) = cache
            .get_or_insert_with(&parts("x"), Reuse::Cached, || async {
                Ok::<_, CacheError>(vec![0u8; 10])
            })
            .await
            .unwrap();
        assert!(!hit);
    }

    #[tokio::test]
    async fn size_bound_evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let limits = CacheLimits {
            max_bytes: 2_500,
            max_age: Duration::from_secs(86_400),
        };
        let cache = cache(dir.path(), limits).await;
        let mut paths = Vec::new();
        for text in ["a", "b", "c"] {
            let (audio, _) = cache
                .get_or_insert_with(&parts(text), Reuse::Cached, || async {
                    Ok::<_, CacheError>(vec![0u8; 1000])
                })
                .await
                .unwrap();
            paths.push(audio.path);
        }
        let (entries, bytes) = cache.totals().await.unwrap();
        assert_eq!((entries, bytes), (2, 2000));
        assert_eq!(cache.counters().evictions, 1);
        assert_eq!(paths.iter().filter(|p| p.exists()).count(), 2);
        assert!(paths[0]
            .parent()
            .unwrap()
            .starts_with(dir.path().join("cache")));
    }

    #[tokio::test]
    async fn an_abandoned_flight_lets_a_waiter_take_over() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), ROOMY).await;
        let key = parts("y").key();
        let Ticket::Leader(flight) = cache.claim(&key, AudioFormat::Pcm16).await else {
            panic!("expected to lead");
        };
        let Ticket::Follower(rx) = cache.claim(&key, AudioFormat::Pcm16).await else {
            panic!("expected to follow");
        };
        drop(flight);
        assert_eq!(SpeechCache::wait(rx).await.unwrap(), None);
        assert!(matches!(
            cache.claim(&key, AudioFormat::Pcm16).await,
            Ticket::Leader(_)
        ));
    }
}
