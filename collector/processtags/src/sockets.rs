//! Which local process owns a TCP connection, from procfs alone: the kernel's
//! socket tables (`net/tcp`, `net/tcp6`) give the inode of the socket bound to
//! an address, and the `fd` directories say which process holds that inode.
//!
//! The autotag processor asks this for the peer address of a connection a
//! receiver accepted: when the peer is a process on this host, its end of the
//! connection is a socket whose *local* address is that peer address.
//!
//! A process in another network namespace (a container) has its sockets in
//! that namespace's tables, so the tables of every namespace are read, one
//! process per namespace, when the caller's own do not have the address.

use std::collections::HashSet;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// The pid of a process holding the TCP socket whose local address is
/// `addr`, or `None` when no socket on this host has it (the peer is remote,
/// or the connection is gone). When a socket is shared (inherited over
/// `fork`), the lowest pid holding it is the answer.
pub fn socket_owner(proc_root: &Path, addr: SocketAddr) -> Option<u32> {
    let addr = SocketAddr::new(addr.ip().to_canonical(), addr.port());
    let inode = inode_in(&proc_root.join("net"), addr).or_else(|| {
        namespace_dirs(proc_root)
            .into_iter()
            .find_map(|net| inode_in(&net, addr))
    })?;
    holder_of(proc_root, inode)
}

/// The inode of the socket bound locally to `addr` in the tables under `net`.
fn inode_in(net: &Path, addr: SocketAddr) -> Option<u64> {
    // An IPv4 peer may also be a dual-stack IPv6 socket (`::ffff:a.b.c.d`).
    let tables: &[&str] = match addr {
        SocketAddr::V4(_) => &["tcp", "tcp6"],
        SocketAddr::V6(_) => &["tcp6"],
    };
    tables.iter().find_map(|table| {
        let text = fs::read_to_string(net.join(table)).ok()?;
        text.lines()
            .skip(1)
            .filter_map(parse_line)
            .find(|entry| entry.local == addr && entry.inode != 0)
            .map(|entry| entry.inode)
    })
}

/// The `net` directory of one process per network namespace other than the
/// one `proc_root/net` shows.
fn namespace_dirs(proc_root: &Path) -> Vec<std::path::PathBuf> {
    let own = fs::read_link(proc_root.join("self/ns/net")).ok();
    let mut seen = HashSet::new();
    let mut dirs = Vec::new();
    for pid in pids(proc_root) {
        let dir = proc_root.join(pid.to_string());
        let Ok(namespace) = fs::read_link(dir.join("ns/net")) else {
            continue;
        };
        if Some(&namespace) != own.as_ref() && seen.insert(namespace) {
            dirs.push(dir.join("net"));
        }
    }
    dirs
}

/// The lowest pid with an open fd on socket `inode`.
fn holder_of(proc_root: &Path, inode: u64) -> Option<u32> {
    let target = format!("socket:[{inode}]");
    let mut pids = pids(proc_root);
    pids.sort_unstable();
    pids.into_iter().find(|pid| {
        let Ok(fds) = fs::read_dir(proc_root.join(pid.to_string()).join("fd")) else {
            return false;
        };
        fds.flatten().any(|fd| {
            fs::read_link(fd.path()).is_ok_and(|link| link.as_os_str() == target.as_str())
        })
    })
}

fn pids(proc_root: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir(proc_root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// One row of `net/tcp` or `net/tcp6`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SocketEntry {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub inode: u64,
}

/// `sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid
/// timeout inode ...`; `None` for the header or a row it cannot read.
pub(crate) fn parse_line(line: &str) -> Option<SocketEntry> {
    let mut fields = line.split_whitespace();
    let local = parse_address(fields.nth(1)?)?;
    let remote = parse_address(fields.next()?)?;
    let inode = fields.nth(6)?.parse().ok()?;
    Some(SocketEntry {
        local,
        remote,
        inode,
    })
}

/// `0100007F:1F90` (IPv4) or 32 hex digits `:PORT` (IPv6): the address is
/// written as 32-bit words in the kernel's byte order (little-endian here),
/// the port as a plain hex number.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if ip.len() != 8 && ip.len() != 32 {
        return None;
    }
    let words = ip
        .as_bytes()
        .chunks(8)
        .map(|word| u32::from_str_radix(std::str::from_utf8(word).ok()?, 16).ok())
        .collect::<Option<Vec<u32>>>()?;
    let ip = match words.as_slice() {
        [v4] => IpAddr::V4(Ipv4Addr::from(v4.to_ne_bytes())),
        [a, b, c, d] => {
            let mut octets = [0u8; 16];
            for (chunk, word) in octets.chunks_exact_mut(4).zip([a, b, c, d]) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(octets)).to_canonical()
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
#[path = "sockets_tests.rs"]
mod tests;
