//! Turns what is known about a process into its OTLP resource, with the
//! OpenTelemetry semantic-convention attributes in a fixed order.

use std::sync::Arc;

use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};
use sonde_api::pdata::resource::v1::Resource;

use super::procfs::ProcFacts;
use super::ProcessResource;

pub const SERVICE_NAME: &str = "service.name";
pub const PROCESS_PID: &str = "process.pid";
pub const PROCESS_EXECUTABLE_NAME: &str = "process.executable.name";
pub const PROCESS_EXECUTABLE_PATH: &str = "process.executable.path";
pub const PROCESS_COMMAND_LINE: &str = "process.command_line";
pub const HOST_NAME: &str = "host.name";
pub const CONTAINER_ID: &str = "container.id";

/// What the table knew about a process apart from procfs.
pub(crate) struct Known<'a> {
    pub pid: u32,
    pub key: u64,
    /// The kernel's task name.
    pub comm: &'a str,
    /// The path given to the last exec, if one was seen.
    pub exec_filename: Option<&'a str>,
    /// Empty when unknown.
    pub host_name: &'a str,
}

/// The resource of a process from its procfs facts, falling back on what the
/// kernel's events said when procfs could not tell (the process is gone).
pub(crate) fn describe(known: Known<'_>, facts: ProcFacts) -> ProcessResource {
    let executable_path = facts
        .executable_path
        .or_else(|| known.exec_filename.map(str::to_owned))
        .filter(|path| !path.is_empty());
    let executable_name = executable_path
        .as_deref()
        .map(basename)
        .filter(|name| !name.is_empty())
        .unwrap_or(known.comm)
        .to_owned();
    let service_name = facts
        .service_name
        .unwrap_or_else(|| executable_name.clone());

    let mut attributes = vec![
        string(SERVICE_NAME, service_name.clone()),
        int(PROCESS_PID, i64::from(known.pid)),
        string(PROCESS_EXECUTABLE_NAME, executable_name),
    ];
    attributes.extend(executable_path.map(|path| string(PROCESS_EXECUTABLE_PATH, path)));
    attributes.extend(
        facts
            .command_line
            .map(|line| string(PROCESS_COMMAND_LINE, line)),
    );
    if !known.host_name.is_empty() {
        attributes.push(string(HOST_NAME, known.host_name.to_owned()));
    }
    attributes.extend(facts.container_id.map(|id| string(CONTAINER_ID, id)));

    ProcessResource {
        pid: known.pid,
        key: known.key,
        service_name,
        resource: Arc::new(Resource {
            attributes,
            ..Default::default()
        }),
    }
}

/// The last component of a path (`./bin/app` -> `app`).
fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn string(key: &str, value: String) -> KeyValue {
    attribute(key, any_value::Value::StringValue(value))
}

fn int(key: &str, value: i64) -> KeyValue {
    attribute(key, any_value::Value::IntValue(value))
}

fn attribute(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}
