//! Builds the kernel side of the eBPF receiver.
//!
//! * Compiles every `bpf/*.bpf.c` (at the repository root) with clang for the
//!   BPF target into `OUT_DIR/<name>.bpf.o`; `src/capture/object.rs` embeds it.
//! * Turns the `SONDE_SIZE` / `SONDE_OFFSET` lines and the numeric constants of
//!   `bpf/sonde_events.h` into Rust (`OUT_DIR/sonde_layout.rs`,
//!   `OUT_DIR/sonde_consts.rs`), so the `#[repr(C)]` mirrors are checked against
//!   the same numbers the C compiler checks the structs against.
//!
//! `SONDE_NO_EBPF=1` skips the compilation (no clang needed) and sets the
//! `sonde_no_ebpf` cfg; the capture then refuses to start with a clear error.
//! `CLANG` names another clang; `SONDE_LIBBPF_INCLUDE` another directory holding
//! `bpf/bpf_helpers.h` (default `/usr/include`).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str = "install them with `apt-get install clang libbpf-dev`, \
     or build without eBPF with SONDE_NO_EBPF=1 (the ebpf receiver then refuses to start)";

fn main() {
    let manifest =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bpf_dir = manifest.join("../../bpf");

    println!("cargo:rustc-check-cfg=cfg(sonde_no_ebpf)");
    println!("cargo:rerun-if-env-changed=SONDE_NO_EBPF");
    println!("cargo:rerun-if-env-changed=CLANG");
    println!("cargo:rerun-if-env-changed=SONDE_LIBBPF_INCLUDE");
    println!("cargo:rerun-if-changed={}", bpf_dir.display());

    let mut sources = Vec::new();
    for entry in
        fs::read_dir(&bpf_dir).unwrap_or_else(|e| panic!("reading {}: {e}", bpf_dir.display()))
    {
        let path = entry
            .unwrap_or_else(|e| panic!("reading {}: {e}", bpf_dir.display()))
            .path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.to_string_lossy().ends_with(".bpf.c") {
            sources.push(path);
        }
    }
    sources.sort();

    let header = bpf_dir.join("sonde_events.h");
    let text =
        fs::read_to_string(&header).unwrap_or_else(|e| panic!("reading {}: {e}", header.display()));
    write(&out.join("sonde_layout.rs"), &layout_asserts(&text));
    write(&out.join("sonde_consts.rs"), &constants(&text));

    if env::var("SONDE_NO_EBPF").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo:rustc-cfg=sonde_no_ebpf");
        println!("cargo:warning=SONDE_NO_EBPF is set: building sonde without eBPF; the ebpf receiver will refuse to start");
        return;
    }

    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".to_owned());
    let libbpf = PathBuf::from(
        env::var("SONDE_LIBBPF_INCLUDE").unwrap_or_else(|_| "/usr/include".to_owned()),
    );
    if Command::new(&clang).arg("--version").output().is_err() {
        panic!("\n\nsonde's eBPF receiver needs clang (`{clang}` was not found) and the libbpf headers to build: {INSTALL_HINT}\n\n");
    }
    if !libbpf.join("bpf/bpf_helpers.h").is_file() {
        panic!(
            "\n\nsonde's eBPF receiver needs the libbpf headers ({} is missing): {INSTALL_HINT}\n\n",
            libbpf.join("bpf/bpf_helpers.h").display()
        );
    }

    for source in &sources {
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let object = out.join(name.replace(".bpf.c", ".bpf.o"));
        let output = Command::new(&clang)
            .args([
                "-O2",
                "-g",
                "-target",
                "bpf",
                "-D__TARGET_ARCH_x86",
                "-Wall",
                "-Werror",
            ])
            .arg("-I")
            .arg(&bpf_dir)
            .arg("-idirafter")
            .arg(&libbpf)
            .arg("-c")
            .arg(source)
            .arg("-o")
            .arg(&object)
            .output()
            .unwrap_or_else(|e| panic!("running {clang}: {e}"));
        if !output.status.success() {
            panic!(
                "\n\nclang failed on {}:\n{}\n",
                source.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

fn write(path: &Path, text: &str) {
    // Rewrite only on change, so an unchanged header does not rebuild the crate.
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// The arguments of a `NAME(a, b, c);` line, when the line is one.
fn macro_args<'a>(line: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let rest = line.trim().strip_prefix(name)?.strip_prefix('(')?;
    let inner = rest.strip_suffix(");")?;
    Some(inner.split(',').map(str::trim).collect())
}

/// `SONDE_SIZE(t, n);` and `SONDE_OFFSET(t, f, n);` as const asserts on `raw::t`.
fn layout_asserts(header: &str) -> String {
    let mut rust = String::from("// Generated by build.rs from bpf/sonde_events.h.\n");
    let mut count = 0;
    for line in header.lines() {
        if let Some(args) = macro_args(line, "SONDE_SIZE") {
            let [ty, size] = args[..] else {
                panic!("bad SONDE_SIZE line: {line}")
            };
            writeln!(
                rust,
                "const _: () = assert!(::core::mem::size_of::<{ty}>() == {size}, \"size of {ty} differs from bpf/sonde_events.h\");"
            )
            .expect("writing to a String");
            count += 1;
        } else if let Some(args) = macro_args(line, "SONDE_OFFSET") {
            let [ty, field, offset] = args[..] else {
                panic!("bad SONDE_OFFSET line: {line}")
            };
            writeln!(
                rust,
                "const _: () = assert!(::core::mem::offset_of!({ty}, {field}) == {offset}, \"offset of {ty}.{field} differs from bpf/sonde_events.h\");"
            )
            .expect("writing to a String");
            count += 1;
        }
    }
    assert!(
        count > 0,
        "bpf/sonde_events.h has no SONDE_SIZE/SONDE_OFFSET lines"
    );
    rust
}

/// Every `#define SONDE_X <int>` / `#define SONDE_X (1u << k)` and every
/// `SONDE_X = <int>,` enumerator as a `pub const SONDE_X: u32`.
fn constants(header: &str) -> String {
    let mut rust = String::from("// Generated by build.rs from bpf/sonde_events.h.\n");
    for line in header.lines() {
        let line = line.trim();
        let (name, value) = if let Some(rest) = line.strip_prefix("#define ") {
            let mut parts = rest.splitn(2, char::is_whitespace);
            (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default().trim(),
            )
        } else if let Some((name, value)) = line.split_once(" = ") {
            (name.trim(), value.trim().trim_end_matches(','))
        } else {
            continue;
        };
        if !name.starts_with("SONDE_") || name.contains('(') {
            continue;
        }
        let value = if let Some(shift) = value
            .strip_prefix("(1u << ")
            .and_then(|v| v.strip_suffix(')'))
        {
            shift.trim().parse::<u32>().ok().map(|k| 1u32 << k)
        } else {
            value.parse::<u32>().ok()
        };
        if let Some(value) = value {
            writeln!(rust, "pub const {name}: u32 = {value};").expect("writing to a String");
        }
    }
    rust
}
