//! Audio files on disk: written atomically (temporary file + rename), so a
//! reader never sees half a WAV and a crash never leaves one in place.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(target: &Path) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Write `bytes` to `target` atomically.
pub async fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = temp_path(target);
    let written = write_synced(&tmp, bytes).await;
    publish(written, &tmp, target).await
}

/// Write a file and flush it to the disk before it is renamed or linked
/// into place: after a power cut a published name never points at a file
/// whose blocks were never written.
async fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

/// Flush a directory's entries (a rename into it) to the disk. Some
/// filesystems cannot sync a directory; that is not an error here.
async fn sync_dir(dir: &Path) {
    if let Ok(handle) = tokio::fs::File::open(dir).await {
        if let Err(e) = handle.sync_all().await {
            tracing::debug!(dir = %dir.display(), error = %e, "directory sync not supported");
        }
    }
}

/// Rename a fully written temporary file into place, or remove it.
async fn publish(written: std::io::Result<()>, tmp: &Path, target: &Path) -> std::io::Result<()> {
    let result = match written {
        Ok(()) => tokio::fs::rename(tmp, target).await,
        Err(e) => Err(e),
    };
    match (&result, target.parent()) {
        (Ok(()), Some(parent)) => sync_dir(parent).await,
        (Ok(()), None) => {}
        (Err(_), _) => {
            let _ = tokio::fs::remove_file(tmp).await;
        }
    }
    result
}

/// Copy `source` to `target` atomically (a no-op when they are the same path).
pub async fn copy_atomic(source: &Path, target: &Path) -> std::io::Result<()> {
    if source == target {
        return Ok(());
    }
    let tmp = temp_path(target);
    let copied = match tokio::fs::copy(source, &tmp).await {
        Ok(_) => match tokio::fs::File::open(&tmp).await {
            Ok(file) => file.sync_all().await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    publish(copied, &tmp, target).await
}

/// Put `source`'s content at `target` atomically, sharing the file (a hard
/// link) where the filesystem allows, else as a copy. Cached clips are
/// never rewritten in place (a new clip is a new file renamed over the
/// old), so a link never changes under its reader.
pub async fn link_or_copy_atomic(source: &Path, target: &Path) -> std::io::Result<()> {
    if source == target {
        return Ok(());
    }
    let tmp = temp_path(target);
    match tokio::fs::hard_link(source, &tmp).await {
        Ok(()) => publish(Ok(()), &tmp, target).await,
        Err(_) => copy_atomic(source, target).await,
    }
}

/// Whether a regular file exists at `path`.
pub async fn file_exists(path: &Path) -> bool {
    tokio::fs::metadata(path)
        .await
        .map(|m| m.is_file())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_and_copies_without_leaving_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.wav");
        let b = dir.path().join("b.wav");
        write_atomic(&a, b"RIFF").await.unwrap();
        copy_atomic(&a, &b).await.unwrap();
        copy_atomic(&a, &a).await.unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"RIFF");
        link_or_copy_atomic(&a, &b).await.unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"RIFF");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(file_exists(&a).await);
        assert!(!file_exists(&dir.path().join("missing.wav")).await);
    }
}
