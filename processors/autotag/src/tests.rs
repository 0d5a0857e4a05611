use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonde_api::pdata::common::v1::{any_value::Value, AnyValue, KeyValue};
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::pdata::{logs, metrics, trace, Encoded};
use sonde_api::pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};
use sonde_api::{async_trait, ClientInfo, ConsumeError, Consumer, Context, Payload, Signal};

use super::*;

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

/// What the lookup finds for the client at 127.0.0.1:5000.
fn process_tags() -> Resource {
    Resource {
        attributes: vec![
            text("service.name", "from-proc"),
            kv("process.pid", Value::IntValue(4321)),
            text("process.executable.name", "python3"),
            text("host.name", "node-1"),
            text("container.id", "abc123"),
        ],
        ..Default::default()
    }
}

fn lookup() -> Arc<Lookup> {
    let tags = Arc::new(process_tags());
    let resolve: Resolve =
        Arc::new(move |addr: SocketAddr| (addr.port() == 5000).then(|| Arc::clone(&tags)));
    Arc::new(Lookup::new(
        resolve,
        Duration::from_secs(60),
        Duration::from_secs(10),
    ))
}

#[derive(Default)]
struct Sink(Mutex<Vec<Payload>>);

#[async_trait]
impl Consumer for Sink {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        self.0.lock().unwrap().push(payload);
        Ok(())
    }
}

fn from(port: u16) -> Context {
    Context {
        client: Some(Arc::new(ClientInfo {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            metadata: Vec::new(),
        })),
    }
}

/// Traces from an SDK that named its service and set its own host.name.
fn sdk_traces() -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![trace::v1::ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "checkout"),
                    text("host.name", "sdk-host"),
                ],
                ..Default::default()
            }),
            ..Default::default()
        }],
    })
}

async fn run(payload: Payload, ctx: Context) -> Payload {
    let sink = Arc::new(Sink::default());
    let processor = AutoTag::new(lookup(), None, sink.clone());
    processor.consume(payload, ctx).await.unwrap();
    let mut got = sink.0.lock().unwrap();
    assert_eq!(got.len(), 1);
    got.remove(0)
}

fn resources(payload: &Payload) -> Vec<Vec<KeyValue>> {
    let attributes = |resource: &Option<Resource>| {
        resource
            .as_ref()
            .map(|r| r.attributes.clone())
            .unwrap_or_default()
    };
    match payload {
        Payload::Traces(r) => r
            .resource_spans
            .iter()
            .map(|x| attributes(&x.resource))
            .collect(),
        Payload::Metrics(r) => r
            .resource_metrics
            .iter()
            .map(|x| attributes(&x.resource))
            .collect(),
        Payload::Logs(r) => r
            .resource_logs
            .iter()
            .map(|x| attributes(&x.resource))
            .collect(),
        Payload::Encoded(_) => panic!("still encoded"),
    }
}

#[tokio::test]
async fn the_senders_attributes_win_and_the_rest_are_added() {
    let got = run(sdk_traces(), from(5000)).await;
    assert_eq!(
        resources(&got),
        [vec![
            text("service.name", "checkout"),
            text("host.name", "sdk-host"),
            kv("process.pid", Value::IntValue(4321)),
            text("process.executable.name", "python3"),
            text("container.id", "abc123"),
        ]]
    );
}

#[tokio::test]
async fn a_remote_or_unknown_client_leaves_data_as_it_came() {
    assert_eq!(run(sdk_traces(), from(6000)).await, sdk_traces());
    assert_eq!(run(sdk_traces(), Context::default()).await, sdk_traces());
}

