//! A tiny least-recently-used list of loaded voices.
//!
//! Why not a crate: a server keeps a handful of voices loaded (each is tens of MB of ONNX
//! weights), so a vector in recency order is simpler and fast enough, and the eviction is what
//! Piper's own HTTP server lacks: without it every voice ever requested stays in memory.

/// Entries most recently used last; never more than `capacity`.
#[derive(Debug)]
pub struct Lru<V> {
    capacity: usize,
    entries: Vec<(String, V)>,
}

impl<V: Clone> Lru<V> {
    /// `capacity` is at least 1.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Vec::new(),
        }
    }

    /// The entry for `key`, marked as most recently used.
    pub fn get(&mut self, key: &str) -> Option<V> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(index);
        let value = entry.1.clone();
        self.entries.push(entry);
        Some(value)
    }

    /// Inserts (or replaces) `key` as most recently used; returns the keys evicted to stay
    /// within the capacity.
    pub fn insert(&mut self, key: String, value: V) -> Vec<String> {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, value));
        let excess = self.entries.len().saturating_sub(self.capacity);
        self.entries.drain(..excess).map(|(k, _)| k).collect()
    }

    /// Keys in recency order, least recently used first.
    pub fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|(k, _)| k.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut lru = Lru::new(2);
        assert!(lru.insert("a".into(), 1).is_empty());
        assert!(lru.insert("b".into(), 2).is_empty());
        assert_eq!(lru.get("a"), Some(1));
        assert_eq!(lru.insert("c".into(), 3), vec!["b".to_owned()]);
        assert_eq!(lru.keys(), vec!["a".to_owned(), "c".to_owned()]);
        assert_eq!(lru.get("b"), None);
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut lru = Lru::new(0);
        lru.insert("a".into(), 1);
        assert_eq!(lru.insert("b".into(), 2), vec!["a".to_owned()]);
    }
}
