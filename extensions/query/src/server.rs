//! The HTTP server: binds at start, serves `POST /v1/query` and
//! `GET /api/traces/{trace_id}`, stops at shutdown.
//!
//! Status codes: 400 for a refused statement, a bad body or id, and any error
//! ClickHouse reports (its message and code in the body); 401 with `WWW-Authenticate`
//! when credentials are configured and not presented; 404 for an unknown trace; 502
//! when ClickHouse cannot be reached or answers nonsense; 504 when the query runs out
//! of time.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sonde_api::{async_trait, BoxError, ComponentId, Host, Lifecycle};
use sonde_netconfig::HttpServer;

use crate::auth::Required;
use crate::classify::classify;
use crate::clickhouse::{ClickHouseClient, ClickHouseError};
use crate::config::Config;
use crate::envelope;
use crate::request::sql_of;
use crate::traces;

/// How long shutdown waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct QueryService {
    id: ComponentId,
    config: Arc<Config>,
    running: Mutex<Option<Running>>,
}

struct Running {
    server: HttpServer,
}

struct AppState {
    config: Arc<Config>,
    clickhouse: ClickHouseClient,
    auth: Required,
}

impl QueryService {
    pub fn new(id: ComponentId, config: Config) -> QueryService {
        QueryService {
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

/// The routes, over a ClickHouse client made from `config`.
pub fn router(config: Arc<Config>) -> Result<Router, BoxError> {
    let state = Arc::new(AppState {
        clickhouse: ClickHouseClient::new(&config)?,
        auth: Required::from_config(config.auth.as_ref()),
        config,
    });
    Ok(Router::new()
        .route("/v1/query", post(query))
        .route("/v1/query/", post(query))
        .route("/api/traces/{trace_id}", get(trace))
        .with_state(state))
}

#[async_trait]
impl Lifecycle for QueryService {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let app = router(self.config.clone())?;
        let server = HttpServer::start("query", &self.id, host, &self.config.endpoint, app).await?;
        tracing::info!(extension = %self.id, addr = %server.addr(), clickhouse = %self.config.clickhouse.endpoint, "query service listening");
        if let Ok(mut running) = self.running.lock() {
            *running = Some(Running { server });
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        let running = self.running.lock().ok().and_then(|mut r| r.take());
        if let Some(running) = running {
            running.server.stop(SHUTDOWN_GRACE).await;
        }
        Ok(())
    }
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn fail(status: StatusCode, opt_status: &str, description: &str) -> Response {
    json(status, &envelope::failure(opt_status, description, None))
}

/// 401 with the challenge, unless the request carries the configured credentials.
fn unauthorized(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    state.auth.check(given).err().map(|challenge| {
        let mut response = fail(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "missing or wrong credentials",
        );
        if let Ok(value) = header::HeaderValue::from_str(challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    })
}

/// A ClickHouse failure as the client sees it.
fn clickhouse_failure(err: ClickHouseError) -> Response {
    if err.is_timeout() {
        let code = match &err {
            ClickHouseError::Server { code, .. } => *code,
            _ => None,
        };
        return json(
            StatusCode::GATEWAY_TIMEOUT,
            &envelope::failure("TIMEOUT", &err.to_string(), code),
        );
    }
    match err {
        ClickHouseError::Server { code, message } => json(
            StatusCode::BAD_REQUEST,
            &envelope::failure("CLICKHOUSE_ERROR", &message, code),
        ),
        ClickHouseError::TooLarge(_) => fail(
            StatusCode::BAD_REQUEST,
            "RESULT_TOO_LARGE",
            &err.to_string(),
        ),
        ClickHouseError::Unreachable(_) | ClickHouseError::Timeout(_) => {
            tracing::warn!(error = %err, "query: ClickHouse failed");
            fail(StatusCode::BAD_GATEWAY, "SERVER_ERROR", &err.to_string())
        }
    }
}

async fn query(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let sql = match sql_of(content_type, &body) {
        Ok(sql) => sql,
        Err(why) => return fail(StatusCode::BAD_REQUEST, "INVALID_PARAMETERS", &why),
    };
    let statement = match classify(&sql) {
        Ok(statement) => statement,
        Err(refusal) => {
            tracing::debug!(%refusal, "query: statement refused");
            return fail(StatusCode::BAD_REQUEST, "INVALID_SQL", &refusal.to_string());
        }
    };
    tracing::debug!(kind = ?statement.kind, "query: running");
    let answer = match state.clickhouse.query(statement.text).await {
        Ok(answer) => answer,
        Err(err) => {
            tracing::debug!(error = %err, "query: ClickHouse answered with an error");
            return clickhouse_failure(err);
        }
    };
    match envelope::success(&answer) {
        Ok(body) => json(StatusCode::OK, &body),
        Err(err) => fail(StatusCode::BAD_GATEWAY, "SERVER_ERROR", &err.to_string()),
    }
}

async fn trace(
    State(state): State<Arc<AppState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    let trace_id = match traces::parse_trace_id(&trace_id) {
        Ok(id) => id,
        Err(why) => return fail(StatusCode::BAD_REQUEST, "INVALID_PARAMETERS", &why),
    };
    let ch = &state.config.clickhouse;
    let sql = traces::trace_sql(&ch.database, &ch.traces_table_name, &trace_id);
    let answer = match state.clickhouse.query(&sql).await {
        Ok(answer) => answer,
        Err(err) => return clickhouse_failure(err),
    };
    match traces::to_otlp(&answer) {
        Ok(Some(data)) => match serde_json::to_value(&data) {
            Ok(body) => json(StatusCode::OK, &body),
            Err(err) => fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SERVER_ERROR",
                &format!("encoding the trace: {err}"),
            ),
        },
        Ok(None) => fail(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            &format!("trace {trace_id} not found"),
        ),
        Err(err) => fail(StatusCode::BAD_GATEWAY, "SERVER_ERROR", &err.to_string()),
    }
}
