//! The HTTP server: binds at start, answers the configured path from the service's status,
//! stops at shutdown.
//!
//! The service's status arrives through `Host::status()`; a small task follows it and
//! records when the service became `Running`, which is what `upSince` reports.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Router;
use sonde_api::{async_trait, BoxError, ComponentId, Host, Lifecycle, ServiceStatus};
use sonde_netconfig::HttpServer;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::response::respond;

/// How long shutdown waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct HealthCheck {
    id: ComponentId,
    config: Arc<Config>,
    running: Mutex<Option<Running>>,
}

struct Running {
    server: HttpServer,
    watcher: JoinHandle<()>,
}

#[derive(Clone)]
struct AppState {
    config: Arc<Config>,
    /// When the service last became `Running`; `None` while it is not.
    up_since: Arc<Mutex<Option<SystemTime>>>,
}

impl HealthCheck {
    pub fn new(id: ComponentId, config: Config) -> HealthCheck {
        HealthCheck {
            id,
            config: Arc::new(config),
            running: Mutex::new(None),
        }
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.running.lock().ok()?.as_ref().map(|r| r.server.addr())
    }
}

#[async_trait]
impl Lifecycle for HealthCheck {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let up_since = Arc::new(Mutex::new(None));
        let state = AppState {
            config: self.config.clone(),
            up_since: up_since.clone(),
        };
        let app = Router::new().fallback(handle).with_state(state);
        let server =
            HttpServer::start("health_check", &self.id, host, &self.config.endpoint, app).await?;
        let watcher = tokio::spawn(follow_status(host.status(), up_since));
        tracing::info!(extension = %self.id, addr = %server.addr(), path = %self.config.path, "health_check listening");
        if let Ok(mut running) = self.running.lock() {
            *running = Some(Running { server, watcher });
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        let running = self.running.lock().ok().and_then(|mut r| r.take());
        if let Some(running) = running {
            running.watcher.abort();
            running.server.stop(SHUTDOWN_GRACE).await;
        }
        Ok(())
    }
}

/// Records when the service becomes `Running`, and forgets it when it stops being so.
async fn follow_status(
    mut status: watch::Receiver<ServiceStatus>,
    up_since: Arc<Mutex<Option<SystemTime>>>,
) {
    loop {
        let current = *status.borrow_and_update();
        if let Ok(mut since) = up_since.lock() {
            match (current, since.is_some()) {
                (ServiceStatus::Running, false) => {
                    *since = Some(SystemTime::now());
                    tracing::info!(status = "ready", "Health Check state change");
                }
                (ServiceStatus::Starting | ServiceStatus::Stopping, true) => {
                    *since = None;
                    tracing::info!(status = "unavailable", "Health Check state change");
                }
                _ => {}
            }
        }
        if status.changed().await.is_err() {
            return; // the service is gone
        }
    }
}

async fn handle(State(state): State<AppState>, uri: Uri) -> HttpResponse {
    if !path_matches(&state.config.path, uri.path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let up_since = state.up_since.lock().ok().and_then(|s| *s);
    let r = respond(
        up_since,
        SystemTime::now(),
        state.config.response_body.as_ref(),
    );
    let code = StatusCode::from_u16(r.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (code, [(header::CONTENT_TYPE, r.content_type)], r.body).into_response()
}

/// Go's ServeMux rule, which otelcol uses: a pattern ending in `/` matches its whole
/// subtree; any other matches exactly.
fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern.ends_with('/') {
        path.starts_with(pattern)
    } else {
        path == pattern
    }
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn serve_mux_paths() {
        assert!(path_matches("/", "/anything"));
        assert!(path_matches("/health/", "/health/x"));
        assert!(path_matches("/health/status", "/health/status"));
        assert!(!path_matches("/health/status", "/health/status/x"));
        assert!(!path_matches("/health/status", "/"));
    }
}
