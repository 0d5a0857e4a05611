//! Tests on the running kernel (root, BTF, tracefs); each skips with its
//! reason printed where those are missing.

use super::*;

/// Why live tests cannot run here, if they cannot.
pub(crate) fn skip_reason() -> Option<String> {
    if cfg!(sonde_no_ebpf) {
        return Some("built with SONDE_NO_EBPF".to_owned());
    }
    preflight::check(&preflight::Host::system(), hooks::HOOKS)
        .err()
        .map(|e| e.to_string())
}

#[test]
fn dropping_the_capture_detaches_and_unloads_every_program() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    let (capture, mut events) = match Capture::start(&CaptureConfig::default()) {
        Ok(started) => started,
        Err(error) => panic!("{error}"),
    };
    let ids = capture.program_ids();
    assert_eq!(ids.len(), hooks::HOOKS.len());
    let loaded = |ids: &[u32]| -> usize {
        aya::programs::loaded_programs()
            .filter_map(Result::ok)
            .filter(|info| ids.contains(&info.id()))
            .count()
    };
    assert_eq!(loaded(&ids), ids.len());
    capture.stop();
    assert_eq!(loaded(&ids), 0);
    // The reader is gone: the channel ends once drained.
    while events.try_recv().is_ok() {}
    assert_eq!(
        events.try_recv(),
        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
    );
}
