//! Where audio files live, behind one trait so the pipeline does not care
//! whether it is a local directory, a shared (NFS-style) mount several
//! instances write to, or — later — an S3-compatible bucket. Files are
//! named by the paths the database records (`output_file_path`,
//! `AUDIO_DIR/item_{id}.wav`); a bucket store would map them to object keys
//! relative to its root.

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::files::atomic::{file_exists, link_or_copy_atomic, write_atomic};

/// Audio storage used by the task pipeline and the item endpoints.
#[async_trait]
pub trait AudioStore: Send + Sync + Debug + 'static {
    /// Where an item's audio lives (contract §6.2: `item_{id}.wav`).
    fn item_path(&self, item_id: i64) -> PathBuf;
    /// Where a standalone task's audio lives (`name.wav` under the root).
    fn named_path(&self, name: &str) -> PathBuf;
    /// Store `bytes` at `path`; readers never see a partial file.
    async fn put(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Make `target` hold the content of the local file `source` (a cached
    /// clip or another stored file), atomically.
    async fn put_file(&self, source: &Path, target: &Path) -> io::Result<()>;
    async fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Open a stored file for streaming; a file replaced meanwhile keeps
    /// the handle on the old content, so size and bytes stay consistent.
    async fn open(&self, path: &Path) -> io::Result<tokio::fs::File>;
    async fn exists(&self, path: &Path) -> bool;
    /// Remove a file; `Ok(false)` when there was none.
    async fn remove(&self, path: &Path) -> io::Result<bool>;
}

/// Files in a directory (`AUDIO_DIR`), local or a shared mount.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDirStore { root: root.into() }
    }
}

#[async_trait]
impl AudioStore for LocalDirStore {
    fn item_path(&self, item_id: i64) -> PathBuf {
        // `AUDIO_DIR/item_{id}.wav` (contract §6.2): the one place that
        // names an item's audio file.
        self.root.join(format!("item_{item_id}.wav"))
    }

    fn named_path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.wav"))
    }

    async fn put(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        write_atomic(path, bytes).await
    }

    async fn put_file(&self, source: &Path, target: &Path) -> io::Result<()> {
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        link_or_copy_atomic(source, target).await
    }

    async fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        tokio::fs::read(path).await
    }

    async fn open(&self, path: &Path) -> io::Result<tokio::fs::File> {
        tokio::fs::File::open(path).await
    }

    async fn exists(&self, path: &Path) -> bool {
        file_exists(path).await
    }

    async fn remove(&self, path: &Path) -> io::Result<bool> {
        match tokio::fs::remove_file(path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_store_puts_copies_reads_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDirStore::new(dir.path().join("audio"));
        let item = store.item_path(7);
        assert!(item.ends_with("audio/item_7.wav"));
        assert!(!store.exists(&item).await);
        store.put(&item, b"RIFF1").await.unwrap();
        let named = store.named_path("lesson");
        store.put_file(&item, &named).await.unwrap();
        assert_eq!(store.read(&named).await.unwrap(), b"RIFF1");
        assert!(store.remove(&item).await.unwrap());
        assert!(!store.remove(&item).await.unwrap());
        assert_eq!(
            store.read(&named).await.unwrap(),
            b"RIFF1",
            "a copy outlives its source"
        );
    }
}
