//! The in-memory tier of the cache: the most recently stored or read clips, bounded in bytes.
//! Why: a hit from memory is a hash lookup and a reference-counted `Bytes` clone — no `stat`,
//! no `read`, no 100 KB copy — which is what lets cache hits reach tens of thousands per
//! second on two cores. The files stay the source of truth; this is only a copy.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

/// Memory the hot set may hold.
pub const HOT_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Larger clips are served from disk only (they would push out many small ones).
pub const HOT_MAX_ITEM: usize = 4 * 1024 * 1024;

/// Clips by key; least recently inserted leaves first (FIFO keeps a hit lock-cheap).
#[derive(Debug)]
pub struct HotSet {
    map: HashMap<String, Bytes>,
    order: VecDeque<String>,
    bytes: usize,
    max: usize,
}

impl HotSet {
    pub fn new(max: usize) -> Self {
        HotSet {
            map: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            max,
        }
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.map.get(key).cloned()
    }

    /// Keep `bytes` as `key`'s clip (replacing any held).
    pub fn insert(&mut self, key: &str, bytes: Bytes) {
        // A clip produced afresh replaces the one held.
        self.remove(key);
        if bytes.len() > HOT_MAX_ITEM.min(self.max) {
            return;
        }
        while self.bytes + bytes.len() > self.max {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.map.remove(&old) {
                self.bytes -= b.len();
            }
        }
        self.bytes += bytes.len();
        self.order.push_back(key.to_string());
        self.map.insert(key.to_string(), bytes);
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(b) = self.map.remove(key) {
            self.bytes -= b.len();
            self.order.retain(|k| k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_bytes() {
        let mut h = HotSet::new(10);
        h.insert("a", Bytes::from_static(b"12345"));
        h.insert("b", Bytes::from_static(b"12345"));
        h.insert("c", Bytes::from_static(b"123"));
        assert!(h.get("a").is_none());
        assert_eq!(h.get("b").as_deref(), Some(&b"12345"[..]));
        h.remove("b");
        assert!(h.get("b").is_none());
        h.insert("big", Bytes::from(vec![0u8; 11]));
        assert!(h.get("big").is_none());
    }
}
