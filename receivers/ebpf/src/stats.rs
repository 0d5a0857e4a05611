//! The receiver's own metrics, on sonde's `/metrics`: what the kernel side sent,
//! dropped and filtered, and what the tracer made of it.
//!
//! `sonde_receiver_ebpf_events_total{receiver, outcome}` counts hooked syscalls and
//! records by outcome (`sent`, `ring_buffer_dropped`, `channel_dropped`,
//! `decode_failed`, `filtered_self`, `filtered_pid`, `filtered_comm`,
//! `filtered_port`, `filtered_not_l7`); `sonde_receiver_ebpf_messages_total{receiver,
//! outcome}` counts what the protocol layer made of them (`span`, `unpaired`,
//! `unrecognised`).

use sonde_api::telemetry::{Counters, Telemetry};
use sonde_api::ComponentId;

use crate::capture::CaptureStats;
use crate::tracer::TracerStats;

pub struct EventCounters {
    receiver: String,
    events: Counters,
    messages: Counters,
    /// The totals already counted: the kernel's are absolute, the metric grows by deltas.
    seen_capture: CaptureStats,
    seen_tracer: TracerStats,
}

impl EventCounters {
    pub fn register(telemetry: &Telemetry, id: &ComponentId) -> EventCounters {
        let events = telemetry.counters(
            "sonde_receiver_ebpf_events",
            "Hooked syscalls and kernel records of the eBPF receiver, by outcome",
        );
        let messages = telemetry.counters(
            "sonde_receiver_ebpf_messages",
            "What the eBPF receiver's protocol layer made of captured data, by outcome",
        );
        EventCounters {
            receiver: id.to_string(),
            events,
            messages,
            seen_capture: CaptureStats::default(),
            seen_tracer: TracerStats::default(),
        }
    }

    pub fn update(&mut self, capture: &CaptureStats, tracer: TracerStats) {
        let old = self.seen_capture;
        for (outcome, now, before) in [
            ("sent", capture.events_sent, old.events_sent),
            (
                "ring_buffer_dropped",
                capture.ring_buffer_drops,
                old.ring_buffer_drops,
            ),
            ("channel_dropped", capture.channel_drops, old.channel_drops),
            ("decode_failed", capture.decode_errors, old.decode_errors),
            ("filtered_self", capture.filtered_self, old.filtered_self),
            ("filtered_pid", capture.filtered_pid, old.filtered_pid),
            ("filtered_comm", capture.filtered_comm, old.filtered_comm),
            ("filtered_port", capture.filtered_port, old.filtered_port),
            (
                "filtered_not_l7",
                capture.filtered_not_l7,
                old.filtered_not_l7,
            ),
        ] {
            self.bump(&self.events, outcome, now.saturating_sub(before));
        }
        let old = self.seen_tracer;
        for (outcome, now, before) in [
            ("span", tracer.spans, old.spans),
            ("unpaired", tracer.unpaired, old.unpaired),
            ("unrecognised", tracer.unrecognised, old.unrecognised),
        ] {
            self.bump(&self.messages, outcome, now.saturating_sub(before));
        }
        self.seen_capture = *capture;
        self.seen_tracer = tracer;
    }

    fn bump(&self, family: &Counters, outcome: &'static str, by: u64) {
        let labels = vec![
            ("receiver", self.receiver.clone()),
            ("outcome", outcome.to_string()),
        ];
        // Created at zero even when nothing happened, so every outcome is listed.
        family.get_or_create(&labels).inc_by(by);
    }
}
