//! A MySQL exchange in the database conventions.
//!
//! COM_QUERY and the execution of a prepared statement whose text is known
//! are described from the statement as PostgreSQL's are
//! (`crate::postgres::describe_sql`: `SELECT users`, sanitised
//! `db.query.text`). Every other command is named after itself
//! (`COM_PING`, `COM_INIT_DB`, `COM_STMT_PREPARE`), which is its
//! `db.operation.name`; a prepare also carries its statement's
//! `db.query.text` and table, COM_INIT_DB its schema as `db.namespace`,
//! COM_FIELD_LIST its table. An ERR gives `db.response.status_code` and
//! `error.type`: the server's error number (`1146`).

use super::message::{Command, Request, Response};
use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::postgres::{describe_sql, SqlExchange};
use crate::sql::{self, Dialect};

pub(crate) fn describe(
    request: &Request,
    response: Option<&Response>,
    cx: DescribeContext<'_>,
) -> Description {
    let code = response.and_then(|r| r.error).map(|e| e.code.to_string());
    let system = request.system.as_str();
    let by_text = request.command == Command::QUERY || request.command.executes();
    if let (true, Some(text)) = (by_text, request.text.as_deref()) {
        return describe_sql(
            SqlExchange {
                system,
                dialect: Dialect::Mysql,
                text: Some(text),
                namespace: request.database.as_deref(),
                executions: 1,
                mixed: false,
                error: code.as_deref(),
            },
            cx,
        );
    }
    let operation = request.command.name().unwrap_or("COM_UNKNOWN");
    let mut d = Description::new(Family::Db, operation);
    d.attributes.push(Attribute::str("db.system.name", system));
    let namespace = match request.command {
        Command::INIT_DB => request.argument.as_deref(),
        _ => request.database.as_deref(),
    };
    if let Some(ns) = namespace {
        d.attributes.push(Attribute::str("db.namespace", ns));
    }
    d.attributes
        .push(Attribute::str("db.operation.name", operation));
    let collection = match request.command {
        Command::FIELD_LIST => request.argument.as_deref().map(str::to_owned),
        _ => request
            .text
            .as_deref()
            .and_then(|t| sql::summarize(t, Dialect::Mysql).collection),
    };
    if let Some(c) = collection {
        d.attributes.push(Attribute::str("db.collection.name", c));
    }
    if let Some(text) = request.text.as_deref() {
        let text = if cx.options.raw_query_text {
            text.to_owned()
        } else {
            sql::sanitize(text, Dialect::Mysql)
        };
        d.attributes.push(Attribute::str("db.query.text", text));
    }
    if let Some(code) = code {
        d.attributes
            .push(Attribute::str("db.response.status_code", code.clone()));
        d.fail(code);
    }
    d
}
