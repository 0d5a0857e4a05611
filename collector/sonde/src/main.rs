//! `sonde`: the command line, as otelcol's.
//!
//! `sonde --config FILE` runs; `validate`, `components` and `print-config` inspect.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sonde::components::registry;
use sonde_service::{components_yaml, redact::redact, run, Loader};

#[derive(Parser)]
#[command(
    name = "sonde",
    version,
    about = "sonde: an OpenTelemetry Collector-compatible distribution with zero-code eBPF telemetry",
    long_about = None
)]
struct Cli {
    /// Locations of config files: a path, or a URI (file:PATH, env:VAR, yaml:INLINE).
    /// Several are deep-merged in order.
    #[arg(long = "config", global = true, value_name = "URI")]
    configs: Vec<String>,
    /// Set a config value, applied after every --config: --set=processors::batch::timeout=2s.
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Accepted for otelcol compatibility; sonde has no feature gates yet.
    #[arg(
        long = "feature-gates",
        global = true,
        value_name = "GATES",
        hide = true
    )]
    feature_gates: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Checks the config and exits: 0 when valid, 1 with the error otherwise.
    Validate,
    /// Lists the built-in receivers, processors, exporters and extensions as YAML.
    Components,
    /// Prints the resolved config (secrets redacted unless --mode unredacted).
    PrintConfig {
        #[arg(long, value_enum, default_value_t = Mode::Redacted)]
        mode: Mode,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Redacted,
    Unredacted,
}

fn fail(err: impl std::fmt::Display) -> ExitCode {
    eprintln!("Error: {err}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loader = Loader {
        configs: cli.configs,
        sets: cli.sets,
    };
    let registry = registry();
    match cli.command {
        Some(Command::Components) => {
            print!("{}", components_yaml(&registry, env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Some(Command::Validate) => match loader.plan(&registry) {
            Ok(_) => ExitCode::SUCCESS,
            Err(err) => fail(err),
        },
        Some(Command::PrintConfig { mode }) => {
            let mut tree = match loader.load() {
                Ok(tree) => tree,
                Err(err) => return fail(err),
            };
            if let Mode::Redacted = mode {
                redact(&mut tree);
            }
            match serde_yaml::to_string(&tree) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(err) => fail(err),
            }
        }
        None => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(err) => return fail(format!("cannot start the runtime: {err}")),
            };
            match runtime.block_on(run(loader, registry)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => fail(err),
            }
        }
    }
}
