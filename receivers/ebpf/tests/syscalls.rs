//! Every data syscall family is captured, payload included, when its bytes
//! are spread over several iovecs: a Python client talks to
//! `python3 -m http.server` through each of them in turn.

mod common;

use common::*;
use sonde_receiver_ebpf::capture::{CaptureConfig, DataEvent, Direction, Event, Syscall};

/// One request per connection, each sent and received with a different
/// syscall pair; requests split over two iovecs, responses read into a
/// 10-byte buffer then a large one, so payloads cross an iovec boundary.
const CLIENT: &str = r#"
import ctypes, os, socket, sys
port = int(sys.argv[1])
head, tail = b"GET /%s HTTP/1.0\r\n", b"Host: sonde\r\n\r\n"

def conn():
    return socket.create_connection(("127.0.0.1", port))

s = conn()  # write / read
os.write(s.fileno(), head % b"write" + tail)
os.read(s.fileno(), 4096)
s.close()

s = conn()  # writev / readv
os.writev(s.fileno(), [head % b"writev", tail])
os.readv(s.fileno(), [bytearray(10), bytearray(4096)])
s.close()

s = conn()  # sendmsg / recvmsg
s.sendmsg([head % b"sendmsg", tail])
s.recvmsg_into([bytearray(10), bytearray(4096)])
s.close()

class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
libc = ctypes.CDLL(None, use_errno=True)

def mmsg(parts):
    bufs = [ctypes.create_string_buffer(p, len(p)) if isinstance(p, bytes) else ctypes.create_string_buffer(p) for p in parts]
    iovs = (iovec * len(bufs))(*[iovec(ctypes.cast(b, ctypes.c_void_p), ctypes.sizeof(b)) for b in bufs])
    msg = mmsghdr(msghdr(None, 0, iovs, len(bufs), None, 0, 0), 0)
    return msg, bufs, iovs

s = conn()  # sendmmsg / recvmmsg
out = mmsg([head % b"sendmmsg", tail])
assert libc.sendmmsg(s.fileno(), ctypes.byref(out[0]), 1, 0) == 1, ctypes.get_errno()
back = mmsg([10, 4096])
assert libc.recvmmsg(s.fileno(), ctypes.byref(back[0]), 1, 0, None) == 1, ctypes.get_errno()
s.close()
"#;

#[test]
fn every_syscall_family_is_captured_across_iovecs() {
    let server = HttpServer::start("syscalls");
    let Some((capture, mut events)) = start(CaptureConfig::default()) else {
        return;
    };
    let mut child = std::process::Command::new(python())
        .args(["-c", CLIENT, &server.port.to_string()])
        .spawn()
        .expect("run python3");
    let pid = child.id();
    assert!(
        child.wait().expect("wait").success(),
        "the client script failed"
    );

    let mut seen = Vec::new();
    collect_until(&mut events, &mut seen, "the client's exit", |seen| {
        seen.iter()
            .any(|e| matches!(e, Event::ProcessExit(x) if x.task.pid == pid))
    });

    let sent = data(&seen, pid, Direction::Egress);
    let received = data(&seen, pid, Direction::Ingress);
    let pairs = [
        ("write", Syscall::Write, Syscall::Read),
        ("writev", Syscall::Writev, Syscall::Readv),
        ("sendmsg", Syscall::Sendmsg, Syscall::Recvmsg),
        ("sendmmsg", Syscall::Sendmmsg, Syscall::Recvmmsg),
    ];
    assert_eq!(
        sent.len(),
        pairs.len(),
        "{:?}",
        sent.iter().map(|d| d.syscall).collect::<Vec<_>>()
    );
    for (i, (path, send, receive)) in pairs.into_iter().enumerate() {
        let request = format!("GET /{path} HTTP/1.0\r\nHost: sonde\r\n\r\n");
        let out: &DataEvent = sent[i];
        assert_eq!(out.syscall, send);
        assert_eq!(std::str::from_utf8(&out.payload), Ok(request.as_str()));
        assert_eq!(out.bytes, request.len() as u64);

        let back: Vec<_> = received
            .iter()
            .filter(|d| d.socket_id == out.socket_id)
            .collect();
        assert_eq!(back.len(), 1, "{path}");
        assert_eq!(back[0].syscall, receive);
        assert!(
            back[0]
                .payload
                .starts_with(b"HTTP/1.0 404 File not found\r\n"),
            "{path}: {:?}",
            back[0].payload
        );
        assert_eq!(back[0].payload.len() as u64, back[0].bytes);

        // The server saw the same request with the same sequence number.
        let server_in: Vec<_> = data(&seen, server.pid(), Direction::Ingress)
            .into_iter()
            .filter(|d| d.tuple.remote == out.tuple.local)
            .collect();
        assert_eq!(server_in.len(), 1, "{path}");
        assert_eq!(server_in[0].tcp_seq, out.tcp_seq, "{path}");
        assert_eq!(&server_in[0].payload[..], request.as_bytes());
    }
    assert_eq!(capture.stats().expect("stats").ring_buffer_drops, 0);
}
