//! Validation of whole configs: every error names its path in otelcol's words.

#[path = "support/nop.rs"]
mod nop;

use sonde_api::Signal;
use sonde_service::plan::plan;

const BASE: &str = "
receivers: {nop: {}}
processors: {nop: {}}
exporters: {nop: {}}
extensions: {nop: {}}
service:
  extensions: [nop]
  pipelines:
    traces: {receivers: [nop], processors: [nop], exporters: [nop]}
";

fn check(yaml: &str) -> Result<sonde_service::plan::Plan, String> {
    let tree: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    plan(&tree, &nop::registry())
}

fn err(yaml: &str) -> String {
    check(yaml).unwrap_err()
}

#[test]
fn a_good_config_plans_every_pipeline() {
    let config = BASE.replace("receivers: {nop: {}}", "receivers: {nop: {}, nop_alias: {}}")
        + "    metrics/2: {receivers: [nop_alias], exporters: [nop]}\n    logs: {receivers: [nop], exporters: [nop]}\n";
    let p = check(&config).unwrap();
    let ids: Vec<(&str, Signal)> = p
        .pipelines
        .iter()
        .map(|p| (p.id.as_str(), p.signal))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("logs", Signal::Logs),
            ("metrics/2", Signal::Metrics),
            ("traces", Signal::Traces)
        ]
    );
    assert_eq!(p.receivers.len(), 2);
    assert_eq!(p.service_extensions.len(), 1);
}

#[test]
fn null_component_config_is_the_default() {
    assert!(check("receivers: {nop: }\nexporters: {nop: }\nservice: {pipelines: {traces: {receivers: [nop], exporters: [nop]}}}").is_ok());
}

#[test]
fn unknown_top_level_key() {
    assert_eq!(
        err(&format!("{BASE}recievers: {{}}")),
        "'' has invalid keys: recievers"
    );
}

#[test]
fn unknown_component_key() {
    assert_eq!(
        err(&BASE.replace("receivers: {nop: {}}", "receivers: {nop: {foo: 1}}")),
        "'receivers.nop' has invalid keys: foo"
    );
}

#[test]
fn component_validation_names_the_path() {
    assert_eq!(
        err(&BASE.replace("processors: {nop: {}}", "processors: {nop: {size: 101}}")),
        "processors::nop::size: must be at most 100"
    );
    assert_eq!(
        err(&BASE.replace("exporters: {nop: {}}", "exporters: {nop: {size: big}}")),
        "exporters::nop::size: invalid type: string \"big\", expected u32"
    );
}

#[test]
fn unknown_type() {
    assert_eq!(
        err(&BASE.replace("receivers: {nop: {}}", "receivers: {nop: {}, foo/1: {}}")),
        "error decoding 'receivers': unknown type: \"foo\" for id: \"foo/1\" (valid values: [nop tracesonly])"
    );
}

#[test]
fn pipeline_references() {
    assert_eq!(
        err(&BASE.replace("processors: [nop]", "processors: [nop/2]")),
        "service::pipelines::traces: references processor \"nop/2\" which is not configured"
    );
    assert_eq!(
        err(&BASE.replace("receivers: [nop]", "receivers: [nope]")),
        "service::pipelines::traces: references receiver \"nope\" which is not configured"
    );
    assert_eq!(
        err(&BASE.replace("exporters: [nop]", "exporters: [nop, nop]")),
        "service::pipelines::traces: references exporter \"nop\" multiple times"
    );
    assert_eq!(
        err(&BASE.replace("extensions: [nop]", "extensions: [health]")),
        "service::extensions: references extension \"health\" which is not configured"
    );
}

#[test]
fn pipeline_shape() {
    assert_eq!(
        err(&BASE.replace("receivers: [nop], ", "")),
        "service::pipelines::traces: must have at least one receiver"
    );
    assert_eq!(
        err(&BASE.replace(", exporters: [nop]", "")),
        "service::pipelines::traces: must have at least one exporter"
    );
    assert_eq!(
        err("receivers: {nop: }\nexporters: {nop: }\nservice: {pipelines: {}}"),
        "service must have at least one pipeline"
    );
    assert_eq!(
        err(&BASE.replace("traces:", "spans:")),
        "service::pipelines: unknown signal \"spans\" in pipeline id \"spans\" (traces, metrics or logs)"
    );
    assert_eq!(
        err(&BASE
            .replace("receivers: {nop: {}}", "receivers: {tracesonly: {}}")
            .replace(
                "traces: {receivers: [nop]",
                "logs: {receivers: [tracesonly]"
            )),
        "service::pipelines::logs: receiver \"tracesonly\" does not support logs"
    );
}

#[test]
fn telemetry_settings() {
    assert_eq!(
        err(&format!("{BASE}  telemetry: {{logs: {{level: loud}}}}")),
        "service::telemetry::logs::level: unrecognized level: \"loud\""
    );
    let p = check(&format!("{BASE}  telemetry: {{metrics: {{readers: [{{pull: {{exporter: {{prometheus: {{host: 127.0.0.1, port: 9999}}}}}}}}]}}}}")).unwrap();
    assert_eq!(
        p.telemetry.metrics.endpoint().unwrap().as_deref(),
        Some("127.0.0.1:9999")
    );
    let p = check(&format!("{BASE}  telemetry: {{metrics: {{level: none}}}}")).unwrap();
    assert_eq!(p.telemetry.metrics.endpoint().unwrap(), None);
}
