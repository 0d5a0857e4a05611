//! SmartEncoding's schema: the resource dictionary, the fact tables and the views
//! that give them back their standard names and columns.
//!
//! With `smart_encoding` on, each table sonde writes (`otel_traces`, `otel_logs`,
//! the five metric tables) is created as `<name>_facts`, with the same columns but
//! `ResourceId UInt64` where `ResourceAttributes` was (and without the two skip
//! indexes on the resource map, which the fact table no longer has). The resource
//! attribute sets go once each into the dictionary table (`otel_resources`: the id,
//! the map, when it was last written), and `<name>` becomes a view that joins the
//! dictionary back, column for column in the standard order, so Grafana and queries
//! written for contrib's schema read it unchanged. `otel_traces_trace_id_ts` is
//! filled from the fact table.
//!
//! The fact tables are made by rewriting the standard DDL rather than written twice:
//! every column, codec, index and key but the resource map stays contrib's.

use super::plan::ColumnSpec;
use super::{quote, ttl_expr, SchemaParams};

/// The fact tables' suffix.
pub const FACTS_SUFFIX: &str = "_facts";

/// The standard resource column, and what the fact tables hold instead.
const RESOURCE_MAP: &str = "ResourceAttributes";
const RESOURCE_ID: &str = "ResourceId";
const RESOURCE_MAP_DEF: &str =
    "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n";
const RESOURCE_ID_DEF: &str = "    ResourceId UInt64 CODEC(ZSTD(1)),\n";

/// The dictionary's columns, in insert order.
pub const RESOURCES_INSERT_COLUMNS: [&str; 3] = [RESOURCE_ID, RESOURCE_MAP, "LastSeen"];

/// What SmartEncoding adds to the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmartSchema {
    /// The dictionary table (`smart_encoding.resources_table_name`).
    pub resources_table: String,
    /// Its engine: the `Replacing` variant of `table_engine`, versioned by `LastSeen`.
    pub engine: String,
}

/// `'text'`, as ClickHouse reads a string literal.
fn literal(text: &str) -> String {
    super::enclose(text, '\'')
}

/// The column names of a `CREATE TABLE` statement, in order, `Nested` ones flattened
/// (`Events.Timestamp`): what a `SELECT *` of the table lists. Reads the statements
/// this module's siblings write: one column per line, a `Nested (` block's fields one
/// per line up to its closing `)`, skip indexes after the columns.
pub fn column_names(create: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut nested: Option<String> = None;
    for line in create.lines().skip(1) {
        let line = line.trim();
        if line.is_empty() || line.starts_with("INDEX ") {
            continue;
        }
        if line.starts_with(')') {
            if nested.take().is_none() {
                break;
            }
            continue;
        }
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        match &nested {
            Some(prefix) => out.push(format!("{prefix}.{name}")),
            None if line.contains(" Nested (") => nested = Some(name.to_string()),
            None => out.push(name.to_string()),
        }
    }
    out
}

impl SchemaParams {
    /// `"db"."name"` of the table that holds `table`'s rows: `table` itself, or its
    /// fact table with SmartEncoding.
    pub fn fact(&self, table: &str) -> String {
        match self.smart {
            Some(_) => self.qualified(&format!("{table}{FACTS_SUFFIX}")),
            None => self.qualified(table),
        }
    }

    /// A standard `CREATE TABLE` turned into its fact table's with SmartEncoding (the
    /// name is already the fact table's, see [`SchemaParams::fact`]); unchanged
    /// without.
    pub(crate) fn fact_table(&self, create: String) -> String {
        if self.smart.is_none() {
            return create;
        }
        let create = create.replace(RESOURCE_MAP_DEF, RESOURCE_ID_DEF);
        let mut out = String::with_capacity(create.len());
        for line in create.split_inclusive('\n') {
            if !line.contains("INDEX idx_res_attr_") {
                out.push_str(line);
            }
        }
        out
    }

