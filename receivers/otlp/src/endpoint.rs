//! `host:port` endpoints as otelcol writes them, and binding them.
//!
//! `localhost` binds the IPv4 loopback (127.0.0.1), an empty host (`:4317`) binds every
//! interface, as Go does; other names are resolved at start. Bind errors read like
//! Go's (`listen tcp 127.0.0.1:4317: address already in use`) so that messages users
//! know from otelcol still match.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: u16,
}

impl Endpoint {
    /// Splits `host:port` (`[v6]:port` for IPv6 literals), as Go's `net.SplitHostPort`.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let missing = || format!("address {text}: missing port in address");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("address {text}: missing ']' in address"))?;
            (host, after.strip_prefix(':').ok_or_else(missing)?)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(missing)?;
            if host.contains(':') {
                return Err(format!("address {text}: too many colons in address"));
            }
            (host, port)
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("address {text}: invalid port {port:?}"))?;
        Ok(Endpoint {
            host: host.to_string(),
            port,
        })
    }

    /// The address to bind: a literal, `localhost` as 127.0.0.1, or the first address a
    /// name resolves to.
    pub async fn resolve(&self) -> io::Result<SocketAddr> {
        if self.host.is_empty() {
            return Ok(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                self.port,
            ));
        }
        if self.host.eq_ignore_ascii_case("localhost") {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port));
        }
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for host"))
    }

    /// Resolves and binds, with Go's wording on failure.
    pub async fn bind(&self) -> Result<TcpListener, String> {
        let addr = self
            .resolve()
            .await
            .map_err(|e| format!("listen tcp {}:{}: {}", self.host, self.port, go_words(&e)))?;
        TcpListener::bind(addr)
            .await
            .map_err(|e| format!("listen tcp {addr}: {}", go_words(&e)))
    }
}

/// The short lower-case text Go prints for common socket errors.
fn go_words(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::AddrInUse => "address already in use".to_string(),
        io::ErrorKind::AddrNotAvailable => "cannot assign requested address".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_forms() {
        let e = Endpoint::parse("localhost:4317").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("localhost", 4317));
        let e = Endpoint::parse(":4318").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("", 4318));
        let e = Endpoint::parse("[::1]:9").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9));
        assert_eq!(
            Endpoint::parse("localhost").unwrap_err(),
            "address localhost: missing port in address"
        );
        assert_eq!(
            Endpoint::parse("::1:80").unwrap_err(),
            "address ::1:80: too many colons in address"
        );
        assert_eq!(
            Endpoint::parse("h:http").unwrap_err(),
            "address h:http: invalid port \"http\""
        );
    }

    #[tokio::test]
    async fn localhost_is_ipv4_loopback() {
        let a = Endpoint::parse("localhost:0")
            .unwrap()
            .resolve()
            .await
            .unwrap();
        assert_eq!(a, "127.0.0.1:0".parse().unwrap());
        let a = Endpoint::parse(":7").unwrap().resolve().await.unwrap();
        assert_eq!(a, "0.0.0.0:7".parse().unwrap());
    }

    #[tokio::test]
    async fn bind_error_names_the_address() {
        let first = Endpoint::parse("127.0.0.1:0")
            .unwrap()
            .bind()
            .await
            .unwrap();
        let port = first.local_addr().unwrap().port();
        let err = Endpoint::parse(&format!("localhost:{port}"))
            .unwrap()
            .bind()
            .await
            .unwrap_err();
        assert_eq!(
            err,
            format!("listen tcp 127.0.0.1:{port}: address already in use")
        );
    }
}
