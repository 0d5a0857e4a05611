//! Shared network settings: TLS, compression, server and client endpoints.
