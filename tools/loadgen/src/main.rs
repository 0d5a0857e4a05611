//! sonde-bench: how much CPU and memory a release `sonde` spends on OTLP traces.
//!
//! It starts a counting OTLP/gRPC sink and a sonde configured `otlp -> batch ->
//! otlp` towards it, then measures two things:
//!
//! * max throughput: N clients send 100-span requests back to back for M seconds;
//!   reports spans delivered to the sink per CPU-second of sonde (user + system
//!   time from /proc/<pid>/stat) and sonde's peak RSS (VmHWM);
//! * steady load: 10,000 spans/s for 30 s on a fresh sonde; reports its CPU as a
//!   share of one core and its RSS.
//!
//! Build first: `cargo build --release -p sonde -p sonde-loadgen`, then
//! `cargo run --release -p sonde-loadgen --bin sonde-bench`. It prints figures
//! beside the goals and asserts nothing.

mod chsink;
mod load;
mod procstat;
mod sink;
mod sonde;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::sonde::{Backend, Sonde};

#[derive(Parser, Debug)]
#[command(
    name = "sonde-bench",
    about = "Throughput and steady-load benchmark of a release sonde"
)]
struct Args {
    /// The sonde binary [default: `sonde` in the same directory as sonde-bench].
    #[arg(long)]
    sonde: Option<PathBuf>,
    /// Concurrent client connections in the throughput run.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Length of the throughput run, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Spans per ExportTraceServiceRequest.
    #[arg(long, default_value_t = 100)]
    spans_per_request: usize,
    /// Spans per second in the steady run.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Length of the steady run, in seconds.
    #[arg(long, default_value_t = 30)]
    steady_seconds: u64,
    /// Skip the throughput run.
    #[arg(long)]
    no_throughput: bool,
    /// Skip the steady run.
    #[arg(long)]
    no_steady: bool,
    /// The exporter's `compression`. `none` is what otelcol's own testbed configures for
    /// its load tests (the source of the 10k spans/s budget); the exporter's default,
    /// gzip, is measured with `--compression gzip`.
    #[arg(long, default_value = "none")]
    compression: String,
    /// Where sonde exports: `otlp` (to an OTLP/gRPC sink) or `clickhouse` (the
    /// clickhouse exporter, to a stand-in for ClickHouse's HTTP interface).
    #[arg(long, default_value = "otlp")]
    exporter: String,
}

impl Args {
    fn backend(&self) -> Result<Backend> {
        match self.exporter.as_str() {
            "otlp" => Ok(Backend::Otlp(self.compression.clone())),
            "clickhouse" => Ok(Backend::ClickHouse),
            other => Err(format!("--exporter {other}: otlp or clickhouse")),
        }
    }
}

/// Counts what reached the backend: the OTLP sink counts spans itself; for
/// ClickHouse, sonde's own `otelcol_exporter_sent_spans_total` says.
enum Delivered {
    Sink(sink::Counter),
    Metrics(u16),
}

impl Delivered {
    fn get(&self) -> Result<u64> {
        match self {
            Delivered::Sink(counter) => Ok(counter.get()),
            Delivered::Metrics(port) => {
                sonde::sent_spans(*port).map_err(|e| format!("sonde /metrics: {e}"))
            }
        }
    }
}

/// Starts the backend and a sonde exporting to it.
async fn start(args: &Args, binary: &Path) -> Result<(Sonde, Delivered)> {
    let backend = args.backend()?;
    let (port, counter) = match backend {
        Backend::Otlp(_) => {
            let (port, counter) = sink::start().await.map_err(|e| format!("sink: {e}"))?;
            (port, Some(counter))
        }
        Backend::ClickHouse => {
            let port = chsink::start().await.map_err(|e| format!("sink: {e}"))?;
            (port, None)
        }
    };
    let sonde = Sonde::start(binary, port, &backend).map_err(|e| format!("sonde: {e}"))?;
    let delivered = match counter {
        Some(counter) => Delivered::Sink(counter),
        None => Delivered::Metrics(sonde.metrics_port),
    };
    Ok((sonde, delivered))
}

const MIB: f64 = 1024.0 * 1024.0;
const WARMUP: Duration = Duration::from_secs(2);
/// Long enough for the batch processor (200 ms timeout) and the exporter to flush.
const DRAIN: Duration = Duration::from_secs(2);

/// `sonde` beside this executable: cargo builds both into the same profile directory,
/// wherever the target directory is.
fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("sonde")))
        .unwrap_or_else(|| PathBuf::from("sonde"))
}

struct Row {
    measure: String,
    figure: String,
    goal: String,
}

fn row(measure: &str, figure: String, goal: &str) -> Row {
    Row {
        measure: measure.into(),
        figure,
        goal: goal.into(),
    }
}

type Result<T> = std::result::Result<T, String>;

