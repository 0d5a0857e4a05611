//! The OTLP gRPC exporter.
