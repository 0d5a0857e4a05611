//! Before loading anything: is this build, this process and this kernel able
//! to capture? Checked in order — eBPF compiled in, privileges, the kernel's
//! version, BTF, tracefs (mounted here when it is not), every tracepoint — and
//! the first failure is returned as a one-line error that says what to do.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::CaptureError;
use super::hooks::Hook;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The oldest kernel the programs load on: `bpf_loop` (the walk over a
/// message's iovecs) came in 5.17.
pub(crate) const OLDEST_KERNEL: (u32, u32) = (5, 17);

/// Where the checks look; [`Host::system`] is the real machine, tests point
/// it at a temporary directory.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub proc_status: PathBuf,
    /// The kernel's release string (`6.1.0-13-amd64`).
    pub osrelease: PathBuf,
    pub btf: PathBuf,
    /// Candidate tracefs mount points, preferred first.
    pub tracefs: Vec<PathBuf>,
    /// Whether a missing tracefs may be mounted at `tracefs[0]`.
    pub mount: bool,
}

impl Host {
    pub fn system() -> Self {
        Host {
            proc_status: PathBuf::from("/proc/self/status"),
            osrelease: PathBuf::from("/proc/sys/kernel/osrelease"),
            btf: PathBuf::from("/sys/kernel/btf/vmlinux"),
            tracefs: vec![
                PathBuf::from("/sys/kernel/tracing"),
                PathBuf::from("/sys/kernel/debug/tracing"),
            ],
            mount: true,
        }
    }
}

/// Runs every check; returns the tracefs directory in use.
pub(crate) fn check(host: &Host, hooks: &[Hook]) -> Result<PathBuf, CaptureError> {
    if cfg!(sonde_no_ebpf) {
        return Err(CaptureError::BuiltWithoutEbpf);
    }
    check_privileges(host)?;
    check_kernel_version(host)?;
    if !host.btf.exists() {
        return Err(CaptureError::NoBtf {
            path: host.btf.clone(),
        });
    }
    let tracefs = find_tracefs(host)?;
    for hook in hooks {
        let path = tracefs.join("events").join(hook.category).join(hook.event);
        if !path.join("id").exists() {
            return Err(CaptureError::MissingTracepoint {
                category: hook.category,
                event: hook.event,
                path,
            });
        }
    }
    Ok(tracefs)
}

