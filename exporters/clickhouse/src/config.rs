//! The `clickhouse` exporter's config: otelcol-contrib's `clickhouseexporter` keys and
//! defaults (`endpoint`, credentials, `database`, table names, `ttl`, `table_engine`,
//! `cluster_name`, `create_schema`, `compress`, `async_insert`), plus the shared
//! `timeout`, `retry_on_failure` and `sending_queue`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};
use sonde_exporterhelper::{QueueConfig, RetryConfig};
use sonde_netconfig::tls::TlsClientConfig;

/// The database contrib falls back to, and never creates.
pub const DEFAULT_DATABASE: &str = "default";

/// `compress`: how the insert body is compressed on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compress {
    /// ClickHouse's own compressed blocks; contrib's default, and its meaning of `true`
    /// and of an empty value.
    #[default]
    #[serde(alias = "true", alias = "")]
    Lz4,
    Zstd,
    Gzip,
    Deflate,
    Br,
    #[serde(alias = "false")]
    None,
}

/// `table_engine`: the `ENGINE` of every table created, `name(params)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableEngine {
    pub name: String,
    pub params: String,
}

impl Default for TableEngine {
    fn default() -> Self {
        TableEngine {
            name: "MergeTree".into(),
            params: String::new(),
        }
    }
}

impl TableEngine {
    /// `MergeTree()` when no name is given, as contrib (whose params then do not count).
    pub fn render(&self) -> String {
        if self.name.is_empty() {
            return "MergeTree()".into();
        }
        format!("{}({})", self.name, self.params)
    }
}

/// `smart_encoding`: DeepFlow's SmartEncoding of the resource columns (see
/// `crate::smart`). sonde's own key; contrib has no such option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmartEncoding {
    pub enabled: bool,
    /// The dictionary of resource attribute sets, shared by every signal.
    pub resources_table_name: String,
}

impl Default for SmartEncoding {
    fn default() -> Self {
        SmartEncoding {
            enabled: false,
            resources_table_name: "otel_resources".into(),
        }
    }
}

impl TableEngine {
    /// The engine of the resource dictionary: the `Replacing` variant of the
    /// configured MergeTree family, versioned by `LastSeen`, so repeated inserts of a
    /// resource collapse to one row. `None` for an engine outside the family.
    pub fn replacing(&self) -> Option<String> {
        let name = if self.name.is_empty() {
            "MergeTree"
        } else {
            self.name.as_str()
        };
        let family = name.strip_suffix("MergeTree")?;
        let family = family.strip_suffix("Replacing").unwrap_or(family);
        let params = if self.name.is_empty() || self.params.trim().is_empty() {
            "LastSeen".to_string()
        } else {
            format!("{}, LastSeen", self.params)
        };
        Some(format!("{family}ReplacingMergeTree({params})"))
    }
}

/// One entry of `metrics_tables`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricTable {
    pub name: String,
}

/// `metrics_tables`: a table per metric type; an empty name takes the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricTables {
    pub gauge: MetricTable,
    pub sum: MetricTable,
    pub summary: MetricTable,
    pub histogram: MetricTable,
    pub exponential_histogram: MetricTable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `http://host:8123` or `https://...`; a path names the database, the query
    /// string carries ClickHouse settings.
    pub endpoint: String,
    pub username: String,
    pub password: String,
    /// Wins over the endpoint's path unless it is `default`.
    pub database: String,
    pub tls: TlsClientConfig,
    /// Sent as settings in every request's query string.
    pub connection_params: BTreeMap<String, String>,
    pub logs_table_name: String,
    pub traces_table_name: String,
    /// Deprecated in contrib: the prefix of the metric tables when `metrics_tables`
    /// names none.
    pub metrics_table_name: String,
    pub metrics_tables: MetricTables,
    pub smart_encoding: SmartEncoding,
    /// 0 = keep forever.
    #[serde(with = "sonde_api::config::duration")]
    pub ttl: Duration,
    pub table_engine: TableEngine,
    /// Adds `ON CLUSTER <name>` to every DDL statement.
    pub cluster_name: String,
    /// Create the database and tables at start.
    pub create_schema: bool,
    pub compress: Compress,
    /// Sends `async_insert=1` unless the endpoint or `connection_params` set it.
    pub async_insert: bool,
    /// contrib's JSON-typed attribute columns (not supported yet).
    pub json: bool,
    /// Per attempt.
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    pub retry_on_failure: RetryConfig,
    pub sending_queue: QueueConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: String::new(),
            username: String::new(),
            password: String::new(),
            database: DEFAULT_DATABASE.into(),
            tls: TlsClientConfig::default(),
            connection_params: BTreeMap::new(),
            logs_table_name: "otel_logs".into(),
            traces_table_name: "otel_traces".into(),
            metrics_table_name: String::new(),
            metrics_tables: MetricTables::default(),
            smart_encoding: SmartEncoding::default(),
            ttl: Duration::ZERO,
            table_engine: TableEngine::default(),
            cluster_name: String::new(),
            create_schema: true,
            compress: Compress::Lz4,
            async_insert: true,
            json: false,
            timeout: Duration::from_secs(5),
            retry_on_failure: RetryConfig::default(),
            sending_queue: QueueConfig::default(),
        }
    }
}

