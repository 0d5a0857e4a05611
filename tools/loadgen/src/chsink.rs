//! A stand-in for ClickHouse's HTTP interface, for the benchmark only: it reads
//! each request's body and answers 200, as ClickHouse answers an INSERT it took;
//! `DESC TABLE` (which the exporter asks at start) gets `otel_traces`' columns.
//! It stores and parses nothing, so what is measured is sonde's work — RowBinary
//! serialization, LZ4 blocks, HTTP — not a database's. (A real modern ClickHouse
//! server cannot be installed here; the compat tests use chDB for correctness.)

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read it all, as a server must before it answers an INSERT.
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if body.starts_with(b"DESC TABLE") {
        let desc: String = sonde_exporter_clickhouse::schema::TRACES_SPECS
            .iter()
            .map(|spec| format!("{}\t{}\n", spec.name, spec.ty))
            .collect();
        return Ok(Response::new(Full::new(Bytes::from(desc))));
    }
    Ok(Response::new(Full::new(Bytes::new())))
}

/// Starts the stand-in on an ephemeral loopback port.
pub async fn start() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(answer);
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(port)
}
