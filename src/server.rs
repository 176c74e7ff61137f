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

use crate::listen::{BindError, ListenAddr, bind};
use crate::milter::callbacks;
use crate::runtime::{Runtime, Shared};

/// Stops accepting (and closes the listening socket) once `stop` fires.
struct StoppableListener<L> {
    inner: Option<L>,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl<L: Listener> Listener for StoppableListener<L> {
    type Io = L::Io;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Io>> {
        if self.inner.is_some() && self.stop.as_mut().poll(cx).is_ready() {
            self.inner = None;
        }
        match self.inner.as_mut() {
            Some(l) => l.poll_accept(cx),
            None => Poll::Pending,
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
    };
    let config = indymilter::Config {
        max_connections: rt.settings.max_connections,
        connection_timeout: rt.settings.connection_timeout,
        ..Default::default()
    };
    info!(
        listen = %bound.local,
        generation = rt.generation,
        policies = rt.policies.policies.len(),
        rules = rt.rule_count(),
        "listening"
    );
    drop(rt);

    let signals = tokio::spawn(handle_signals(
        shared.clone(),
        listen.is_some(),
        addr,
        stop_tx,
        done_tx,
    ));
    let result = indymilter::run(listener, callbacks::build(shared), config, wait(done_rx)).await;
    signals.abort();
    drop(bound);
    if let Err(e) = result {
        error!(error = %e, "milter stopped with an error");
    }
    info!("stopped");
    Ok(())
}

async fn handle_signals(
    shared: Arc<Shared>,
    listen_overridden: bool,
    bound_addr: ListenAddr,
    stop: watch::Sender<bool>,
    done: watch::Sender<bool>,
) {
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        error!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => reload(&shared, listen_overridden, &bound_addr),
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    let timeout = shared.snapshot().settings.shutdown_timeout;
    let _ = stop.send(true);
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

/// SIGHUP: build everything anew off the hot path; swap only a complete, valid set.
pub fn reload(shared: &Shared, listen_overridden: bool, bound_addr: &ListenAddr) {
    let before = shared.snapshot();
    match shared.reload() {
        Ok(rt) => {
            warn_non_reloadable(&before, &rt, listen_overridden, bound_addr);
            info!(
                generation = rt.generation,
                policies = rt.policies.policies.len(),
                rules = rt.rule_count(),
                "configuration reloaded"
            );
        }
        Err(e) => {
            for line in e.to_string().lines() {
                error!(
                    problem = line,
                    "reload failed; keeping the previous configuration"
                );
            }
            error!(
                generation = before.generation,
                "reload failed; keeping the previous configuration"
            );
        }
    }
}

fn warn_non_reloadable(old: &Runtime, new: &Runtime, listen_overridden: bool, bound: &ListenAddr) {
    let (o, n) = (&old.settings, &new.settings);
    if !listen_overridden && n.listen != *bound {
        warn!(
            setting = "milter.listen",
            "changed setting needs a restart; keeping {bound}"
        );
    }
    if n.unix_socket != o.unix_socket
        || n.max_connections != o.max_connections
        || n.connection_timeout != o.connection_timeout
    {
        warn!(
            setting = "milter.*",
            "changed socket settings need a restart"
        );
    }
    if n.log.level != o.log.level || n.log.format != o.log.format {
        warn!(setting = "log.*", "changed log settings need a restart");
    }
}
