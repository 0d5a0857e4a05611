//! Loads the object with the config's globals, fills the filter maps and
//! attaches every tracepoint. The returned [`aya::Ebpf`] owns the links:
//! dropping it detaches everything.

use aya::maps::{HashMap, MapData};
use aya::programs::TracePoint;
use aya::{Ebpf, EbpfLoader, Pod};

use super::config::{comm_key, CaptureConfig};
use super::error::CaptureError;
use super::hooks::HOOKS;

pub(crate) fn load(object: &[u8], config: &CaptureConfig) -> Result<Ebpf, CaptureError> {
    let self_pid = config.self_pid;
    let payload_size = u32::try_from(config.payload_size).unwrap_or(u32::MAX);
    let filter_flags = config.filter_flags();
    let ring_bytes = u32::try_from(config.ring_buffer_bytes).unwrap_or(u32::MAX);
    let mut ebpf = EbpfLoader::new()
        .override_global("sonde_pid", &self_pid, true)
        .override_global("payload_size", &payload_size, true)
        .override_global("filter_flags", &filter_flags, true)
        .map_max_entries("events", ring_bytes)
        // `threads` is task-local storage, which aya has no typed handle for;
        // only the kernel side uses it.
        .allow_unsupported_maps()
        .load(object)
        .map_err(|e| CaptureError::Load(Box::new(e)))?;

    fill(&mut ebpf, "pid_allow", config.pid_allow.iter().copied())?;
    fill(&mut ebpf, "pid_deny", config.pid_deny.iter().copied())?;
    fill(
        &mut ebpf,
        "comm_allow",
        config.comm_allow.iter().map(|c| comm_key(c)),
    )?;
    fill(
        &mut ebpf,
        "comm_deny",
        config.comm_deny.iter().map(|c| comm_key(c)),
    )?;
    fill(&mut ebpf, "port_allow", config.port_allow.iter().copied())?;
    fill(&mut ebpf, "port_deny", config.port_deny.iter().copied())?;
    fill(&mut ebpf, "l7_ports", config.l7_ports.iter().copied())?;

    for hook in HOOKS {
        let program_error = |source| CaptureError::Program {
            program: hook.program,
            category: hook.category,
            event: hook.event,
            source: Box::new(source),
        };
        let program: &mut TracePoint = ebpf
            .program_mut(hook.program)
            .ok_or(CaptureError::Missing {
                what: "program",
                name: hook.program,
            })?
            .try_into()
            .map_err(program_error)?;
        program.load().map_err(program_error)?;
        program
            .attach(hook.category, hook.event)
            .map_err(program_error)?;
    }
    tracing::debug!(programs = HOOKS.len(), "eBPF capture attached");
    Ok(ebpf)
}

fn fill<K: Pod>(
    ebpf: &mut Ebpf,
    map: &'static str,
    keys: impl Iterator<Item = K>,
) -> Result<(), CaptureError> {
    let found = ebpf.map_mut(map).ok_or(CaptureError::Missing {
        what: "map",
        name: map,
    })?;
    let mut table: HashMap<&mut MapData, K, u8> =
        HashMap::try_from(found).map_err(|source| CaptureError::Map {
            map,
            source: Box::new(source),
        })?;
    for key in keys {
        table
            .insert(key, 1, 0)
            .map_err(|source| CaptureError::Map {
                map,
                source: Box::new(source),
            })?;
    }
    Ok(())
}
