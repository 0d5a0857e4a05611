//! The ring-buffer reader: one dedicated thread that sleeps in poll(2) on the
//! ring buffer and on a stop pipe, decodes every record and hands it to a
//! bounded channel. A full channel drops the event and counts it; the kernel
//! side is never blocked.
//!
//! After each drain it waits [`BATCH_INTERVAL_MS`] before looking again, so a busy
//! host costs a hundred wake-ups a second instead of one per syscall: waking a
//! thread costs more than handling the few events it brings. Events are ordered
//! over a longer window downstream anyway.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

use aya::maps::{MapData, RingBuf};
use tokio::sync::mpsc;

use super::event::{decode, Event};
use super::stats::ReaderCounters;

/// How long the reader lets records gather after a drain.
pub(crate) const BATCH_INTERVAL_MS: i32 = 10;

pub(crate) struct Reader {
    stop: Option<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    pub fn spawn(
        ring: RingBuf<MapData>,
        events: mpsc::Sender<Event>,
        counters: Arc<ReaderCounters>,
    ) -> io::Result<Reader> {
        let mut fds = [0; 2];
        // SAFETY: fds has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both are open descriptors we now own.
        let (stop_read, stop_write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let thread = std::thread::Builder::new()
            .name("sonde-ebpf-ring".to_owned())
            .spawn(move || run(ring, stop_read, events, &counters))?;
        Ok(Reader {
            stop: Some(stop_write),
            thread: Some(thread),
        })
    }

    /// Wakes the thread, lets it drain what is in the ring, and waits for it.
    pub fn stop(&mut self) {
        // Closing the write end makes the read end readable (EOF).
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the eBPF ring-buffer reader panicked");
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    mut ring: RingBuf<MapData>,
    stop: OwnedFd,
    events: mpsc::Sender<Event>,
    counters: &ReaderCounters,
) {
    loop {
        let mut fds = [
            libc::pollfd {
                fd: ring.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stop.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: fds is a valid array of two pollfd for the call's duration.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            tracing::error!(%error, "polling the eBPF ring buffer failed; capture stops");
            return;
        }
        drain(&mut ring, &events, counters);
        if fds[1].revents != 0 {
            return;
        }
        // Let records gather; a stop still wakes us at once.
        let mut stop_fd = [libc::pollfd {
            fd: stop.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: stop_fd is a valid array of one pollfd for the call's duration.
        unsafe { libc::poll(stop_fd.as_mut_ptr(), 1, BATCH_INTERVAL_MS) };
    }
}

fn drain(ring: &mut RingBuf<MapData>, events: &mpsc::Sender<Event>, counters: &ReaderCounters) {
    while let Some(record) = ring.next() {
        match decode(&record) {
            Ok(event) => {
                if events.try_send(event).is_err() {
                    counters.channel_drops.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(error) => {
                let seen = counters.decode_errors.fetch_add(1, Ordering::Relaxed) + 1;
                // A mismatch repeats on every record: say it, then say it rarely.
                if seen.is_power_of_two() {
                    tracing::warn!(%error, seen, "dropping an eBPF record that does not decode");
                }
            }
        }
    }
}
