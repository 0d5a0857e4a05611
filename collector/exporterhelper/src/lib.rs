//! The one exporter driver: sending queue, retry with backoff, timeout.
