//! Inserts over ClickHouse's HTTP interface, and the schema DDL.
//!
//! A payload becomes one insert per table that has rows: a span or log request one,
//! a metrics request up to five (one per metric type), sent in turn.
//!
//! On the wire: `POST <endpoint>/?database=<db>&query=INSERT INTO "db"."table" (...)
//! FORMAT RowBinary&<settings>` with the RowBinary rows as the body (compressed per
//! `compress`, see [`crate::compress`]), `Authorization: Basic` when a username is
//! set. DDL goes as the body of a plain `POST` with the same settings.
//!
//! Server version: before anything else, `SELECT version()`; a server older than
//! [`crate::version::MINIMUM`] is refused with one error naming what it lacks (a
//! permanent error, so the start fails).
//!
//! Schema: with `create_schema`, [`Sender::start`] runs the DDL. A server that cannot
//! be reached does not fail the start (otelcol's exporter fails at export time, not at
//! start, for a database that is down): the DDL is run again before the next insert,
//! and until it succeeds inserts are retryable failures.
//!
//! Then `DESC TABLE` of the traces and metric tables (every column sonde writes must be
//! there with its type) and of the logs table: the insert and the rows leave out the
//! optional columns the table lacks (an older contrib generation), and a required
//! column missing or of another type is a permanent error (see
//! [`crate::schema::plan`]). Like the DDL, it is asked again before the next insert
//! until the server answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use sonde_api::{BoxError, Payload, Signal};
use sonde_exporterhelper::{SendError, Sender};
use sonde_netconfig::tls::HttpsConnector;
use tokio::sync::Mutex;

use crate::compress::{self, Wire};
use crate::config::{Compress, DEFAULT_DATABASE};
use crate::logs::encode_logs_with;
use crate::metrics::encode_metrics_with;
use crate::response::{self, Verdict};
use crate::rowbinary::RowWriter;
use crate::schema::logs::{logs_plan, LogColumns};
use crate::schema::SchemaParams;
use crate::smart::{encode_sets, KnownResources, ResourceCells, ResourceSet};
use crate::traces::encode_traces_with;
use crate::traces::wire::encode_traces_wire;
use crate::version;

/// Error bodies beyond this are not read.
const MAX_RESPONSE_BODY: usize = 64 << 10;

pub(crate) struct ClickHouseSender {
    pub(crate) client: Client<HttpsConnector, Full<Bytes>>,
    /// `scheme://host:port`.
    pub(crate) base: String,
    pub(crate) database: String,
    /// Settings for every request's query string (endpoint's, `connection_params`,
    /// `async_insert`).
    pub(crate) settings: Vec<(String, String)>,
    pub(crate) auth: Option<HeaderValue>,
    pub(crate) compress: Compress,
    pub(crate) inserts: Inserts,
    /// The DDL still to run; empty once the schema is in place (or not wanted).
    pub(crate) pending_ddl: Mutex<Vec<String>>,
    /// Whether the server's version was found new enough (see [`crate::version`]).
    pub(crate) version_checked: AtomicBool,
    pub(crate) exporter: String,
    /// The signals this exporter writes (see [`crate::SIGNALS`]).
    pub(crate) signals: Vec<Signal>,
    pub(crate) schema: SchemaParams,
    /// The logs table's optional columns and its insert, once `DESC TABLE` answered.
    pub(crate) logs_plan: std::sync::OnceLock<(LogColumns, String)>,
    /// Whether `DESC TABLE` found the traces table as sonde writes it (the insert is
    /// then [`Inserts::traces`], every column being required).
    pub(crate) traces_checked: AtomicBool,
    /// Whether `DESC TABLE` found every metric table as sonde writes it.
    pub(crate) metrics_checked: AtomicBool,
    /// With SmartEncoding: the resource sets ClickHouse has (see [`crate::smart`]).
    pub(crate) known_resources: Option<std::sync::Mutex<KnownResources>>,
    /// With SmartEncoding: whether the standard names were found to be views.
    pub(crate) views_checked: AtomicBool,
}

/// An error with its causes, since hyper's top-level text alone says little.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `application/x-www-form-urlencoded` escaping of a query-string value.
pub(crate) fn url_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The tables rows go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Traces,
    Logs,
    Gauge,
    Sum,
    Histogram,
    ExpHistogram,
    Summary,
}

impl Table {
    /// What one row is, for messages.
    fn rows_noun(self) -> &'static str {
        match self {
            Table::Traces => "spans",
            Table::Logs => "log records",
            Table::Gauge => "gauge points",
            Table::Sum => "sum points",
            Table::Histogram => "histogram points",
            Table::ExpHistogram => "exponential histogram points",
            Table::Summary => "summary points",
        }
    }
}