    /// The column a standard column is written as: `ResourceId` for
    /// `ResourceAttributes` with SmartEncoding.
    pub fn column<'a>(&self, name: &'a str) -> &'a str {
        match (&self.smart, name) {
            (Some(_), RESOURCE_MAP) => RESOURCE_ID,
            _ => name,
        }
    }

    /// A table's column specs as written: the resource map becomes its id.
    pub fn specs(&self, specs: &[ColumnSpec]) -> Vec<ColumnSpec> {
        specs
            .iter()
            .map(|spec| match (&self.smart, spec.name) {
                (Some(_), RESOURCE_MAP) => ColumnSpec {
                    name: RESOURCE_ID,
                    ty: "UInt64",
                    optional: spec.optional,
                },
                _ => *spec,
            })
            .collect()
    }

    /// `"db"."otel_resources"`, with SmartEncoding.
    pub fn resources_table(&self) -> Option<String> {
        let smart = self.smart.as_ref()?;
        Some(self.qualified(&smart.resources_table))
    }

    /// The dictionary: one row per resource attribute set and id. A set is written
    /// again now and then (see `crate::smart`), and the engine keeps the latest
    /// `LastSeen`; with a `ttl`, a set unseen for that long expires like the rows
    /// that used it.
    pub fn create_resources_table(&self) -> Option<String> {
        let smart = self.smart.as_ref()?;
        let mut out = format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n\
             \x20   ResourceId UInt64,\n\
             \x20   ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n\
             \x20   LastSeen DateTime CODEC(Delta, ZSTD(1))\n\
             ) ENGINE = {}\n\
             ORDER BY ResourceId\n",
            self.qualified(&smart.resources_table),
            self.on_cluster(),
            smart.engine,
        );
        if let Some(ttl) = ttl_expr(self.ttl, "LastSeen") {
            out.push_str(&ttl);
            out.push('\n');
        }
        out.push_str("SETTINGS index_granularity = 8192");
        Some(out)
    }

    /// The view named `table` over its fact table (whose DDL is `facts`): the
    /// standard columns in the standard order, `ResourceAttributes` joined from the
    /// dictionary. `ANY` join: a set written twice and not yet merged is one match.
    pub fn create_view(&self, table: &str, facts: &str) -> Option<String> {
        let smart = self.smart.as_ref()?;
        let columns: Vec<String> = column_names(facts)
            .iter()
            .map(|name| {
                let name = if name == RESOURCE_ID {
                    RESOURCE_MAP
                } else {
                    name
                };
                quote(name)
            })
            .collect();
        Some(format!(
            "CREATE VIEW IF NOT EXISTS {}{} AS\nSELECT\n    {}\nFROM {}\n\
             ANY LEFT JOIN (SELECT ResourceId, ResourceAttributes FROM {}) AS resources USING (ResourceId)",
            self.qualified(table),
            self.on_cluster(),
            columns.join(",\n    "),
            self.fact(table),
            self.qualified(&smart.resources_table),
        ))
    }

    /// Asks which of `tables` exist and with which engine; see
    /// [`SchemaParams::check_views`].
    pub fn describe_views(&self, tables: &[&str]) -> String {
        let names: Vec<String> = tables.iter().map(|t| literal(t)).collect();
        format!(
            "SELECT name, engine FROM system.tables WHERE database = {} AND name IN ({}) \
             FORMAT TabSeparated",
            literal(&self.database),
            names.join(", ")
        )
    }

    /// A table of a standard name that is not a view (made before SmartEncoding was
    /// turned on) would keep `CREATE VIEW IF NOT EXISTS` from making the view, and
    /// the rows would go where that name does not show them: refused, with what to do.
    pub fn check_views(&self, answer: &str) -> Result<(), String> {
        for line in answer.lines() {
            let mut fields = line.split('\t');
            let (Some(name), Some(engine)) = (fields.next(), fields.next()) else {
                continue;
            };
            if engine != "View" {
                return Err(format!(
                    "table {} is a {engine} table, but smart_encoding reads the data \
                     through a view of that name over {}: rename or drop the table, or \
                     choose other table names",
                    self.qualified(name),
                    self.fact(name)
                ));
            }
        }
        Ok(())
    }

    /// The dictionary's insert.
    pub fn resources_insert(&self) -> Option<String> {
        let table = self.resources_table()?;
        Some(format!(
            "INSERT INTO {table} ({}) FORMAT RowBinary",
            RESOURCES_INSERT_COLUMNS.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests;
