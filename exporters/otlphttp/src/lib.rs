//! The OTLP HTTP exporter.
