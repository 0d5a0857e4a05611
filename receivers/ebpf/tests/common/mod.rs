//! Helpers of the live capture tests: starting a capture (or saying why not),
//! real peers (`python3 -m http.server`, curl, Python clients) on 127.0.0.1,
//! and collecting events until what a test waits for has arrived.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sonde_receiver_ebpf::capture::{
    Capture, CaptureConfig, CaptureError, DataEvent, Direction, Event, EventReceiver, TcpState,
};

/// How long a test waits for events before it gives up (a failure, not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Starts a capture, or prints why this machine cannot run live tests and returns None.
pub fn start(config: CaptureConfig) -> Option<(Capture, EventReceiver)> {
    match Capture::start(&config) {
        Ok(started) => Some(started),
        Err(
            error @ (CaptureError::BuiltWithoutEbpf
            | CaptureError::NotPermitted { .. }
            | CaptureError::NoBtf { .. }
            | CaptureError::NoTracefs { .. }
            | CaptureError::MissingTracepoint { .. }),
        ) => {
            eprintln!("skipping: {error}");
            None
        }
        Err(error) => panic!("the capture did not start: {error}"),
    }
}

/// Pulls events into `seen` until `done(seen)` holds; panics after PATIENCE.
pub fn collect_until(
    events: &mut EventReceiver,
    seen: &mut Vec<Event>,
    what: &str,
    done: impl Fn(&[Event]) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    while !done(seen) {
        match events.try_recv() {
            Ok(event) => seen.push(event),
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                if Instant::now() >= deadline {
                    for event in seen.iter() {
                        eprintln!("{}", summary(event));
                    }
                    panic!(
                        "gave up waiting for {what}; saw the {} events above",
                        seen.len()
                    );
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(error) => panic!("the event channel closed while waiting for {what}: {error}"),
        }
    }
}

/// One line per event, for failure output.
pub fn summary(event: &Event) -> String {
    match event {
        Event::Data(d) => format!(
            "data pid={} tid={} comm={} {:?} {:?} sock={} fd={} {}->{} bytes={} seq={} trace={:?} payload={:?}",
            d.task.pid,
            d.task.tid,
            d.task.comm,
            d.direction,
            d.syscall,
            d.socket_id,
            d.fd,
            d.tuple.local,
            d.tuple.remote,
            d.bytes,
            d.tcp_seq,
            d.trace_id,
            String::from_utf8_lossy(&d.payload[..d.payload.len().min(40)])
        ),
        other => format!("{other:?}"),
    }
}

/// Whether the socket's id has ended: closed by close(fd), or by the kernel
/// reaching TCP_CLOSE first (both are the contract's end of a socket id).
pub fn ended(seen: &[Event], socket_id: u64) -> bool {
    seen.iter().any(|e| match e {
        Event::Close(c) => c.socket_id == socket_id,
        Event::TcpState(s) => s.socket_id == socket_id && s.new == TcpState::Close,
        _ => false,
    })
}

/// The data events of one process on one direction, in order.
pub fn data(seen: &[Event], pid: u32, direction: Direction) -> Vec<&DataEvent> {
    seen.iter()
        .filter_map(|event| match event {
            Event::Data(data) if data.task.pid == pid && data.direction == direction => Some(data),
            _ => None,
        })
        .collect()
}

/// The real python3 executable (not a version-manager shim), so that the pid
/// of the spawned child is the pid of the interpreter.
pub fn python() -> PathBuf {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 must be installed for the live capture tests");
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// `python3 -m http.server` on 127.0.0.1, serving a directory holding `index.html`.
pub struct HttpServer {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// The body every test server serves at `/`.
pub const INDEX: &str = "<html>sonde</html>\n";

impl HttpServer {
    pub fn start(name: &str) -> HttpServer {
        Self::start_on(name, "127.0.0.1")
    }

    /// On another loopback address (`::1` for IPv6).
    pub fn start_on(name: &str, bind: &str) -> HttpServer {
        let dir = std::env::temp_dir().join(format!("sonde-ebpf-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("index.html"), INDEX).expect("write index.html");
        let port = TcpListener::bind((bind, 0))
            .and_then(|l| l.local_addr())
            .expect("bind a free port")
            .port();
        let child = Command::new(python())
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                bind,
                "--directory",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        // Our own connections are filtered (self pid), and this runs before any capture starts.
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect((bind, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "python3 -m http.server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        HttpServer { child, port, dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The exact request `curl -H 'User-Agent: sonde-test' http://127.0.0.1:<port><path>` sends.
pub fn curl_request(port: u16, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\nUser-Agent: sonde-test\r\n\r\n")
}

/// Runs curl against the server to completion; returns its pid.
pub fn curl(port: u16, path: &str) -> u32 {
    curl_url(&format!("http://127.0.0.1:{port}{path}"))
}

/// Runs curl on one URL to completion; returns its pid.
pub fn curl_url(url: &str) -> u32 {
    let mut child = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-H", "User-Agent: sonde-test"])
        .arg(url)
        .spawn()
        .expect("curl must be installed for the live capture tests");
    let pid = child.id();
    let status = child.wait().expect("wait for curl");
    assert!(status.success(), "curl failed: {status}");
    pid
}

/// Runs a Python snippet to completion; returns its pid.
pub fn python_script(script: &str) -> u32 {
    let mut child = Command::new(python())
        .args(["-c", script])
        .spawn()
        .expect("run python3");
    let pid = child.id();
    let status = child.wait().expect("wait for python3");
    assert!(status.success(), "the python script failed: {status}");
    pid
}

/// A Python child connected to a listener of the test's own (whose side is
/// never traced: it is sonde's pid). It waits for `go`, then sends each
/// message with its own `sendall`, closes and exits. Knowing its pid before it
/// sends lets a test trace only it (`pid_allow`), so every counter is its own.
pub struct ScriptedClient {
    child: Child,
    peer: TcpStream,
}

impl ScriptedClient {
    pub fn connect(messages: &[&[u8]]) -> ScriptedClient {
        use std::io::{BufRead, BufReader};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let literals: Vec<String> = messages
            .iter()
            .map(|m| {
                format!(
                    "bytes.fromhex('{}')",
                    m.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )
            })
            .collect();
        let script = format!(
            "import socket, sys\n\
             s = socket.create_connection(('127.0.0.1', {port}))\n\
             print('ready', flush=True)\n\
             sys.stdin.readline()\n\
             for m in [{}]:\n    s.sendall(m)\n\
             s.close()\n",
            literals.join(", ")
        );
        let mut child = Command::new(python())
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run python3");
        let (peer, _) = listener.accept().expect("accept");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("ready line");
        assert_eq!(ready, "ready\n");
        ScriptedClient { child, peer }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lets the child send; returns every byte it sent once it has exited.
    pub fn go(mut self) -> Vec<u8> {
        use std::io::{Read, Write};
        self.child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"go\n")
            .expect("go");
        let mut received = Vec::new();
        self.peer
            .read_to_end(&mut received)
            .expect("read the child's bytes");
        assert!(self.child.wait().expect("wait").success());
        received
    }

    /// Waits for the child's exit event: everything it did is counted by then.
    pub fn collect(events: &mut EventReceiver, seen: &mut Vec<Event>, pid: u32) {
        collect_until(events, seen, "the scripted client's exit", |seen| {
            seen.iter()
                .any(|e| matches!(e, Event::ProcessExit(x) if x.task.pid == pid))
        });
    }
}

impl Drop for ScriptedClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
