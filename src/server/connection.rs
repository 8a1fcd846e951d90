//! The endpoint's connections: accepting them into at most [`MAX_CONNECTIONS`] slots, running
//! hyper's HTTP/1 server on each (keep-alive), and the time limits and eviction hyper does not
//! have. Each connection's [`Cycle`] records where it is (waiting, head, answering, writing),
//! moved on by its I/O and its service; its task closes it when a deadline passes (408 when a
//! head is late) or when a newer connection needs its slot ([`super::eviction`] says which).
//!
//! Never reads a request itself (hyper parses, `request` decides) and never sees a secret.

use super::eviction::Evictable;
use super::request::{self, MAX_HEAD_BYTES};
use super::{Shared, respond};
use crate::diag::debug_at_most_each_second;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io::IoSlice;
use std::pin::{Pin, pin};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// Connections handled at once. One more arriving closes the one silent longest (nothing of a
/// request sent), else the oldest partial head; when every one is answering, it waits.
pub const MAX_CONNECTIONS: usize = 64;
/// The time a client has to send a whole request head: from connecting for the first one, from
/// its first byte for the next ones on a kept-alive connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a kept-alive connection may sit silent after a reply before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// The time a client has to take a reply.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection waiting for a slot closes the next evictable one.
const EVICT_RETRY: Duration = Duration::from_millis(100);

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let evictable = Arc::new(Evictable::default());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted: pause a
                // moment rather than spin.
                static LOGGED: AtomicU64 = AtomicU64::new(0);
                debug_at_most_each_second(&LOGGED, || format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        // Every slot taken: the one silent longest, else the oldest partial head, gives up its
        // slot (a client that sends nothing, or a byte, must not keep the SDKs out); with none,
        // this one waits for the first answer to finish. (Evicted again every 100 ms while
        // waiting: the one signalled may have had its whole head read meanwhile.)
        let slot = loop {
            if let Ok(slot) = slots.clone().try_acquire_owned() {
                break slot;
            }
            evictable.evict_oldest();
            let wait = tokio::time::timeout(EVICT_RETRY, slots.clone().acquire_owned()).await;
            match wait {
                Ok(Ok(slot)) => break slot,
                Ok(Err(_)) => return,
                Err(_) => continue,
            }
        };
        let _ = stream.set_nodelay(true);
        // Registered before its task first runs, so that a burst of connections accepted in
        // one go can be evicted before any of them has been polled.
        let cycle = Arc::new(Cycle::new(evictable.clone()));
        let shared = shared.clone();
        tokio::spawn(async move {
            serve(stream, shared, cycle).await;
            drop(slot);
        });
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>, cycle: Arc<Cycle>) {
    let io = TokioIo::new(Watched {
        stream,
        cycle: cycle.clone(),
    });
    let service = {
        let cycle = cycle.clone();
        service_fn(move |req| {
            cycle.answering();
            let (shared, cycle) = (shared.clone(), cycle.clone());
            async move {
                let reply = respond(&req, &shared).await;
                cycle.answered();
                Ok::<_, std::convert::Infallible>(reply)
            }
        })
    };
    let mut conn = http1::Builder::new()
        .max_buf_size(MAX_HEAD_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        .header_read_timeout(None) // ours (Cycle), which answers 408
        .serve_connection(io, service);
    let end = {
        let mut evicted = pin!(cycle.close.notified());
        let mut timer = pin!(tokio::time::sleep(READ_TIMEOUT));
        std::future::poll_fn(|cx| {
            loop {
                if Pin::new(&mut conn).poll(cx).is_ready() {
                    return Poll::Ready(End::Closed);
                }
                if evicted.as_mut().poll(cx).is_ready() {
                    if cycle.is_evictable() {
                        return Poll::Ready(End::Evicted);
                    }
                    // Its whole head came since it was picked: it stays, and listens again.
                    evicted.set(cycle.close.notified());
                    continue;
                }
                // The timer is moved only to an earlier deadline: a later one (every request
                // moves it on) is checked when the armed one fires, saving a reset per request.
                if let Some(at) = cycle.deadline() {
                    if at < timer.deadline() {
                        timer.as_mut().reset(at);
                    }
                    if timer.as_mut().poll(cx).is_ready() {
                        if Instant::now() >= at {
                            return Poll::Ready(End::Late);
                        }
                        timer.as_mut().reset(at);
                        continue;
                    }
                }
                return Poll::Pending;
            }
        })
        .await
    };
    cycle.evictable.leave(cycle.id);
    match end {
        End::Closed => {}
        End::Evicted => {
            static LOGGED: AtomicU64 = AtomicU64::new(0);
            debug_at_most_each_second(&LOGGED, || {
                "every connection slot taken: closed one with no whole request".into()
            });
        }
        End::Late if cycle.owes_timeout_reply() => {
            let mut stream = conn.into_parts().io.into_inner().stream;
            let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
                stream.write_all(&request::timeout_reply()).await?;
                stream.shutdown().await
            })
            .await;
        }
        End::Late => {}
    }
}