/// The endpoint split into what requests need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host:port`, no credentials, no path, no query.
    pub base: String,
    /// `user[:password]@` of the URL, if any.
    pub user: Option<(String, String)>,
    /// The database named by the path, if any.
    pub database: Option<String>,
    /// The query string's pairs, as given.
    pub params: Vec<(String, String)>,
}

fn parse_endpoint(endpoint: &str) -> Result<Endpoint, ConfigError> {
    if endpoint.is_empty() {
        return Err(ConfigError::new(
            &["endpoint"],
            "endpoint must be specified",
        ));
    }
    let bad = |why: &str| {
        ConfigError::new(
            &["endpoint"],
            format!("endpoint must be url format: {endpoint:?}: {why}"),
        )
    };
    let uri: http::Uri = endpoint.parse().map_err(|e| bad(&format!("{e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(ConfigError::new(
                &["endpoint"],
                format!(
                    "scheme {other:?} is not supported: sonde speaks ClickHouse's HTTP \
                     interface (http:// or https://, port 8123 or 8443)"
                ),
            ))
        }
        None => return Err(bad("no scheme")),
    }
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(bad("no host"));
    };
    let (user, host) = match authority.as_str().rsplit_once('@') {
        Some((info, host)) => {
            let (name, password) = info.split_once(':').unwrap_or((info, ""));
            (Some((name.to_string(), password.to_string())), host)
        }
        None => (None, authority.as_str()),
    };
    let path = uri.path().trim_matches('/');
    let params = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect();
    Ok(Endpoint {
        base: format!("{scheme}://{host}"),
        user,
        database: (!path.is_empty()).then(|| path.to_string()),
        params,
    })
}

