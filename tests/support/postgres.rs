//! A fresh, empty PostgreSQL database for one test app, on the server named
//! by `TEST_POSTGRES_URL` (shared by the test binaries through `#[path]`).

use sqlx::Connection;

/// Create `<prefix>_<pid>_<n>_<random>` and return its URL.
pub async fn create_database(admin: &str, prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "{prefix}_{}_{n}_{:06x}",
        std::process::id(),
        fastrand::u32(..0x100_0000)
    );
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let mut url = url::Url::parse(admin).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}