enum End {
    /// hyper is done with it: the client closed, asked to close, or was refused.
    Closed,
    /// Its slot went to a newer connection.
    Evicted,
    /// A deadline of its [`Cycle`] passed.
    Late,
}

/// Where one connection is between requests, and since when.
struct Cycle {
    id: u64,
    state: Mutex<State>,
    evictable: Arc<Evictable>,
    close: Arc<Notify>,
}

struct State {
    phase: Phase,
    since: Instant,
    /// A reply has been sent on it: it is a kept-alive connection now.
    served: bool,
    /// Bytes of the next request came while a reply was still being written (pipelining).
    read_ahead: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing of a request yet (silent: evicted first).
    Waiting,
    /// Part of a request head has come (evicted when none is silent).
    Head,
    /// The head is in; the answer is being worked out (bounded by the answer's own timeout).
    Answering,
    /// The reply is being written; `wrote`: some of it has gone out.
    Writing { wrote: bool },
}

impl Cycle {
    fn new(evictable: Arc<Evictable>) -> Cycle {
        let (id, close) = evictable.enter_new();
        Cycle {
            id,
            state: Mutex::new(State {
                phase: Phase::Waiting,
                since: Instant::now(),
                served: false,
                read_ahead: false,
            }),
            evictable,
            close,
        }
    }

    /// (Nothing panics while holding it; were it poisoned, the state is still right.)
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_evictable(&self) -> bool {
        matches!(self.state().phase, Phase::Waiting | Phase::Head)
    }

    fn read(&self) {
        let mut s = self.state();
        match s.phase {
            Phase::Waiting => {
                s.phase = Phase::Head;
                if s.served {
                    s.since = Instant::now();
                }
                drop(s);
                self.evictable.enter(self.id, &self.close, true);
            }
            Phase::Writing { .. } => s.read_ahead = true,
            Phase::Head | Phase::Answering => {}
        }
    }

    fn answering(&self) {
        self.state().phase = Phase::Answering;
        // A whole head: no longer evictable (also a pipelined one, read with the last).
        self.evictable.leave(self.id);
    }

    fn answered(&self) {
        let mut s = self.state();
        s.phase = Phase::Writing { wrote: false };
        s.since = Instant::now();
    }

    fn wrote(&self) {
        let mut s = self.state();
        if let Phase::Writing { .. } = s.phase {
            s.phase = Phase::Writing { wrote: true };
        }
    }

    /// hyper flushes once the whole reply is written.
    fn flushed(&self) {
        let mut s = self.state();
        if s.phase != (Phase::Writing { wrote: true }) {
            return;
        }
        s.served = true;
        s.since = Instant::now();
        if std::mem::take(&mut s.read_ahead) {
            s.phase = Phase::Head;
            drop(s);
            self.evictable.enter(self.id, &self.close, true);
        } else {
            s.phase = Phase::Waiting;
            drop(s);
            self.evictable.enter(self.id, &self.close, false);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let s = self.state();
        let limit = match s.phase {
            Phase::Waiting if s.served => IDLE_TIMEOUT,
            Phase::Waiting | Phase::Head => READ_TIMEOUT,
            Phase::Answering => return None,
            Phase::Writing { .. } => WRITE_TIMEOUT,
        };
        Some(s.since + limit)
    }

    /// A late client gets a 408 unless it was merely idle between requests (closed quietly,
    /// as any kept-alive connection) or not taking its reply.
    fn owes_timeout_reply(&self) -> bool {
        let s = self.state();
        s.phase == Phase::Head || (s.phase == Phase::Waiting && !s.served)
    }
}

/// The socket, telling its [`Cycle`] what hyper reads and writes.
struct Watched {
    stream: TcpStream,
    cycle: Arc<Cycle>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.cycle.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.cycle.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.cycle.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.cycle.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
