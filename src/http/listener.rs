//! The accept loop. `axum::serve` has no header-read timeout and no limit on
//! open connections, so a client that opens sockets and sends nothing (or
//! half a head) could hold them for ever and exhaust the file limit
//! (issue 17). This loop serves HTTP/1.1 with upgrades (WebSocket sessions)
//! through hyper as axum does, and adds, from `ConnectionSettings`:
//! a header-read timeout (hyper's own, which starts at a head's first byte,
//! plus a deadline for the first byte of a new connection), an idle timeout
//! (no byte either way), a cap on open connections and a cap per peer
//! address. A connection over a cap is answered `503` with `Retry-After` in
//! the contract's `{"detail": …}` shape and closed, so a client learns why.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

use crate::config::ConnectionSettings;

/// How long a refusal may take to write before the socket is dropped.
const REFUSAL_WRITE_LIMIT: Duration = Duration::from_secs(1);

/// Pause after an accept error (e.g. the file limit), so the loop does not
/// spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Open connections per peer address.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address until dropped.
struct AddressSlot {
    counts: PerAddress,
    ip: IpAddr,
}

impl PerAddress {
    fn acquire(&self, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if cap > 0 && *count >= cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// When a connection last moved a byte, in milliseconds since it opened;
/// `u64::MAX` until its first byte arrives.
struct Activity {
    opened: Instant,
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last: AtomicU64::new(u64::MAX),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// Completes once the connection has been silent too long: no first
    /// byte within `first_byte`, or no byte either way for `idle`.
    async fn expired(&self, first_byte: Duration, idle: Duration) {
        loop {
            let last = self.last.load(Ordering::Relaxed);
            let deadline = if last == u64::MAX {
                self.opened + first_byte
            } else {
                self.opened + Duration::from_millis(last) + idle
            };
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A socket that records its activity for [`Activity::expired`], and fails
/// a write that makes no progress for the idle timeout. The second matters
/// after a WebSocket upgrade: hyper's connection future ends there, so the
/// watchdog no longer covers the socket, and a client that never reads
/// would otherwise hold its session's task and socket for ever.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    stall_limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Watched {
    /// After the inner write returned `polled`: clear the stall timer on
    /// progress; on `Pending`, start it (or poll it) and fail once it fires.
    fn check_stall<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let limit = self.stall_limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the peer has not read for the idle timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        self.check_stall(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        self.check_stall(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.check_stall(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serve `app` on `listener` until `signal`, then stop accepting and wait
/// for open connections to finish their requests.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionSettings,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = PerAddress::default();
    let graceful = GracefulShutdown::new();
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; pausing");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream, peer, "Too many open connections");
            continue;
        };
        let Some(slot) = per_address.acquire(peer.ip(), limits.max_connections_per_address) else {
            refuse(stream, peer, "Too many open connections from this address");
            continue;
        };
        let service = app
            .clone()
            .map_request(move |request: http::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let activity = Arc::new(Activity::new());
        let io = Watched {
            inner: stream,
            activity: activity.clone(),
            stall_limit: limits.idle_timeout,
            stalled: None,
        };
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let (first_byte, idle) = (limits.header_read_timeout, limits.idle_timeout);
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                },
                () = activity.expired(first_byte, idle) => {
                    tracing::debug!(%peer, "connection closed: silent too long");
                }
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answer a connection over a cap with a 503 and close it, without
/// reading its request (it may never send one). Runs in its own task so a
/// peer that does not read cannot stall the accept loop.
fn refuse(stream: TcpStream, peer: SocketAddr, detail: &'static str) {
    // Debug, not warn: under a flood this is one line per connection.
    tracing::debug!(%peer, reason = detail, "connection refused");
    tokio::spawn(async move {
        let mut stream = stream;
        let body = format!(r#"{{"detail":"{detail}"}}"#);
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
             retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let write = async {
            stream.write_all(response.as_bytes()).await?;
            stream.shutdown().await
        };
        let _ = tokio::time::timeout(REFUSAL_WRITE_LIMIT, write).await;
    });
}
