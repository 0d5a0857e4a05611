//! Runs the sonde binary under test: writes its config (OTLP/gRPC in, batch,
//! out to the sink: OTLP/gRPC, or the clickhouse exporter), starts it, waits for
//! its receiver port, stops it with SIGTERM.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sonde {
    child: Child,
    pub receiver_port: u16,
    /// sonde's own /metrics.
    pub metrics_port: u16,
    _dir: tempfile::TempDir,
}

/// Where sonde exports.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The otlp exporter with this `compression`.
    Otlp(String),
    /// The clickhouse exporter (its defaults: LZ4 blocks, RowBinary), schema creation off.
    ClickHouse,
}

impl Backend {
    fn exporter(&self, sink_port: u16) -> (String, &'static str) {
        match self {
            Backend::Otlp(compression) => (
                format!(
                    "  otlp:
    endpoint: 127.0.0.1:{sink_port}
    compression: {compression}
    tls:
      insecure: true
"
                ),
                "otlp",
            ),
            Backend::ClickHouse => (
                format!(
                    "  clickhouse:
    endpoint: http://127.0.0.1:{sink_port}
    create_schema: false
"
                ),
                "clickhouse",
            ),
        }
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn config(ports: (u16, u16, u16), sink_port: u16, backend: &Backend) -> String {
    let (receiver_port, health_port, metrics_port) = ports;
    let (exporter, name) = backend.exporter(sink_port);
    format!(
        "receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{receiver_port}
processors:
  batch:
exporters:
{exporter}extensions:
  health_check:
    endpoint: 127.0.0.1:{health_port}
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: warn
    metrics:
      address: 127.0.0.1:{metrics_port}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [{name}]
"
    )
}

impl Sonde {
    pub fn start(binary: &Path, sink_port: u16, backend: &Backend) -> io::Result<Sonde> {
        let dir = tempfile::tempdir()?;
        let receiver_port = free_port()?;
        let metrics_port = free_port()?;
        let path = dir.path().join("sonde.yaml");
        std::fs::write(
            &path,
            config(
                (receiver_port, free_port()?, metrics_port),
                sink_port,
                backend,
            ),
        )?;
        let child = Command::new(binary)
            .arg("--config")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot run {}: {e}", binary.display()))
            })?;
        let mut sonde = Sonde {
            child,
            receiver_port,
            metrics_port,
            _dir: dir,
        };
        sonde.wait_ready(Duration::from_secs(30))?;
        Ok(sonde)
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("sonde exited at start: {status}")));
            }
            if TcpStream::connect(("127.0.0.1", self.receiver_port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(io::Error::other(
            "sonde did not open its receiver port in 30s",
        ))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits for the exit; returns whether it exited 0.
    pub fn stop(mut self) -> io::Result<bool> {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill() only sends a signal to our own child process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        Ok(self.child.wait()?.success())
    }
}

impl Drop for Sonde {
    fn drop(&mut self) {
        // Still running only when stop() was not reached (an error path).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `otelcol_exporter_sent_spans_total` of sonde's exporter, from its /metrics.
pub fn sent_spans(metrics_port: u16) -> io::Result<u64> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", metrics_port))?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let total = text
        .lines()
        .filter(|line| line.starts_with("otelcol_exporter_sent_spans_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    Ok(total as u64)
}
