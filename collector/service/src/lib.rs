//! Config resolution, the pipeline graph, lifecycle and internal telemetry.
