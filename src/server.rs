//! `mailwarden serve`: bind, run the milter, react to signals.
//!
//! SIGHUP re-reads the settings and every rule file and swaps them in atomically, or keeps
//! the old ones and logs why. SIGTERM/SIGINT stop accepting connections, wait (bounded) for
//! messages in flight, then close every session.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use indymilter::Listener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::control;
use crate::listen::{BindError, ListenAddr, bind};
use crate::milter::callbacks;
use crate::runtime::Shared;

/// Stops accepting (and closes the listening socket) once `stop` fires. An accept error
/// (out of file descriptors, a connection aborted in the queue) is logged and retried
/// after a pause: indymilter ends the whole milter on any accept error, and a daemon
/// that exits because it ran out of descriptors for a moment stops all mail.
struct StoppableListener<L> {
    inner: Option<L>,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<L: Listener> Listener for StoppableListener<L> {
    type Io = L::Io;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Io>> {
        if self.inner.is_some() && self.stop.as_mut().poll(cx).is_ready() {
            self.inner = None;
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        let Some(l) = self.inner.as_mut() else {
            return Poll::Pending;
        };
        match l.poll_accept(cx) {
            Poll::Ready(Err(e)) => {
                error!(error = %e, "cannot accept a milter connection; retrying shortly");
                let mut pause = Box::pin(tokio::time::sleep(crate::listen::ACCEPT_RETRY));
                // Registers the waker: the pause wakes this task when it ends.
                let _ = pause.as_mut().poll(cx);
                self.pause = Some(pause);
                Poll::Pending
            }
            other => other,
        }
    }
}

/// Runs the milter until SIGTERM or SIGINT. `listen` overrides the settings' address.
pub async fn serve(shared: Arc<Shared>, listen: Option<ListenAddr>) -> Result<(), BindError> {
    let rt = shared.snapshot();
    let addr = listen.clone().unwrap_or_else(|| rt.settings.listen.clone());
    let mut bound = bind(&addr, &rt.settings.unix_socket)?;
    let listener = bound.listener.take().expect("fresh socket");

    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let listener = StoppableListener {
        inner: Some(listener),
        stop: Box::pin(wait(stop_rx)),
        pause: None,
    };
    let config = indymilter::Config {
        max_connections: rt.settings.max_connections,
        connection_timeout: rt.settings.connection_timeout,
        ..Default::default()
    };
    drop(rt);

    // Signal handlers before anything announces readiness: SIGHUP's default action kills.
    let signals = Signals {
        hup: signal(SignalKind::hangup()),
        term: signal(SignalKind::terminate()),
        int: signal(SignalKind::interrupt()),
    };
    let control = match control::bind(&shared.snapshot().settings.reload.control_socket) {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "control socket not available; mailwarden reload/status will not reach this process (SIGHUP still works)");
            None
        }
    };
    let control_task = control.map(|c| tokio::spawn(control::serve(c, shared.clone())));
    // Metrics are for watching, not for mail: if the port is taken, mail still flows.
    let metrics_task = match shared.snapshot().settings.metrics_listen {
        Some(addr) => match crate::metrics::bind(addr).await {
            Ok(l) => Some(tokio::spawn(crate::metrics::serve(l, shared.clone()))),
            Err(e) => {
                error!(listen = %addr, error = %e, "metrics endpoint not available; running without it");
                None
            }
        },
        None => None,
    };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let watcher = tokio::spawn(crate::runtime::watch::run(shared.clone(), ready_tx));
    if tokio::time::timeout(std::time::Duration::from_secs(10), ready_rx)
        .await
        .is_err()
    {
        warn!("file watcher not ready after 10 s; continuing");
    }
    info!(
        listen = %bound.local,
        generation = shared.snapshot().generation,
        policies = shared.snapshot().policies.policies.len(),
        rules = shared.snapshot().rule_count(),
        "listening"
    );
    crate::notify::notify(&format!(
        "READY=1\nSTATUS=listening on {}, generation {}",
        bound.local,
        shared.snapshot().generation
    ));
    let signals = tokio::spawn(handle_signals(signals, shared.clone(), stop_tx, done_tx));
    let result = indymilter::run(listener, callbacks::build(shared), config, wait(done_rx)).await;
    signals.abort();
    watcher.abort();
    for t in [control_task, metrics_task].into_iter().flatten() {
        t.abort();
    }
    drop(bound);
    if let Err(e) = result {
        error!(error = %e, "milter stopped with an error");
    }
    info!("stopped");
    Ok(())
}

struct Signals {
    hup: io::Result<tokio::signal::unix::Signal>,
    term: io::Result<tokio::signal::unix::Signal>,
    int: io::Result<tokio::signal::unix::Signal>,
}

async fn handle_signals(
    signals: Signals,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    done: watch::Sender<bool>,
) {
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (signals.hup, signals.term, signals.int) else {
        error!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => { let _ = crate::runtime::reload::reload(&shared, false).await; }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    let timeout = shared.snapshot().settings.shutdown_timeout;
    let _ = stop.send(true);
    crate::notify::notify("STOPPING=1");
    info!(
        in_flight = shared.in_flight(),
        timeout_s = timeout.as_secs(),
        "shutting down: no new connections"
    );
    if tokio::time::timeout(timeout, shared.wait_idle())
        .await
        .is_err()
    {
        warn!(
            in_flight = shared.in_flight(),
            "shutdown timeout: closing sessions with messages in flight (the MTA will tempfail them)"
        );
    }
    let _ = done.send(true);
}
