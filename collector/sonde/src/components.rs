//! The components this binary is built with: the crates `builder.yaml` lists.

use sonde_service::Registry;

pub fn registry() -> Registry {
    Registry {
        receivers: vec![
            sonde_receiver_otlp::factory(),
            sonde_receiver_ebpf::factory(),
            sonde_receiver_deepflow::factory(),
            sonde_receiver_influxdb::factory(),
            sonde_receiver_skywalking::factory(),
            sonde_receiver_prometheusremotewrite::factory(),
        ],
        processors: vec![
            sonde_processor_autotag::factory(),
            sonde_processor_batch::factory(),
            sonde_processor_memory_limiter::factory(),
        ],
        exporters: vec![
            sonde_exporter_otlp::factory(),
            sonde_exporter_otlphttp::factory(),
            sonde_exporter_debug::factory(),
            sonde_exporter_clickhouse::factory(),
        ],
        extensions: vec![
            sonde_extension_health_check::factory(),
            sonde_extension_query::factory(),
        ],
    }
}