/// The insert statement of each table.
pub(crate) struct Inserts {
    pub(crate) traces: String,
    pub(crate) logs: String,
    pub(crate) gauge: String,
    pub(crate) sum: String,
    pub(crate) histogram: String,
    pub(crate) exp_histogram: String,
    pub(crate) summary: String,
}

impl Inserts {
    fn statement(&self, table: Table) -> &str {
        match table {
            Table::Traces => &self.traces,
            Table::Logs => &self.logs,
            Table::Gauge => &self.gauge,
            Table::Sum => &self.sum,
            Table::Histogram => &self.histogram,
            Table::ExpHistogram => &self.exp_histogram,
            Table::Summary => &self.summary,
        }
    }
}

/// The rows of one table, ready for the wire.
struct Encoded {
    table: Table,
    body: Vec<u8>,
    rows: usize,
}

/// A payload's rows, and with SmartEncoding the resource sets they point at.
fn encode_rows(
    payload: &Payload,
    compress: Compress,
    log_columns: LogColumns,
    mut resources: ResourceCells,
) -> Result<(Vec<Encoded>, Vec<ResourceSet>), String> {
    let batches = encode_tables(payload, compress, log_columns, &mut resources)?;
    Ok((batches, resources.into_sets()))
}

fn encode_tables(
    payload: &Payload,
    compress: Compress,
    log_columns: LogColumns,
    resources: &mut ResourceCells,
) -> Result<Vec<Encoded>, String> {
    if let Payload::Encoded(encoded) = payload {
        if encoded.signal() == Signal::Traces {
            if let Some(batch) = encode_traces_from_wire(encoded, compress, resources) {
                return Ok(vec![batch]);
            }
        }
    }
    let payload = payload
        .decoded()
        .map_err(|e| format!("decoding the payload: {e}"))?;
    let (table, w, rows) = match &*payload {
        Payload::Traces(request) => {
            let mut w = RowWriter::with_capacity(span_count(request) * 256);
            let rows = encode_traces_with(request, resources, &mut w);
            (Table::Traces, w, rows)
        }
        Payload::Logs(request) => {
            let mut w = RowWriter::with_capacity(log_count(request) * 256);
            let rows = encode_logs_with(request, log_columns, resources, &mut w);
            (Table::Logs, w, rows)
        }
        Payload::Metrics(request) => {
            let rows = encode_metrics_with(request, resources);
            let tables = [
                (Table::Gauge, rows.gauge),
                (Table::Sum, rows.sum),
                (Table::Histogram, rows.histogram),
                (Table::ExpHistogram, rows.exp_histogram),
                (Table::Summary, rows.summary),
            ];
            return Ok(tables
                .into_iter()
                .filter(|(_, t)| t.rows > 0)
                .map(|(table, t)| Encoded {
                    table,
                    body: compress::encode(compress, t.w.buf),
                    rows: t.rows,
                })
                .collect());
        }
        other => {
            return Err(format!(
                "the clickhouse exporter cannot write a {} payload it could not decode",
                other.signal()
            ))
        }
    };
    Ok(vec![Encoded {
        table,
        body: compress::encode(compress, w.buf),
        rows,
    }])
}

/// Spans still in their protobuf bytes, as rows without decoding them (see
/// [`crate::traces::wire`]); `None` when the reader steps aside for prost.
fn encode_traces_from_wire(
    encoded: &sonde_api::pdata::Encoded,
    compress: Compress,
    resources: &mut ResourceCells,
) -> Option<Encoded> {
    let mut w = RowWriter::with_capacity(encoded.len() * 2);
    let mut cells = match resources {
        ResourceCells::Map => ResourceCells::Map,
        ResourceCells::Ids(_) => ResourceCells::ids(),
    };
    let mut rows = 0;
    for chunk in encoded.chunks() {
        rows += encode_traces_wire(chunk, &mut cells, &mut w).ok()?;
    }
    *resources = cells;
    Some(Encoded {
        table: Table::Traces,
        body: compress::encode(compress, w.buf),
        rows,
    })
}

