//! TLS settings (otelcol's `tls:` block). Owned by the exporters' work: client side first.
