//! The command line, run as a user would: exit codes, printed errors, listings.

use std::process::Command;

fn sonde(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "yaml:
receivers: {otlp: {protocols: {grpc: , http: }}}
processors: {batch: }
exporters: {otlp: {endpoint: 'backend:4317', headers: {authorization: Bearer s3cret}}, debug: }
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [otlp, debug]}
";

#[test]
fn validate_accepts_a_good_config() {
    let (code, out, err) = sonde(&["validate", "--config", GOOD]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

/// The config `./run.sh` starts with.
#[test]
fn validate_accepts_the_default_config() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/default.yaml");
    let (code, out, err) = sonde(&["validate", "--config", path]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn validate_names_the_broken_reference() {
    let broken = GOOD.replace("processors: [batch]", "processors: [nop]");
    let (code, _, err) = sonde(&["validate", "--config", &broken]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error: service::pipelines::traces: references processor \"nop\" which is not configured\n"
    );
}

#[test]
fn set_is_applied_last() {
    let (code, _, err) = sonde(&[
        "validate",
        "--config",
        GOOD,
        "--set",
        "processors::batch::bogus=1",
    ]);
    assert_eq!(
        (code, err.as_str()),
        (1, "Error: 'processors.batch' has invalid keys: bogus\n")
    );
}

#[test]
fn components_lists_every_built_in() {
    let (code, out, _) = sonde(&["components"]);
    assert_eq!(code, 0);
    let listing: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
    let names = |kind: &str| -> Vec<String> {
        listing[kind]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("receivers"),
        vec![
            "deepflow",
            "ebpf",
            "influxdb",
            "otlp",
            "prometheusremotewrite",
            "skywalking"
        ]
    );
    assert_eq!(
        names("processors"),
        vec!["autotag", "batch", "memory_limiter"]
    );
    assert_eq!(
        names("exporters"),
        vec!["clickhouse", "debug", "otlp", "otlphttp"]
    );
    assert_eq!(names("extensions"), vec!["health_check", "query"]);
    // Per signal, as otelcol prints it: traces, metrics, logs (Undefined when not made).
    let stability = |name: &str| -> [String; 3] {
        let receiver = listing["receivers"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .unwrap();
        ["traces", "metrics", "logs"]
            .map(|signal| receiver["stability"][signal].as_str().unwrap().to_string())
    };
    assert_eq!(stability("otlp"), ["Stable", "Stable", "Stable"]);
    assert_eq!(stability("influxdb"), ["Undefined", "Alpha", "Undefined"]);
    assert_eq!(stability("deepflow"), ["Alpha", "Alpha", "Undefined"]);
    assert_eq!(stability("skywalking"), ["Beta", "Undefined", "Undefined"]);
    assert_eq!(
        stability("prometheusremotewrite"),
        ["Undefined", "Alpha", "Undefined"]
    );
    // The eBPF receiver makes traces and metrics.
    assert_eq!(stability("ebpf"), ["Alpha", "Alpha", "Undefined"]);
}

#[test]
fn print_config_redacts_secrets() {
    let (code, out, _) = sonde(&["print-config", "--config", GOOD]);
    assert_eq!(code, 0);
    let tree: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
    assert_eq!(
        tree["exporters"]["otlp"]["headers"]["authorization"].as_str(),
        Some("[REDACTED]")
    );
    assert_eq!(
        tree["exporters"]["otlp"]["endpoint"].as_str(),
        Some("backend:4317")
    );
    let (_, out, _) = sonde(&["print-config", "--mode", "unredacted", "--config", GOOD]);
    assert!(out.contains("Bearer s3cret"), "{out}");
}

#[test]
fn version_and_help() {
    let (code, out, _) = sonde(&["--version"]);
    assert_eq!(
        (code, out.trim()),
        (0, concat!("sonde ", env!("CARGO_PKG_VERSION")))
    );
    let (code, out, _) = sonde(&["--help"]);
    assert_eq!(code, 0);
    for word in [
        "validate",
        "components",
        "print-config",
        "--config",
        "--set",
    ] {
        assert!(out.contains(word), "help lacks {word}: {out}");
    }
}

#[test]
fn json_logs_and_a_clean_exit_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let config = "yaml:
receivers: {otlp: {protocols: {grpc: {endpoint: '127.0.0.1:0'}}}}
exporters: {debug: }
service:
  telemetry: {logs: {encoding: json}, metrics: {level: none}}
  pipelines: {logs: {receivers: [otlp], exporters: [debug]}}
";
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["--config", config])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let ready = line.contains("Everything is ready");
        seen.push(line);
        if ready {
            break;
        }
    }
    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    seen.extend(lines.map(|l| l.unwrap()));
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let messages: Vec<String> = seen
        .iter()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["message"].as_str().unwrap().to_string()
        })
        .collect();
    for expected in [
        "Everything is ready. Begin running and processing data.",
        "Received signal from OS: terminated",
        "Shutdown complete.",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "{expected:?} not in {messages:?}"
        );
    }
}
