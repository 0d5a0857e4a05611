//! The debug exporter.
