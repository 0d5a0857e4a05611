//! The tonic channel: lazy (a backend that is down at start is fine; the first send
//! connects), plaintext or TLS from the `tls:` block via the shared rustls connector.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use sonde_netconfig::tls::HttpsConnector;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint};

use crate::config::{Config, Target};

/// How to build the channel once a runtime is there.
pub(crate) struct Connect {
    endpoint: Endpoint,
    tls: Option<HttpsConnector>,
}

impl Connect {
    pub(crate) fn new(config: &Config, target: &Target) -> Result<Connect, sonde_api::BoxError> {
        // tonic insists on its own TLS for `https` URIs; ours runs inside the connector,
        // so tonic is given the `http` form and the connector forces TLS.
        let plain_uri = target.uri.replacen("https://", "http://", 1);
        let mut endpoint = Endpoint::from_shared(plain_uri)
            .map_err(|e| format!("invalid endpoint {:?}: {e}", config.endpoint))?;
        if !config.authority.is_empty() {
            let origin: Uri = format!(
                "{}://{}",
                if target.use_tls { "https" } else { "http" },
                config.authority
            )
            .parse()
            .map_err(|e| format!("invalid authority {:?}: {e}", config.authority))?;
            endpoint = endpoint.origin(origin);
        }
        if let Some(keepalive) = &config.keepalive {
            if !keepalive.time.is_zero() {
                endpoint = endpoint
                    .http2_keep_alive_interval(keepalive.time)
                    .keep_alive_timeout(keepalive.timeout)
                    .keep_alive_while_idle(keepalive.permit_without_stream);
            }
        }
        let tls = if target.use_tls {
            Some(config.tls.https_connector(true)?)
        } else {
            None
        };
        Ok(Connect { endpoint, tls })
    }

    /// Needs a tokio runtime (tonic spawns the channel's worker).
    pub(crate) fn channel(&self) -> Channel {
        match &self.tls {
            Some(tls) => self
                .endpoint
                .connect_with_connector_lazy(ForceHttps(tls.clone())),
            None => self.endpoint.connect_lazy(),
        }
    }
}

/// Rewrites the scheme to `https` so the rustls connector does the handshake.
#[derive(Clone)]
struct ForceHttps(HttpsConnector);

impl Service<Uri> for ForceHttps {
    type Response = <HttpsConnector as Service<Uri>>::Response;
    type Error = <HttpsConnector as Service<Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let mut parts = uri.into_parts();
        parts.scheme = Some(http::uri::Scheme::HTTPS);
        match Uri::from_parts(parts) {
            Ok(uri) => Box::pin(self.0.call(uri)),
            Err(e) => Box::pin(async move { Err(e.into()) }),
        }
    }
}
