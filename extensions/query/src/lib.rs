//! The query extension (`query`): a thin, read-only HTTP front over the ClickHouse
//! tables the clickhouse exporter writes.
//!
//! * `POST /v1/query` with `sql` (form field or JSON body) answers DeepFlow's querier
//!   envelope, `{"OPT_STATUS":"SUCCESS","DESCRIPTION":"","result":{"columns":[...],
//!   "values":[[...]]}}`. One SELECT / SHOW / DESCRIBE / EXPLAIN statement only, run
//!   with `readonly=1` and bounded rows, bytes and time.
//! * `GET /api/traces/{trace_id}` answers every span of the trace as OTLP/JSON.
//!
//! Layout: [`config`] (keys and defaults), [`classify`] (which SQL may run, pure),
//! [`request`] (the `sql` of a body), [`envelope`] (the answer's shape), [`traces`]
//! (the trace look-up and its OTLP form), [`auth`] (the optional client check),
//! [`clickhouse`] (the request to ClickHouse), [`server`] (routes and lifecycle).

pub mod auth;
pub mod classify;
pub mod clickhouse;
pub mod config;
pub mod envelope;
pub mod request;
pub mod server;
pub mod traces;

use std::sync::Arc;

use sonde_api::component::{ExtensionFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, Lifecycle, Stability};

use crate::config::Config;
use crate::server::QueryService;

pub fn factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(QueryFactory)
}

struct QueryFactory;

impl TypedFactory for QueryFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "query";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ExtensionFactory for QueryFactory {
    fn stability(&self) -> Stability {
        Stability::Alpha
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        Ok(Arc::new(QueryService::new(settings.id, config)))
    }
}

#[cfg(test)]
mod tests;
