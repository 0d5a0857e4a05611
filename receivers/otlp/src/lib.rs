//! The OTLP receiver: gRPC and HTTP for traces, metrics and logs.