async fn throughput(args: &Args, binary: &Path) -> Result<Vec<Row>> {
    let (sonde, received) = start(args, binary).await?;
    let pid = sonde.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load::max_throughput(
        sonde.receiver_port,
        args.clients,
        args.spans_per_request,
        stop.clone(),
    ));
    tokio::time::sleep(WARMUP).await;
    let (cpu0, spans0, t0) = (
        procstat::cpu_time(pid).map_err(|e| e.to_string())?,
        received.get()?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = load.await.map_err(|e| e.to_string())??;
    tokio::time::sleep(DRAIN).await;
    let cpu = procstat::cpu_time(pid).map_err(|e| e.to_string())? - cpu0;
    let wall = t0.elapsed();
    let spans = received.get()? - spans0;
    let mem = procstat::memory(pid).map_err(|e| e.to_string())?;
    let clean = sonde.stop().map_err(|e| e.to_string())?;
    let errors = tally.errors.load(Ordering::Relaxed);
    Ok(vec![
        row(
            "throughput: spans delivered",
            format!("{spans} in {:.1} s", wall.as_secs_f64()),
            "",
        ),
        row(
            "throughput: spans/s (wall)",
            format!("{:.0}", spans as f64 / wall.as_secs_f64()),
            "",
        ),
        row(
            "throughput: spans per CPU-second",
            format!("{:.0}", spans as f64 / cpu.as_secs_f64().max(1e-9)),
            ">= 500000",
        ),
        row(
            "throughput: sonde CPU",
            format!(
                "{:.0}% of one core",
                100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
            ),
            "",
        ),
        row(
            "throughput: peak RSS (VmHWM)",
            format!("{:.1} MiB", mem.peak_rss as f64 / MIB),
            "",
        ),
        row("throughput: client errors", errors.to_string(), "0"),
        row(
            "throughput: exit on SIGTERM",
            if clean { "0".into() } else { "non-zero".into() },
            "0",
        ),
    ])
}

async fn steady(args: &Args, binary: &Path) -> Result<Vec<Row>> {
    let (sonde, received) = start(args, binary).await?;
    let pid = sonde.pid();
    let duration = WARMUP + Duration::from_secs(args.steady_seconds);
    let load = tokio::spawn(load::fixed_rate(
        sonde.receiver_port,
        args.rate,
        args.spans_per_request,
        duration,
    ));
    tokio::time::sleep(WARMUP).await;
    let (cpu0, t0) = (
        procstat::cpu_time(pid).map_err(|e| e.to_string())?,
        Instant::now(),
    );
    let tally = load.await.map_err(|e| e.to_string())??;
    let cpu = procstat::cpu_time(pid).map_err(|e| e.to_string())? - cpu0;
    let wall = t0.elapsed();
    let mem = procstat::memory(pid).map_err(|e| e.to_string())?;
    tokio::time::sleep(DRAIN).await;
    let delivered = received.get()?;
    let clean = sonde.stop().map_err(|e| e.to_string())?;
    let sent = tally.ok_spans.load(Ordering::Relaxed);
    Ok(vec![
        row(
            "steady: rate offered",
            format!("{} spans/s, {} s measured", args.rate, args.steady_seconds),
            "",
        ),
        row(
            "steady: spans acked / delivered",
            format!("{sent} / {delivered}"),
            "equal",
        ),
        row(
            "steady: sonde CPU",
            format!(
                "{:.2}% of one core",
                100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
            ),
            "<= 5%",
        ),
        row(
            "steady: RSS (VmRSS)",
            format!("{:.1} MiB", mem.rss as f64 / MIB),
            "<= 40 MiB",
        ),
        row(
            "steady: peak RSS (VmHWM)",
            format!("{:.1} MiB", mem.peak_rss as f64 / MIB),
            "",
        ),
        row(
            "steady: client errors",
            tally.errors.load(Ordering::Relaxed).to_string(),
            "0",
        ),
        row(
            "steady: exit on SIGTERM",
            if clean { "0".into() } else { "non-zero".into() },
            "0",
        ),
    ])
}

fn print_table(rows: &[Row]) {
    let w0 = rows
        .iter()
        .map(|r| r.measure.len())
        .max()
        .unwrap_or(0)
        .max("measure".len());
    let w1 = rows
        .iter()
        .map(|r| r.figure.len())
        .max()
        .unwrap_or(0)
        .max("figure".len());
    println!("{:<w0$}  {:>w1$}  goal", "measure", "figure");
    println!("{}  {}  ----", "-".repeat(w0), "-".repeat(w1));
    for r in rows {
        println!("{:<w0$}  {:>w1$}  {}", r.measure, r.figure, r.goal);
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let binary = args.sonde.clone().unwrap_or_else(default_binary);
    if !binary.exists() {
        eprintln!(
            "no sonde binary at {}: build it with `cargo build --release -p sonde -p sonde-loadgen` (or pass --sonde)",
            binary.display()
        );
        return std::process::ExitCode::from(2);
    }
    println!(
        "sonde-bench: {} | otlp/grpc -> batch -> {} | {} spans per request",
        binary.display(),
        match args.exporter.as_str() {
            "clickhouse" => "clickhouse (RowBinary, lz4) to a stand-in".to_string(),
            _ => format!("otlp/grpc (compression: {})", args.compression),
        },
        args.spans_per_request
    );
    let mut rows = Vec::new();
    let mut failed = false;
    if !args.no_throughput {
        eprintln!(
            "throughput run: {} clients for {} s ...",
            args.clients, args.seconds
        );
        match throughput(&args, &binary).await {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("throughput run failed: {e}");
                failed = true;
            }
        }
    }
    if !args.no_steady {
        eprintln!(
            "steady run: {} spans/s for {} s ...",
            args.rate, args.steady_seconds
        );
        match steady(&args, &binary).await {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("steady run failed: {e}");
                failed = true;
            }
        }
    }
    print_table(&rows);
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
