// Re-embed migrations when they change (sqlx::migrate! reads them at compile time).
// Also records, for `GET /metadata` `build`, the compiler's version and the axum version
// resolved in Cargo.lock (the original reports its Python and FastAPI versions there).
// Both are read locally (no network, no git), so every checkout builds the same binary.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        // `rustc 1.95.0 (59807616e 2026-04-14)` → `1.95.0`
        .and_then(|line| line.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=LW_RUSTC_VERSION={rustc_version}");
    let axum_version = std::fs::read_to_string("Cargo.lock")
        .ok()
        .and_then(|lock| locked_version(&lock, "axum"))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=LW_AXUM_VERSION={axum_version}");
}

/// The version of package `name` in a Cargo.lock (`name = "…"` then `version = "…"`).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let marker = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == marker {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return version.strip_suffix('"').map(str::to_string);
        }
    }
    None
}
