//! Which protocol a connection speaks: the parsers' first-bytes detection,
//! limited to the protocols the config enables, and the config's ports that
//! force a protocol on connections whose first bytes tell nothing (a binary
//! protocol joined mid-stream, a server that speaks first).

use std::collections::HashMap;

use sonde_ebpf_protocols::{
    detect_on, DescribeOptions, Direction as L7Direction, Protocol, Role as L7Role, Socket,
    Transport,
};

use crate::capture::{Direction, Role, SocketTuple};
use crate::config::ProtocolsConfig;

/// The config's protocol choices, resolved once.
#[derive(Clone, Debug)]
pub struct ProtocolChoice {
    enabled: Vec<Protocol>,
    /// Port and transport → protocol forced on sockets with that port at
    /// either end (one port may carry DNS over UDP and over TCP).
    by_port: HashMap<(u16, Transport), Protocol>,
    pub describe: DescribeOptions,
}

impl ProtocolChoice {
    /// From a validated config (unknown names were refused by validation and
    /// are ignored here).
    pub fn new(config: &ProtocolsConfig) -> ProtocolChoice {
        let enabled: Vec<Protocol> = match &config.enabled {
            None => Protocol::ALL.to_vec(),
            Some(names) => names
                .iter()
                .filter_map(|n| Protocol::from_name(n))
                .collect(),
        };
        let by_port = config
            .ports
            .iter()
            .filter_map(|(name, ports)| Some((Protocol::from_name(name)?, ports)))
            .flat_map(|(p, ports)| ports.iter().map(move |&port| ((port, p.transport()), p)))
            .collect();
        ProtocolChoice {
            enabled,
            by_port,
            describe: DescribeOptions {
                raw_query_text: config.raw_query_text,
            },
        }
    }

    /// The protocol of a connection whose first data in `direction` is
    /// `first`, and the part the local end plays in it. `known` is the role
    /// seen at connect/accept.
    pub fn pick(
        &self,
        first: &[u8],
        direction: L7Direction,
        tuple: &SocketTuple,
        known: Option<Role>,
    ) -> Option<(Protocol, L7Role)> {
        let known = known.map(L7Role::from);
        let transport = if tuple.udp {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        // A forced port wins: the bytes of a binary protocol can look like
        // the start of another's.
        let forced = [
            (tuple.remote.port(), L7Role::Client),
            (tuple.local.port(), L7Role::Server),
        ]
        .into_iter()
        .find_map(|(port, role)| Some((*self.by_port.get(&(port, transport))?, role)));
        if let Some((protocol, role)) = forced {
            return Some((protocol, known.unwrap_or(role)));
        }
        let socket = Socket {
            transport,
            local_port: tuple.local.port(),
            remote_port: tuple.remote.port(),
        };
        let found =
            detect_on(first, direction, socket).filter(|d| self.enabled.contains(&d.protocol))?;
        Some((found.protocol, known.unwrap_or(found.local_role(direction))))
    }
}

impl From<Role> for L7Role {
    fn from(role: Role) -> L7Role {
        match role {
            Role::Client => L7Role::Client,
            Role::Server => L7Role::Server,
        }
    }
}

impl From<Direction> for L7Direction {
    fn from(direction: Direction) -> L7Direction {
        match direction {
            Direction::Egress => L7Direction::Egress,
            Direction::Ingress => L7Direction::Ingress,
        }
    }
}

impl Default for ProtocolChoice {
    fn default() -> Self {
        ProtocolChoice::new(&ProtocolsConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tuple;

    fn choice(yaml: &str) -> ProtocolChoice {
        let value: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        ProtocolChoice::new(&serde_yaml::from_value::<ProtocolsConfig>(value).unwrap())
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\n";

    #[test]
    fn first_bytes_decide_and_the_direction_gives_the_role() {
        let all = ProtocolChoice::default();
        let t = tuple("10.0.0.1:8080", "10.0.0.2:50000");
        assert_eq!(
            all.pick(GET, L7Direction::Ingress, &t, None),
            Some((Protocol::Http1, L7Role::Server))
        );
        // connect/accept saw the role: it wins over the guess.
        assert_eq!(
            all.pick(GET, L7Direction::Ingress, &t, Some(Role::Client)),
            Some((Protocol::Http1, L7Role::Client))
        );
        assert_eq!(
            all.pick(b"\x16\x03\x01", L7Direction::Egress, &t, None),
            None
        );
    }

    #[test]
    fn a_disabled_protocol_is_not_parsed() {
        let none = choice("enabled: []");
        let t = tuple("10.0.0.1:8080", "10.0.0.2:50000");
        assert_eq!(none.pick(GET, L7Direction::Ingress, &t, None), None);
    }

    #[test]
    fn a_forced_port_wins_over_the_first_bytes_and_gives_the_role() {
        let forced = choice("ports: {http1: [7000]}");
        let garbage = b"\x00\x01binary";
        let to_server = tuple("10.0.0.2:50000", "10.0.0.1:7000");
        assert_eq!(
            forced.pick(garbage, L7Direction::Egress, &to_server, None),
            Some((Protocol::Http1, L7Role::Client))
        );
        let at_server = tuple("10.0.0.1:7000", "10.0.0.2:50000");
        assert_eq!(
            forced.pick(garbage, L7Direction::Ingress, &at_server, None),
            Some((Protocol::Http1, L7Role::Server))
        );
        let elsewhere = tuple("10.0.0.1:7001", "10.0.0.2:50000");
        assert_eq!(
            forced.pick(garbage, L7Direction::Ingress, &elsewhere, None),
            None
        );
        assert!(choice("raw_query_text: true").describe.raw_query_text);
    }
}