#[tokio::test]
async fn encoded_metrics_and_logs_without_a_resource_are_tagged() {
    let metrics = Payload::Metrics(ExportMetricsServiceRequest {
        resource_metrics: vec![metrics::v1::ResourceMetrics::default()],
    });
    let encoded = Payload::Encoded(Encoded::encode(&metrics));
    let logs = Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![logs::v1::ResourceLogs::default(); 2],
    });
    let expected = process_tags().attributes;
    let got = run(encoded, from(5000)).await;
    assert_eq!(got.signal(), Signal::Metrics);
    assert_eq!(resources(&got), std::slice::from_ref(&expected));
    assert_eq!(
        resources(&run(logs, from(5000)).await),
        [expected.clone(), expected]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn procfs_finds_this_test_behind_a_real_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_server_side, peer) = listener.accept().unwrap();
    let config = Config {
        host_name: "test-host".into(),
        ..Default::default()
    };
    let resolve = procfs_resolver(&config);
    let found = tokio::task::spawn_blocking(move || resolve(peer))
        .await
        .unwrap()
        .unwrap();
    let value = |key: &str| {
        found
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
            .and_then(|v| v.value)
    };
    assert_eq!(
        value("process.pid"),
        Some(Value::IntValue(i64::from(std::process::id())))
    );
    assert_eq!(
        value("host.name"),
        Some(Value::StringValue("test-host".into()))
    );
    let exe = std::env::current_exe().unwrap();
    assert_eq!(
        value("process.executable.path"),
        Some(Value::StringValue(exe.to_string_lossy().into_owned()))
    );
}

fn decode(yaml: &str) -> Result<Config, String> {
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    sonde_api::config::decode(&value).map_err(|e| e.to_string())
}

#[test]
fn config_keys_defaults_and_errors() {
    let config = decode("cache_ttl: 5s").unwrap();
    assert_eq!(config.cache_ttl, Duration::from_secs(5));
    assert_eq!(config.lookup_timeout, Duration::from_millis(200));
    assert_eq!(config.kubernetes, None);
    // Written back (print-config), an absent section stays absent, not `null` (on).
    let written = serde_yaml::to_string(&config).unwrap();
    assert_eq!(decode(&written).unwrap(), config);
    // An empty section turns Kubernetes on with the defaults.
    let k8s = decode("kubernetes:").unwrap().kubernetes.unwrap();
    assert_eq!(k8s, crate::kubernetes::config::KubernetesConfig::default());
    assert_eq!(
        k8s.extract.metadata,
        crate::kubernetes::config::DEFAULT_METADATA
    );
    assert_eq!(
        decode("cache_ttl: 0s").unwrap_err(),
        "cache_ttl: 'cache_ttl' must be greater than zero"
    );
    assert_eq!(
        decode("kubernetes: {extract: {metadata: [k8s.pod.name, k8s.pod.colour]}}").unwrap_err(),
        "kubernetes::extract::metadata: \"k8s.pod.colour\" is not a supported metadata field"
    );
    assert_eq!(
        decode("kubernetes: {extract: {labels: [{key: app, from: node}]}}").unwrap_err(),
        "kubernetes::extract::labels::from: \"node\" is not supported: only \"pod\" labels are extracted"
    );
    assert_eq!(
        decode("kubernetes: {auth_type: token}").unwrap_err(),
        "kubernetes::auth_type: unknown variant `token`, expected one of `none`, `serviceAccount`, `kubeConfig`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ebpf_receivers_table_answers_first() {
    // A connection the eBPF receiver saw: the table names this very process for
    // an address no socket has, so only the table can have answered.
    let seen: SocketAddr = "127.0.0.9:1".parse().unwrap();
    sonde_processtags::socket_owners().connected(seen, std::process::id());
    let resolve = procfs_resolver(&Config::default());
    let found = tokio::task::spawn_blocking(move || resolve(seen))
        .await
        .unwrap();
    sonde_processtags::socket_owners().closed(seen);
    let pid = found
        .unwrap()
        .attributes
        .iter()
        .find(|kv| kv.key == "process.pid")
        .cloned();
    assert_eq!(
        pid,
        Some(kv(
            "process.pid",
            Value::IntValue(i64::from(std::process::id()))
        ))
    );
    // Once closed, procfs decides: nobody has that address.
    let resolve = procfs_resolver(&Config::default());
    assert_eq!(
        tokio::task::spawn_blocking(move || resolve(seen))
            .await
            .unwrap(),
        None
    );
}