/// A release string we cannot read or parse passes: the load then says what
/// it says.
fn check_kernel_version(host: &Host) -> Result<(), CaptureError> {
    let Ok(release) = fs::read_to_string(&host.osrelease) else {
        return Ok(());
    };
    let release = release.trim();
    match parse_release(release) {
        Some(version) if version < OLDEST_KERNEL => Err(CaptureError::KernelTooOld {
            release: release.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The major and minor numbers of a kernel release string.
pub(crate) fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn check_privileges(host: &Host) -> Result<(), CaptureError> {
    let status = fs::read_to_string(&host.proc_status).unwrap_or_default();
    let cap_eff = parse_cap_eff(&status).unwrap_or(0);
    if has_capabilities(cap_eff) {
        Ok(())
    } else {
        Err(CaptureError::NotPermitted { cap_eff })
    }
}

/// The `CapEff:` line of /proc/<pid>/status.
pub(crate) fn parse_cap_eff(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// CAP_SYS_ADMIN alone, or CAP_BPF with CAP_PERFMON (Linux 5.8+), can load
/// tracing programs and attach them to tracepoints.
pub(crate) fn has_capabilities(cap_eff: u64) -> bool {
    let has = |cap: u32| cap_eff & (1u64 << cap) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

fn find_tracefs(host: &Host) -> Result<PathBuf, CaptureError> {
    if let Some(found) = host.tracefs.iter().find(|dir| dir.join("events").is_dir()) {
        return Ok(found.clone());
    }
    let Some(target) = host.tracefs.first() else {
        return Err(CaptureError::NoTracefs {
            path: PathBuf::from("/sys/kernel/tracing"),
            source: io::Error::from(io::ErrorKind::NotFound),
        });
    };
    let mounted = if host.mount {
        mount_tracefs(target)
    } else {
        Err(io::Error::from(io::ErrorKind::PermissionDenied))
    };
    match mounted {
        Ok(()) if target.join("events").is_dir() => {
            tracing::info!(path = %target.display(), "mounted tracefs");
            Ok(target.clone())
        }
        Ok(()) => Err(CaptureError::NoTracefs {
            path: target.clone(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "the mounted tracefs has no events directory",
            ),
        }),
        Err(source) => Err(CaptureError::NoTracefs {
            path: target.clone(),
            source,
        }),
    }
}

fn mount_tracefs(target: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let target = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: all pointers are valid NUL-terminated strings for the call.
    let rc = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
#[cfg_attr(sonde_no_ebpf, allow(dead_code))]
mod tests {
    use super::*;

    const ROOT_STATUS: &str = "Name:\tsonde\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n";

    fn fake_host(dir: &Path, cap_eff: &str) -> Host {
        let status = dir.join("status");
        fs::write(&status, format!("Name:\tsonde\nCapEff:\t{cap_eff}\n")).expect("write status");
        let btf = dir.join("vmlinux");
        fs::write(&btf, b"btf").expect("write btf");
        let osrelease = dir.join("osrelease");
        fs::write(&osrelease, b"6.1.0-13-amd64\n").expect("write osrelease");
        let tracefs = dir.join("tracing");
        fs::create_dir_all(tracefs.join("events/syscalls/sys_enter_read")).expect("mkdir");
        fs::write(tracefs.join("events/syscalls/sys_enter_read/id"), b"1\n").expect("write id");
        Host {
            proc_status: status,
            osrelease,
            btf,
            tracefs: vec![tracefs],
            mount: false,
        }
    }

    const READ: Hook = Hook {
        program: "sys_enter_read",
        category: "syscalls",
        event: "sys_enter_read",
    };
    const RECVMMSG: Hook = Hook {
        program: "sys_enter_recvmmsg",
        category: "syscalls",
        event: "sys_enter_recvmmsg",
    };

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sonde-preflight-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    #[test]
    fn cap_eff_is_read_from_proc_status() {
        assert_eq!(parse_cap_eff(ROOT_STATUS), Some(0x1fffeffffff));
        assert_eq!(parse_cap_eff("Name:\tx\n"), None);
    }

    #[test]
    fn kernel_releases_are_read_to_their_minor_number() {
        assert_eq!(parse_release("6.18.44-fc-v657"), Some((6, 18)));
        assert_eq!(parse_release("5.17"), Some((5, 17)));
        assert_eq!(parse_release("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_release("linux"), None);
        assert!(parse_release("5.16.20").is_some_and(|v| v < OLDEST_KERNEL));
    }

    #[test]
    fn sys_admin_or_bpf_with_perfmon_is_enough() {
        assert!(has_capabilities(0x1fffeffffff));
        assert!(has_capabilities(1 << 21));
        assert!(has_capabilities((1 << 39) | (1 << 38)));
        assert!(!has_capabilities(1 << 39));
        assert!(!has_capabilities(0));
    }

    #[cfg(not(sonde_no_ebpf))]
    #[test]
    fn a_complete_host_passes() {
        let dir = temp_dir("ok");
        let host = fake_host(&dir, "000001fffeffffff");
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Ok(dir.join("tracing"))
        );
    }

    #[cfg(not(sonde_no_ebpf))]
    #[test]
    fn each_missing_piece_says_what_to_do() {
        let dir = temp_dir("caps");
        let host = fake_host(&dir, "0000000000000000");
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Err("eBPF capture needs root or the CAP_BPF and CAP_PERFMON capabilities (effective set is 0x0): \
                 run sonde as root, or grant them with `setcap cap_bpf,cap_perfmon+ep <path to sonde>`"
                .to_owned())
        );

        let dir = temp_dir("kernel");
        let host = fake_host(&dir, "0000000000200000");
        fs::write(&host.osrelease, b"5.15.0-91-generic\n").expect("write osrelease");
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Err(
                "Linux 5.15.0-91-generic is too old: eBPF capture needs Linux 5.17 or later \
                 (its programs walk a message's buffers with bpf_loop)"
                    .to_owned()
            )
        );

        let dir = temp_dir("btf");
        let host = fake_host(&dir, "0000000000200000");
        fs::remove_file(&host.btf).expect("rm");
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Err(format!(
                "the kernel exposes no BTF ({}/vmlinux is missing): eBPF capture needs a kernel built with \
                 CONFIG_DEBUG_INFO_BTF=y (Linux 5.8 or later)",
                dir.display()
            ))
        );

        let dir = temp_dir("tracefs");
        let host = fake_host(&dir, "0000000000200000");
        fs::remove_dir_all(&host.tracefs[0]).expect("rm");
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Err(format!(
                "tracefs is not mounted and mounting it at {0}/tracing failed (permission denied): mount it with \
                 `mount -t tracefs nodev {0}/tracing` and start again",
                dir.display()
            ))
        );

        let dir = temp_dir("tracepoint");
        let host = fake_host(&dir, "0000000000200000");
        assert_eq!(
            check(&host, &[READ, RECVMMSG]).map_err(|e| e.to_string()),
            Err(format!(
                "the kernel has no tracepoint syscalls:sys_enter_recvmmsg ({}/tracing/events/syscalls/sys_enter_recvmmsg \
                 is missing): eBPF capture needs the syscall, sock, tcp and sched tracepoints (CONFIG_FTRACE_SYSCALLS=y)",
                dir.display()
            ))
        );
    }

    #[cfg(sonde_no_ebpf)]
    #[test]
    fn a_build_without_ebpf_says_so_first() {
        let host = Host::system();
        assert_eq!(
            check(&host, &[READ]).map_err(|e| e.to_string()),
            Err("sonde was built without eBPF (SONDE_NO_EBPF=1)".to_owned())
        );
    }
}
