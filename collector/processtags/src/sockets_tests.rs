use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::symlink;

use tempfile::TempDir;

use super::*;

const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn reads_ipv4_and_ipv6_rows() {
    let v4 = "   1: 0100007F:A2C4 0100007F:1119 01 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 20 4 30 10 -1";
    assert_eq!(
        parse_line(v4),
        Some(SocketEntry {
            local: addr("127.0.0.1:41668"),
            remote: addr("127.0.0.1:4377"),
            inode: 424242,
        })
    );
    // ::1 port 8080 to ::ffff:10.0.0.7 port 443 (a v4-mapped peer reads as IPv4).
    let v6 = "   0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000700000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 20 4 30 10 -1";
    assert_eq!(
        parse_line(v6),
        Some(SocketEntry {
            local: addr("[::1]:8080"),
            remote: addr("10.0.0.7:443"),
            inode: 77,
        })
    );
    assert_eq!(parse_line(HEADER.trim_end()), None);
    assert_eq!(parse_line("   1: 0100007F:XYZ 0100007F:1119 01"), None);
    assert_eq!(
        parse_line("   1: 0100:A2C4 0100007F:1119 01 0:0 0:0 0 0 0 9"),
        None
    );
}

/// A proc root with one socket table and processes holding fds.
struct FakeProc {
    dir: TempDir,
}

impl FakeProc {
    fn new(tcp_rows: &[&str]) -> FakeProc {
        let dir = TempDir::new().unwrap();
        fs::create_dir(dir.path().join("net")).unwrap();
        fs::write(
            dir.path().join("net/tcp"),
            format!("{HEADER}{}\n", tcp_rows.join("\n")),
        )
        .unwrap();
        FakeProc { dir }
    }

    fn process(&self, pid: u32, links: &[&str]) {
        let fd = self.dir.path().join(pid.to_string()).join("fd");
        fs::create_dir_all(&fd).unwrap();
        for (n, link) in links.iter().enumerate() {
            symlink(link, fd.join(n.to_string())).unwrap();
        }
    }

    fn namespace(&self, pid: u32, namespace: &str, tcp_rows: &[&str]) {
        let dir = self.dir.path().join(pid.to_string());
        fs::create_dir_all(dir.join("ns")).unwrap();
        fs::create_dir_all(dir.join("net")).unwrap();
        symlink(namespace, dir.join("ns/net")).unwrap();
        fs::write(
            dir.join("net/tcp"),
            format!("{HEADER}{}\n", tcp_rows.join("\n")),
        )
        .unwrap();
    }
}

const CLIENT_ROW: &str = "   1: 0100007F:A2C4 0100007F:1119 01 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0 20 4 30 10 -1";
const TIME_WAIT_ROW: &str = "   2: 0100007F:A2C5 0100007F:1119 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0";

#[test]
fn finds_the_lowest_pid_holding_the_socket() {
    let proc = FakeProc::new(&[TIME_WAIT_ROW, CLIENT_ROW]);
    proc.process(300, &["/dev/null", "socket:[424242]"]);
    proc.process(200, &["socket:[424242]"]);
    proc.process(100, &["socket:[1]", "pipe:[424242]"]);
    let root = proc.dir.path();
    assert_eq!(socket_owner(root, addr("127.0.0.1:41668")), Some(200));
    // A v4-mapped form of the same peer, as a dual-stack listener reports it.
    assert_eq!(
        socket_owner(root, addr("[::ffff:127.0.0.1]:41668")),
        Some(200)
    );
    // TIME_WAIT rows have no inode: nobody owns them any more.
    assert_eq!(socket_owner(root, addr("127.0.0.1:41669")), None);
    assert_eq!(socket_owner(root, addr("10.1.2.3:41668")), None);
}

#[test]
fn finds_a_socket_in_another_network_namespace() {
    let proc = FakeProc::new(&[]);
    // 172.17.0.2:50000, the container's end of its connection.
    let row = "   0: 020011AC:C350 010011AC:1119 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0";
    proc.namespace(900, "net:[4026532999]", &[row]);
    proc.process(901, &["socket:[555]"]);
    assert_eq!(
        socket_owner(proc.dir.path(), addr("172.17.0.2:50000")),
        Some(901)
    );
}

#[test]
fn finds_this_process_behind_a_real_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_server_side, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(
        socket_owner(Path::new("/proc"), peer),
        Some(std::process::id())
    );
}