/// A rough size for the rows: about the protobuf's, which is close.
fn span_count(
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

fn log_count(
    request: &opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest,
) -> usize {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

impl ClickHouseSender {
    /// The standard table names of the signals written: views with SmartEncoding.
    fn view_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for signal in &self.signals {
            match signal {
                Signal::Traces => out.push(self.schema.traces_table.as_str()),
                Signal::Logs => out.push(self.schema.logs_table.as_str()),
                Signal::Metrics => out.extend(
                    self.schema
                        .metric_table_columns()
                        .into_iter()
                        .map(|(table, _)| table),
                ),
            }
        }
        out
    }

    /// With SmartEncoding, writes the sets ClickHouse may not have yet into the
    /// dictionary; they count as written once it answered.
    async fn write_resources(
        &self,
        sets: Vec<ResourceSet>,
        wire: (bool, Option<&'static str>),
    ) -> Result<(), SendError> {
        let (Some(known), Some(insert)) = (&self.known_resources, self.schema.resources_insert())
        else {
            return Ok(());
        };
        let now = std::time::Instant::now();
        let fresh = known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .unwritten(sets, now);
        if fresh.is_empty() {
            return Ok(());
        }
        let last_seen = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        let mut w = RowWriter::default();
        encode_sets(&fresh, last_seen, &mut w);
        let request = self.request(
            self.url(&self.database, Some(&insert), wire.0),
            Bytes::from(compress::encode(self.compress, w.buf)),
            wire.1,
        )?;
        self.post(
            request,
            &format!("inserting {} resource attribute sets", fresh.len()),
        )
        .await?;
        known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .wrote(fresh.iter().map(|(id, _)| *id), now);
        Ok(())
    }

    /// `database` is the session's current database: the configured one for inserts,
    /// `default` for DDL, which names its database and may be creating it.
    fn url(&self, database: &str, query: Option<&str>, blocks: bool) -> String {
        let mut url = format!("{}/?database=", self.base);
        url_encode(database, &mut url);
        if let Some(query) = query {
            url.push_str("&query=");
            url_encode(query, &mut url);
        }
        for (k, v) in &self.settings {
            url.push('&');
            url_encode(k, &mut url);
            url.push('=');
            url_encode(v, &mut url);
        }
        if blocks {
            url.push_str("&decompress=1");
        }
        url
    }

    fn request(
        &self,
        url: String,
        body: Bytes,
        encoding: Option<&'static str>,
    ) -> Result<Request<Full<Bytes>>, SendError> {
        let mut request = Request::post(url)
            .body(Full::new(body))
            .map_err(|e| SendError::permanent(format!("building the request: {e}")))?;
        let headers = request.headers_mut();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("sonde/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        if let Some(encoding) = encoding {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        if let Some(auth) = &self.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        Ok(request)
    }

    /// Sends one request; returns the answer's body, or classifies a failure.
    async fn post(&self, request: Request<Full<Bytes>>, what: &str) -> Result<Bytes, SendError> {
        let response = self.client.request(request).await.map_err(|e| {
            SendError::retryable(format!("{what}: failed to reach ClickHouse: {}", chain(&e)))
        })?;
        let status = response.status();
        if status.is_success() {
            // Read the body (empty for inserts and DDL) so the connection goes back to
            // the pool.
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Ok(body);
        }
        let code_header = response
            .headers()
            .get("x-clickhouse-exception-code")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = response::message(&body);
        let code = response::exception_code(code_header.as_deref(), &text);
        let message = match code {
            Some(code) => format!(
                "{what}: ClickHouse answered HTTP {} with error code {code}: {text}",
                status.as_u16()
            ),
            None => format!(
                "{what}: ClickHouse answered HTTP {}: {text}",
                status.as_u16()
            ),
        };
        match response::classify(status.as_u16(), code) {
            Verdict::Permanent => Err(SendError::permanent(message)),
            Verdict::Retryable => Err(SendError::retryable(message)),
        }
    }

    /// Asks the server its version and refuses one too old for the schema. The
    /// request carries none of the configured settings: an old server would refuse
    /// an unknown one (`async_insert`) before saying its version.
    async fn check_version(&self) -> Result<(), SendError> {
        // The query as the body, as the DDL goes: an empty POST gets no
        // Content-Length, which 18.16 refuses (HTTP 411).
        let request = self.request(
            format!("{}/", self.base),
            Bytes::from_static(b"SELECT version()"),
            None,
        )?;
        let body = self.post(request, "asking the server version").await?;
        let text = String::from_utf8_lossy(&body);
        version::check(&text).map_err(SendError::permanent)?;
        tracing::debug!(exporter = %self.exporter, version = %text.trim(), "ClickHouse server version");
        Ok(())
    }

    /// Checks the server's version once, then runs whatever DDL is still pending, in
    /// order; stops at the first failure.
    async fn ensure_schema(&self) -> Result<(), SendError> {
        let mut pending = self.pending_ddl.lock().await;
        if !self.version_checked.load(Ordering::Acquire) {
            self.check_version().await?;
            self.version_checked.store(true, Ordering::Release);
        }
        while let Some(statement) = pending.first() {
            let request = self.request(
                self.url(DEFAULT_DATABASE, None, false),
                Bytes::from(statement.clone()),
                None,
            )?;
            let first_line = statement.lines().next().unwrap_or("").to_string();
            self.post(request, &format!("creating the schema ({first_line})"))
                .await?;
            pending.remove(0);
        }
        if self.known_resources.is_some() && !self.views_checked.load(Ordering::Acquire) {
            let request = self.request(
                self.url(DEFAULT_DATABASE, None, false),
                Bytes::from(self.schema.describe_views(&self.view_names())),
                None,
            )?;
            let answer = self.post(request, "checking the views").await?;
            self.schema
                .check_views(&String::from_utf8_lossy(&answer))
                .map_err(SendError::permanent)?;
            self.views_checked.store(true, Ordering::Release);
        }
        if self.signals.contains(&Signal::Traces) && !self.traces_checked.load(Ordering::Acquire) {
            let request = self.request(
                self.url(DEFAULT_DATABASE, None, false),
                Bytes::from(self.schema.describe_traces()),
                None,
            )?;
            let desc = self.post(request, "describing the traces table").await?;
            self.schema
                .traces_plan(&String::from_utf8_lossy(&desc))
                .map_err(SendError::permanent)?;
            self.traces_checked.store(true, Ordering::Release);
        }
        if self.signals.contains(&Signal::Metrics) && !self.metrics_checked.load(Ordering::Acquire)
        {
            for (table, columns) in self.schema.metric_table_columns() {
                let request = self.request(
                    self.url(DEFAULT_DATABASE, None, false),
                    Bytes::from(self.schema.describe_table(table)),
                    None,
                )?;
                let desc = self
                    .post(request, &format!("describing the metric table {table}"))
                    .await?;
                self.schema
                    .check_metric_table(table, &columns, &String::from_utf8_lossy(&desc))
                    .map_err(SendError::permanent)?;
            }
            self.metrics_checked.store(true, Ordering::Release);
        }
        if self.signals.contains(&Signal::Logs) && self.logs_plan.get().is_none() {
            let request = self.request(
                self.url(DEFAULT_DATABASE, None, false),
                Bytes::from(self.schema.describe_logs()),
                None,
            )?;
            let desc = self.post(request, "describing the logs table").await?;
            let plan = logs_plan(&self.schema, &String::from_utf8_lossy(&desc))
                .map_err(SendError::permanent)?;
            tracing::debug!(exporter = %self.exporter, insert = %plan.1, "logs insert");
            // Only this task sets it: the pending lock is held.
            let _ = self.logs_plan.set(plan);
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Sender for ClickHouseSender {
    async fn start(&self) -> Result<(), BoxError> {
        match self.ensure_schema().await {
            Ok(()) => Ok(()),
            // The server said no to the DDL itself: no insert can work either.
            Err(e) if e.is_permanent() => Err(e.into()),
            Err(e) => {
                tracing::warn!(
                    exporter = %self.exporter,
                    error = %e,
                    "ClickHouse is not reachable yet; the schema will be created before the first insert"
                );
                Ok(())
            }
        }
    }

    async fn send(&self, payload: Arc<Payload>) -> Result<(), SendError> {
        if !self.signals.contains(&payload.signal()) {
            return Err(SendError::permanent(format!(
                "the clickhouse exporter does not export {} yet",
                payload.signal()
            )));
        }
        self.ensure_schema().await?;
        let compress = self.compress;
        let log_columns = self
            .logs_plan
            .get()
            .map_or(LogColumns::ALL, |(cols, _)| *cols);
        let resources = match self.known_resources {
            Some(_) => ResourceCells::ids(),
            None => ResourceCells::Map,
        };
        let (batches, sets) = tokio::task::spawn_blocking(move || {
            encode_rows(&payload, compress, log_columns, resources)
        })
        .await
        .map_err(|e| SendError::permanent(format!("encoding task failed: {e}")))?
        .map_err(SendError::permanent)?;
        let (blocks, encoding) = match compress.wire() {
            Wire::Blocks => (true, None),
            Wire::ContentEncoding(e) => (false, Some(e)),
            Wire::Plain => (false, None),
        };
        self.write_resources(sets, (blocks, encoding)).await?;
        for batch in batches {
            if batch.rows == 0 {
                continue;
            }
            let request = self.request(
                self.url(
                    &self.database,
                    Some(match (batch.table, self.logs_plan.get()) {
                        (Table::Logs, Some((_, insert))) => insert,
                        (table, _) => self.inserts.statement(table),
                    }),
                    blocks,
                ),
                Bytes::from(batch.body),
                encoding,
            )?;
            self.post(
                request,
                &format!("inserting {} {}", batch.rows, batch.table.rows_noun()),
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding() {
        let mut out = String::new();
        url_encode(
            "INSERT INTO \"a\".\"b\" (x, Events.Name) FORMAT RowBinary",
            &mut out,
        );
        assert_eq!(
            out,
            "INSERT%20INTO%20%22a%22.%22b%22%20%28x%2C%20Events.Name%29%20FORMAT%20RowBinary"
        );
    }
}
