//! The exporter through its factory.

use sonde_api::telemetry::Telemetry;
use sonde_api::{ComponentId, Context, CreateSettings, Signal};

use crate::config::Verbosity;
use crate::exporter::DebugExporter;
use crate::text::fixtures::traces;

#[tokio::test]
async fn consumes_and_counts_sent_items() {
    let telemetry = Telemetry::new();
    let config: serde_yaml::Value = serde_yaml::from_str("verbosity: detailed").unwrap();
    let e = crate::factory()
        .create(
            CreateSettings {
                id: ComponentId::new("debug"),
                telemetry: telemetry.clone(),
            },
            &config,
            &[Signal::Traces],
        )
        .unwrap();
    e.consume(traces(), Context::default()).await.unwrap();
    let text = telemetry.encode();
    assert!(
        text.contains("otelcol_exporter_sent_spans_total{exporter=\"debug\"} 2"),
        "{text}"
    );
}

#[test]
fn render_per_verbosity() {
    let basic = DebugExporter::render(Verbosity::Basic, &traces());
    assert_eq!(basic, [r#"Traces {"resource spans": 1, "spans": 2}"#]);
    let normal = DebugExporter::render(Verbosity::Normal, &traces());
    assert_eq!(normal.len(), 2);
    assert!(normal[1].ends_with("bare  "), "{:?}", normal[1]);
    let detailed = DebugExporter::render(Verbosity::Detailed, &traces());
    assert!(detailed[1].starts_with("ResourceSpans #0\n"));
    assert!(detailed[1].ends_with("    DroppedLinksCount: 0"));
}

/// OTLP that passed through as bytes reads the same at every verbosity.
#[test]
fn encoded_payloads_render_as_decoded_ones() {
    use crate::text::fixtures::{logs, metrics};
    use sonde_api::pdata::Encoded;
    use sonde_api::Payload;
    for payload in [traces(), metrics(), logs()] {
        let encoded = Payload::Encoded(Encoded::encode(&payload));
        for verbosity in [Verbosity::Basic, Verbosity::Normal, Verbosity::Detailed] {
            assert_eq!(
                DebugExporter::render(verbosity, &encoded),
                DebugExporter::render(verbosity, &payload),
                "{verbosity:?}"
            );
        }
    }
}

#[test]
fn factory_describes_itself() {
    let f = crate::factory();
    assert_eq!(f.type_name(), "debug");
    let default = f.default_config();
    assert_eq!(default["verbosity"], serde_yaml::Value::from("basic"));
    assert_eq!(default["sampling_initial"], serde_yaml::Value::from(2));
    assert!(f.validate(&default).is_ok());
}
