//! An HTTP server a component runs for its whole life: bound at start (so a port in
//! use fails the start), serving an axum router, stopped at shutdown with a grace
//! period for open connections. A server that fails while running is reported to
//! the host as fatal.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use sonde_api::{BoxError, ComponentId, Host};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server that is running.
pub struct HttpServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl HttpServer {
    /// Binds `endpoint` and serves `app` on it; `what` names the server in errors.
    pub async fn start(
        what: &str,
        id: &ComponentId,
        host: &Host,
        endpoint: &str,
        app: Router,
    ) -> Result<HttpServer, BoxError> {
        let listener = tokio::net::TcpListener::bind(endpoint)
            .await
            .map_err(|err| format!("{what}: failed to listen on {endpoint}: {err}"))?;
        let addr = listener
            .local_addr()
            .map_err(|err| format!("{what}: listener on {endpoint}: {err}"))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (host, id, what) = (host.clone(), id.clone(), what.to_owned());
        let task = tokio::spawn(async move {
            // Handlers may ask `ConnectInfo<SocketAddr>`: who sent a request.
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                host.report_fatal(&id, format!("{what} server failed: {err}"));
            }
        });
        Ok(HttpServer { addr, stop, task })
    }

    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking connections, lets open ones finish for up to `grace`, then cuts them.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// Where a component keeps its server between `start` and `shutdown`.
#[derive(Default)]
pub struct HttpServerSlot(Mutex<Option<HttpServer>>);

impl HttpServerSlot {
    /// Starts a server (see [`HttpServer::start`]), says where it listens, and
    /// keeps it until [`stop`](Self::stop).
    pub async fn serve(
        &self,
        what: &str,
        id: &ComponentId,
        host: &Host,
        endpoint: &str,
        app: Router,
    ) -> Result<(), BoxError> {
        let server = HttpServer::start(what, id, host, endpoint, app).await?;
        tracing::info!(receiver = %id, addr = %server.addr(), "{what} listening");
        self.set(server);
        Ok(())
    }

    pub fn set(&self, server: HttpServer) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
    }

    /// The address of the running server (useful with port 0).
    pub fn addr(&self) -> Option<SocketAddr> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(HttpServer::addr)
    }

    /// Stops the server, if one runs (see [`HttpServer::stop`]).
    pub async fn stop(&self, grace: Duration) {
        let server = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(server) = server {
            server.stop(grace).await;
        }
    }
}

/// The checks every HTTP receiver makes of its `endpoint` and
/// `max_request_body_size_mib` keys.
pub fn validate_http_endpoint(
    endpoint: &str,
    max_request_body_size_mib: usize,
) -> Result<(), sonde_api::config::ConfigError> {
    use sonde_api::config::ConfigError;
    if endpoint.trim().is_empty() {
        return Err(ConfigError::new(
            &["endpoint"],
            "endpoint must not be empty",
        ));
    }
    if max_request_body_size_mib == 0 {
        return Err(ConfigError::new(
            &["max_request_body_size_mib"],
            "must be at least 1",
        ));
    }
    Ok(())
}
