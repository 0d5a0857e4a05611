//! The pids behind local TCP client endpoints, as a tracer that sees every
//! `connect` knows them: the eBPF receiver publishes here, the autotag
//! processor reads here before it falls back on scanning procfs.
//!
//! One table per process, because the two are separate components that share
//! nothing else; it holds only what a running tracer put in it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{OnceLock, PoisonError, RwLock};

/// Endpoints held at most: past it, new ones are not recorded (the procfs
/// fallback still finds them).
const CAPACITY: usize = 65_536;

#[derive(Default)]
pub struct SocketOwners {
    by_local: RwLock<HashMap<SocketAddr, u32>>,
}

/// The table of this process.
pub fn socket_owners() -> &'static SocketOwners {
    static OWNERS: OnceLock<SocketOwners> = OnceLock::new();
    OWNERS.get_or_init(SocketOwners::default)
}

impl SocketOwners {
    /// `pid` connected from `local`.
    pub fn connected(&self, local: SocketAddr, pid: u32) {
        let local = canonical(local);
        let mut map = self
            .by_local
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() < CAPACITY || map.contains_key(&local) {
            map.insert(local, pid);
        }
    }

    /// The connection from `local` is gone.
    pub fn closed(&self, local: SocketAddr) {
        let local = canonical(local);
        self.by_local
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&local);
    }

    /// The pid that connected from `local`, if a tracer saw it.
    pub fn owner(&self, local: SocketAddr) -> Option<u32> {
        self.by_local
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&canonical(local))
            .copied()
    }

    pub fn len(&self) -> usize {
        self.by_local
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_come_and_go() {
        let owners = SocketOwners::default();
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        owners.connected(client, 42);
        assert_eq!(owners.owner(client), Some(42));
        // The same endpoint as a dual-stack listener reports it.
        assert_eq!(
            owners.owner("[::ffff:127.0.0.1]:40000".parse().unwrap()),
            Some(42)
        );
        owners.closed(client);
        assert_eq!(owners.owner(client), None);
        assert!(owners.is_empty());
    }
}