impl Config {
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        parse_endpoint(&self.endpoint)
    }

    /// The database tables are created in and inserted into: `database` unless it is
    /// `default`, else the endpoint's path, else `default` (contrib's precedence).
    pub fn database(&self) -> String {
        if !self.database.is_empty() && self.database != DEFAULT_DATABASE {
            return self.database.clone();
        }
        match self.endpoint().ok().and_then(|e| e.database) {
            Some(db) => db,
            None => DEFAULT_DATABASE.into(),
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let endpoint = self.endpoint()?;
        if self.traces_table_name.is_empty() {
            return Err(ConfigError::new(
                &["traces_table_name"],
                "traces_table_name must not be empty",
            ));
        }
        if self.smart_encoding.enabled {
            if self.smart_encoding.resources_table_name.is_empty() {
                return Err(ConfigError::new(
                    &["smart_encoding", "resources_table_name"],
                    "resources_table_name must not be empty",
                ));
            }
            if self.table_engine.replacing().is_none() {
                return Err(ConfigError::new(
                    &["table_engine", "name"],
                    format!(
                        "smart_encoding needs a MergeTree-family table engine for its \
                         resource dictionary, not {:?}",
                        self.table_engine.name
                    ),
                ));
            }
        }
        if self.json {
            return Err(ConfigError::new(
                &["json"],
                "json: true is not supported yet",
            ));
        }
        match self.compress {
            Compress::Lz4
            | Compress::Zstd
            | Compress::Gzip
            | Compress::Deflate
            | Compress::None => {}
            Compress::Br => {
                return Err(ConfigError::new(
                    &["compress"],
                    "compress: br is not supported yet (use lz4, zstd, gzip, deflate or none)",
                ))
            }
        }
        if endpoint.database.is_some_and(|db| db.contains('/')) {
            return Err(ConfigError::new(
                &["endpoint"],
                "the endpoint's path names the database: one segment at most",
            ));
        }
        self.tls.validate().map_err(|e| e.under(&["tls"]))?;
        sonde_exporterhelper::config::validate(&self.retry_on_failure, &self.sending_queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn decode_str(s: &str) -> Result<Config, ConfigError> {
        decode(&serde_yaml::from_str(s).unwrap())
    }

    #[test]
    fn defaults_are_contribs() {
        let c = decode_str("endpoint: http://127.0.0.1:8123").unwrap();
        assert_eq!(c.database, "default");
        assert_eq!(c.database(), "default");
        assert_eq!(c.traces_table_name, "otel_traces");
        assert_eq!(c.logs_table_name, "otel_logs");
        assert!(c.create_schema);
        assert!(c.async_insert);
        assert_eq!(c.compress, Compress::Lz4);
        assert_eq!(c.ttl, Duration::ZERO);
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.table_engine.render(), "MergeTree()");
        assert_eq!(c.cluster_name, "");
        assert_eq!(c.sending_queue.queue_size, 1000);
        assert_eq!(c.retry_on_failure.initial_interval, Duration::from_secs(5));
    }

    #[test]
    fn database_precedence() {
        let c = decode_str("endpoint: http://ch:8123/otel").unwrap();
        assert_eq!(c.database(), "otel");
        let c = decode_str("{endpoint: 'http://ch:8123/otel', database: mine}").unwrap();
        assert_eq!(c.database(), "mine");
        let c = decode_str("{endpoint: 'http://ch:8123', database: otel}").unwrap();
        assert_eq!(c.database(), "otel");
    }

    #[test]
    fn endpoint_parts() {
        let c = decode_str("endpoint: 'https://u@ch.example:8443/otel?max_threads=2&x'").unwrap();
        let e = c.endpoint().unwrap();
        assert_eq!(e.base, "https://ch.example:8443");
        assert_eq!(e.user, Some(("u".to_string(), String::new())));
        assert_eq!(e.database.as_deref(), Some("otel"));
        assert_eq!(
            e.params,
            vec![
                ("max_threads".to_string(), "2".to_string()),
                ("x".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn compress_values() {
        for (text, want) in [
            ("lz4", Compress::Lz4),
            ("'true'", Compress::Lz4),
            ("''", Compress::Lz4),
            ("zstd", Compress::Zstd),
            ("gzip", Compress::Gzip),
            ("deflate", Compress::Deflate),
            ("none", Compress::None),
        ] {
            let c =
                decode_str(&format!("{{endpoint: 'http://a:8123', compress: {text}}}")).unwrap();
            assert_eq!(c.compress, want, "{text}");
        }
        assert_eq!(
            decode_str("{endpoint: 'http://a:8123', compress: br}")
                .unwrap_err()
                .to_string(),
            "compress: compress: br is not supported yet (use lz4, zstd, gzip, deflate or none)"
        );
    }

    #[test]
    fn errors_name_their_key() {
        assert_eq!(
            decode_str("{}").unwrap_err().to_string(),
            "endpoint: endpoint must be specified"
        );
        assert_eq!(
            decode_str("endpoint: tcp://127.0.0.1:9000")
                .unwrap_err()
                .to_string(),
            "endpoint: scheme \"tcp\" is not supported: sonde speaks ClickHouse's HTTP \
             interface (http:// or https://, port 8123 or 8443)"
        );
        assert_eq!(
            decode_str("{endpoint: 'http://a:8123', table_engine: {name: X, bogus: 1}}")
                .unwrap_err()
                .to_string(),
            "'table_engine' has invalid keys: bogus"
        );
        assert_eq!(
            decode_str("{endpoint: 'http://a:8123', ttl_days: 3}")
                .unwrap_err()
                .to_string(),
            "'' has invalid keys: ttl_days"
        );
        assert_eq!(
            decode_str("{endpoint: 'http://a:8123', metrics_tables: {gauge: {nam: x}}}")
                .unwrap_err()
                .to_string(),
            "'metrics_tables.gauge' has invalid keys: nam"
        );
        assert_eq!(
            decode_str("{endpoint: 'http://a:8123', json: true}")
                .unwrap_err()
                .to_string(),
            "json: json: true is not supported yet"
        );
    }

    #[test]
    fn table_engine() {
        let c = decode_str(
            "{endpoint: 'http://a:8123', table_engine: {name: ReplicatedMergeTree, params: \"'/ch/{shard}/t', '{replica}'\"}}",
        )
        .unwrap();
        assert_eq!(
            c.table_engine.render(),
            "ReplicatedMergeTree('/ch/{shard}/t', '{replica}')"
        );
    }
}
