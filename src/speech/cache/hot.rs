//! The in-memory tier of the cache: recently stored or read clips, bounded in bytes.
//! Why: a hit from memory is a hash lookup and a reference-counted `Bytes` clone — no `stat`,
//! no `read`, no 100 KB copy — which is what lets cache hits reach tens of thousands per
//! second on two cores. The files stay the source of truth; this is only a copy.
//!
//! Why `quick_cache` (issue 19: a maintained crate instead of a hand-written FIFO): its
//! `sync::Cache` weighs each entry (here a clip by its length), so the bound stays one of
//! bytes; it is sharded with a read lock per shard, so a hit does not queue behind other hits
//! as it did behind one `Mutex`; it has no background threads and its dependencies were
//! already in the tree. Its policy (CLOCK-Pro-like, scan resistant: a clip read again is kept
//! over one stored once) replaces insertion order. `moka` would add TTLs and listeners that the
//! disk tier already covers, with more machinery on every hit.

use bytes::Bytes;
use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

/// Memory the hot set may hold.
pub const HOT_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Larger clips are served from disk only (they would push out many small ones).
pub const HOT_MAX_ITEM: usize = 4 * 1024 * 1024;

/// Shards of the hot set: each holds an equal part of the bytes, and the crate refuses a clip
/// heavier than (nearly) one shard, so 8 shards of 8 MiB keep room for two clips of
/// [`HOT_MAX_ITEM`] each while hits on different shards never meet on a lock. Fixed rather than
/// the crate's default (4 × cores), which on a large machine would make the shards smaller than
/// one such clip.
const SHARDS: usize = 8;
/// The clip size the hot set is sized for (the benchmarked pcm16 sentence is about 100 KB);
/// the crate only uses it to size its tables and its memory of recently evicted keys.
const TYPICAL_CLIP: usize = 100 * 1024;

/// Weighs a clip by its length in bytes (at least 1: the crate never evicts zero-weight
/// entries, and an empty clip must not stay forever).
#[derive(Debug, Clone, Copy)]
struct ClipBytes;

impl Weighter<String, Bytes> for ClipBytes {
    fn weight(&self, _key: &String, clip: &Bytes) -> u64 {
        clip.len().max(1) as u64
    }
}

/// Clips by key, at most `max` bytes in all (see the module doc for the eviction policy).
#[derive(Debug)]
pub struct HotSet {
    clips: Cache<String, Bytes, ClipBytes>,
}

impl HotSet {
    pub fn new(max: usize) -> Self {
        let items = (max / TYPICAL_CLIP).max(1);
        let clips = match OptionsBuilder::new()
            .weight_capacity(max as u64)
            .estimated_items_capacity(items)
            .shards(SHARDS)
            .build()
        {
            Ok(options) => Cache::with_options(
                options,
                ClipBytes,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            ),
            // The builder fails only on a missing capacity, and both are set; were it to fail,
            // the crate's default sharding would do.
            Err(_) => Cache::with_weighter(items, max as u64, ClipBytes),
        };
        HotSet { clips }
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.clips.get(key)
    }

    /// Keep `bytes` as `key`'s clip, replacing any held (a refresh makes a
    /// key's clip afresh). A clip over [`HOT_MAX_ITEM`] (or too heavy for a
    /// shard: the crate then drops it) is not kept, and neither is the old one.
    pub fn insert(&self, key: &str, bytes: Bytes) {
        if bytes.len() > HOT_MAX_ITEM {
            self.clips.remove(key);
            return;
        }
        self.clips.insert(key.to_string(), bytes);
    }

    pub fn remove(&self, key: &str) {
        self.clips.remove(key);
    }

    /// Bytes held (the clips' lengths, as weighed).
    pub fn bytes(&self) -> u64 {
        self.clips.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(len: usize) -> Bytes {
        Bytes::from(vec![7u8; len])
    }

    #[test]
    fn bounded_by_bytes() {
        let max = 64 * 1024;
        let h = HotSet::new(max);
        for i in 0..200 {
            h.insert(&format!("k{i}"), clip(1_000 + i));
            assert!(h.bytes() <= max as u64, "{} > {max}", h.bytes());
        }
        // Something was evicted, and what stays is whole and under its key.
        assert!((0..200).any(|i| h.get(&format!("k{i}")).is_none()));
        let kept: Vec<_> = (0..200)
            .filter_map(|i| h.get(&format!("k{i}")).map(|b| (i, b)))
            .collect();
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|(i, b)| b.len() == 1_000 + i));
    }

    #[test]
    fn the_real_bounds_hold() {
        let h = HotSet::new(HOT_MAX_BYTES);
        h.insert("max", clip(HOT_MAX_ITEM));
        assert_eq!(h.get("max").map(|b| b.len()), Some(HOT_MAX_ITEM));
        h.insert("over", clip(HOT_MAX_ITEM + 1));
        assert!(h.get("over").is_none());
        for i in 0..40 {
            h.insert(&format!("big{i}"), clip(HOT_MAX_ITEM));
            assert!(h.bytes() <= HOT_MAX_BYTES as u64);
        }
    }

    #[test]
    fn oversized_refused_and_remove_works() {
        let h = HotSet::new(64 * 1024);
        h.insert("a", Bytes::from_static(b"12345"));
        assert_eq!(h.get("a").as_deref(), Some(&b"12345"[..]));
        h.remove("a");
        assert!(h.get("a").is_none());
        assert_eq!(h.bytes(), 0);
        h.remove("a");
        // Larger than a shard of this small set: dropped by the crate, nothing else lost.
        h.insert("b", Bytes::from_static(b"b"));
        h.insert("big", clip(64 * 1024 + 1));
        assert!(h.get("big").is_none());
        assert_eq!(h.get("b").as_deref(), Some(&b"b"[..]));
        assert_eq!(h.bytes(), 1);
    }
}
