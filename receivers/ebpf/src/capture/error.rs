//! Why a capture could not start. The preflight variants are one line each,
//! saying what is missing and what to do about it.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("sonde was built without eBPF (SONDE_NO_EBPF=1)")]
    BuiltWithoutEbpf,

    #[error("invalid eBPF capture config: {0}")]
    InvalidConfig(String),

    #[error(
        "eBPF capture needs root or the CAP_BPF and CAP_PERFMON capabilities (effective set is {cap_eff:#x}): \
         run sonde as root, or grant them with `setcap cap_bpf,cap_perfmon+ep <path to sonde>`"
    )]
    NotPermitted { cap_eff: u64 },

    #[error(
        "Linux {release} is too old: eBPF capture needs Linux 5.17 or later \
         (its programs walk a message's buffers with bpf_loop)"
    )]
    KernelTooOld { release: String },

    #[error(
        "the kernel exposes no BTF ({} is missing): eBPF capture needs a kernel built with \
         CONFIG_DEBUG_INFO_BTF=y (Linux 5.8 or later)",
        path.display()
    )]
    NoBtf { path: PathBuf },

    #[error(
        "tracefs is not mounted and mounting it at {} failed ({source}): mount it with \
         `mount -t tracefs nodev {}` and start again",
        path.display(),
        path.display()
    )]
    NoTracefs {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "the kernel has no tracepoint {category}:{event} ({} is missing): eBPF capture needs the \
         syscall, sock, tcp and sched tracepoints (CONFIG_FTRACE_SYSCALLS=y)",
        path.display()
    )]
    MissingTracepoint {
        category: &'static str,
        event: &'static str,
        path: PathBuf,
    },

    #[error("loading the eBPF object failed: {0}")]
    Load(#[source] Box<aya::EbpfError>),

    #[error("the eBPF object has no {what} named {name}")]
    Missing {
        what: &'static str,
        name: &'static str,
    },

    #[error(
        "eBPF program {program} ({category}:{event}) could not be loaded or attached: {source}"
    )]
    Program {
        program: &'static str,
        category: &'static str,
        event: &'static str,
        #[source]
        source: Box<aya::programs::ProgramError>,
    },

    #[error("eBPF map {map}: {source}")]
    Map {
        map: &'static str,
        #[source]
        source: Box<aya::maps::MapError>,
    },

    #[error("starting the ring-buffer reader failed: {0}")]
    Reader(#[source] io::Error),
}
