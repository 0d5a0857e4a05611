//! The streams of a connection whose answer is still being gathered.
//!
//! A request is handed over as soon as its header block is read; its
//! answer is put together here from every header block the server sends on
//! the stream (informational, final, trailers) and handed over when the
//! stream ends: END_STREAM from the server, or RST_STREAM from either end.

use std::collections::VecDeque;

use super::message::Response;

/// Streams tracked at once; beyond it the oldest is forgotten (its request
/// is then reported unanswered by the pairer).
pub const MAX_OPEN: usize = 256;

pub struct Open {
    pub id: u32,
    /// The request was read (else only the answer was seen: sonde joined
    /// after the request, or lost it).
    pub request_seen: bool,
    pub response: Response,
}

#[derive(Default)]
pub struct Streams {
    /// Oldest (lowest id) first.
    open: VecDeque<Open>,
    /// The first and last request stream ids read (0: none yet).
    first_request: u32,
    last_request: u32,
}

impl Streams {
    /// The request of stream `id` was read.
    pub fn requested(&mut self, id: u32) {
        if self.first_request == 0 {
            self.first_request = id;
        }
        self.last_request = self.last_request.max(id);
        self.push(Open {
            id,
            request_seen: true,
            response: Response::new(id),
        });
    }

    /// Whether a client header block on stream `id` opens a new stream:
    /// ids only grow (RFC 9113 §5.1.1), so a lower one carries trailers.
    pub fn is_new_request(&self, id: u32) -> bool {
        id > self.last_request
    }

    /// The stream the server answers on. A stream sonde never saw opened
    /// is tracked from its answer when it was opened before sonde joined
    /// or after bytes were lost; one that was opened and has ended (a
    /// reset raced the answer) is not.
    pub fn answering(&mut self, id: u32) -> Option<&mut Open> {
        if let Some(i) = self.find(id) {
            return self.open.get_mut(i);
        }
        let unseen = self.first_request == 0 || id < self.first_request || id > self.last_request;
        if !unseen {
            return None;
        }
        self.push(Open {
            id,
            request_seen: false,
            response: Response::new(id),
        });
        self.get_mut(id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut Open> {
        let i = self.find(id)?;
        self.open.get_mut(i)
    }

    /// The stream ended: stop tracking it.
    pub fn take(&mut self, id: u32) -> Option<Open> {
        let i = self.find(id)?;
        self.open.remove(i)
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    fn find(&self, id: u32) -> Option<usize> {
        // Answers mostly come for recent streams.
        self.open.iter().rposition(|o| o.id == id)
    }

    fn push(&mut self, open: Open) {
        if let Some(i) = self.find(open.id) {
            self.open.remove(i);
        }
        // Keep the order by id, which is almost always the arrival order.
        let at = self
            .open
            .iter()
            .rposition(|o| o.id < open.id)
            .map_or(0, |i| i + 1);
        self.open.insert(at, open);
        if self.open.len() > MAX_OPEN {
            self.open.pop_front();
        }
    }
}
