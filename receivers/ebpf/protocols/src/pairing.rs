//! Pairing requests with responses on one connection.
//!
//! Requests wait in a queue per sender (a client's requests, and for
//! protocols where the server also asks, the server's). A final response
//! takes the oldest unanswered request ([`Pairing::Fifo`]) or the one with
//! its id ([`Pairing::ById`]); an exchange is reported once both messages
//! have ended. What cannot be paired is reported as [`Unpaired`] with its
//! reason, so the caller can count it.

use std::collections::VecDeque;

use crate::protocol::{Disposition, Message, Pairing, ProtocolParser, Role};
use crate::segment::Meta;
use crate::session::{
    Emit, Event, Exchange, Half, Limits, Started, Stats, Unpaired, UnpairedReason,
};

/// A request waiting for its answer, and the answer once it begins.
pub(crate) struct Entry<P: ProtocolParser> {
    serial: u64,
    request: P::Request,
    request_meta: Meta,
    request_ended: bool,
    response: Option<Answer<P>>,
}

struct Answer<P: ProtocolParser> {
    response: P::Response,
    meta: Meta,
    ended: bool,
}

impl<P: ProtocolParser> Entry<P> {
    fn is_complete(&self) -> bool {
        self.request_ended && self.response.as_ref().is_some_and(|a| a.ended)
    }
}

/// The requests sent by one end that still wait for an answer, oldest first.
pub struct Pending<'a, P: ProtocolParser> {
    queue: &'a VecDeque<Entry<P>>,
}

impl<P: ProtocolParser> Clone for Pending<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ProtocolParser> Copy for Pending<'_, P> {}

impl<'a, P: ProtocolParser> Pending<'a, P> {
    /// The oldest request without a final answer.
    pub fn oldest(&self) -> Option<&'a P::Request> {
        self.iter().next()
    }

    /// Requests without a final answer, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &'a P::Request> + 'a {
        self.queue
            .iter()
            .filter(|e| e.response.is_none())
            .map(|e| &e.request)
    }

    /// The unanswered request carrying `id` ([`ProtocolParser::request_id`]).
    pub fn by_id(&self, id: u64) -> Option<&'a P::Request> {
        self.iter().find(|r| P::request_id(r) == id)
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no request waits.
    pub fn is_empty(&self) -> bool {
        self.oldest().is_none()
    }
}

/// What the message in progress from one sender belongs to.
enum Open<P: ProtocolParser> {
    /// A queued request, by serial.
    Request(u64),
    /// The answer of a queued request sent by `requester`.
    Answer { requester: Role, serial: u64 },
    /// A message reported alone when it ends.
    Lone(Half<P::Request, P::Response>, UnpairedReason),
    /// An interim response, or a cancel matching no request: nothing to report.
    Interim,
}

/// The pairing state of one connection.
pub(crate) struct Pairer<P: ProtocolParser> {
    /// Requests by sender: index 0 sent by the client, 1 by the server.
    queues: [VecDeque<Entry<P>>; 2],
    /// Message in progress by sender.
    open: [Option<Open<P>>; 2],
    local: Role,
    next_serial: u64,
    max_pending: usize,
    upgraded: bool,
}

impl<P: ProtocolParser> Pairer<P> {
    pub fn new(local: Role, limits: &Limits) -> Self {
        Pairer {
            queues: [VecDeque::new(), VecDeque::new()],
            open: [None, None],
            local,
            next_serial: 0,
            max_pending: limits.max_pending.max(1),
            upgraded: false,
        }
    }

    /// Requests sent by the peer of `from`, which a message from `from` may answer.
    pub fn pending_for(&self, from: Role) -> Pending<'_, P> {
        Pending {
            queue: &self.queues[from.peer().index()],
        }
    }

    /// Whether the connection stopped speaking this protocol.
    pub fn upgraded(&self) -> bool {
        self.upgraded
    }

    /// A message from `from` begins at `start`.
    pub fn begin(
        &mut self,
        from: Role,
        message: Message<P::Request, P::Response>,
        start: Meta,
        stats: &mut Stats,
        emit: Emit<'_, P>,
    ) {
        let open = match message {
            Message::Request(request) => self.begin_request(from, request, start, emit),
            Message::Response(response) => self.begin_response(from, response, start, stats),
        };
        self.open[from.index()] = Some(open);
    }

    fn begin_request(
        &mut self,
        from: Role,
        request: P::Request,
        start: Meta,
        emit: Emit<'_, P>,
    ) -> Open<P> {
        emit(Event::Started(Started {
            role: if from == self.local {
                Role::Client
            } else {
                Role::Server
            },
            meta: start,
            context: P::trace_context(&request),
            target: P::target(&request),
        }));
        if !P::expects_response(&request) {
            return Open::Lone(Half::Request(request), UnpairedReason::OneWay);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        let queue = &mut self.queues[from.index()];
        queue.push_back(Entry {
            serial,
            request,
            request_meta: start,
            request_ended: false,
            response: None,
        });
        if queue.len() > self.max_pending {
            if let Some(evicted) = queue.pop_front() {
                self.report_entry(from, evicted, UnpairedReason::Evicted, emit);
            }
        }
        Open::Request(serial)
    }

    fn begin_response(
        &mut self,
        from: Role,
        response: P::Response,
        start: Meta,
        stats: &mut Stats,
    ) -> Open<P> {
        let disposition = P::disposition(&response);
        match disposition {
            Disposition::Interim => {
                stats.interim += 1;
                return Open::Interim;
            }
            Disposition::Unsolicited => {
                return Open::Lone(Half::Response(response), UnpairedReason::Unsolicited)
            }
            Disposition::Upgrade => self.upgraded = true,
            Disposition::Final | Disposition::Cancel => {}
        }
        let requester = match disposition {
            Disposition::Cancel => from,
            _ => from.peer(),
        };
        let queue = &mut self.queues[requester.index()];
        let slot = match P::PAIRING {
            Pairing::Fifo => queue.iter_mut().find(|e| e.response.is_none()),
            Pairing::ById => {
                let id = P::response_id(&response);
                queue
                    .iter_mut()
                    .find(|e| e.response.is_none() && P::request_id(&e.request) == id)
            }
        };
        match slot {
            Some(entry) => {
                entry.response = Some(Answer {
                    response,
                    meta: start,
                    ended: false,
                });
                Open::Answer {
                    requester,
                    serial: entry.serial,
                }
            }
            None if disposition == Disposition::Cancel => Open::Interim,
            None => Open::Lone(Half::Response(response), UnpairedReason::NoRequest),
        }
    }

    /// The message in progress from `from` ended; `meta` is complete.
    pub fn end(&mut self, from: Role, meta: Meta, emit: Emit<'_, P>) {
        let Some(open) = self.open[from.index()].take() else {
            return;
        };
        match open {
            Open::Request(serial) => {
                let queue = &mut self.queues[from.index()];
                if let Some(entry) = queue.iter_mut().find(|e| e.serial == serial) {
                    entry.request_meta = meta;
                    entry.request_ended = true;
                }
                self.flush_complete(from, emit);
            }
            Open::Answer { requester, serial } => {
                let queue = &mut self.queues[requester.index()];
                if let Some(answer) = queue
                    .iter_mut()
                    .find(|e| e.serial == serial)
                    .and_then(|e| e.response.as_mut())
                {
                    answer.meta = meta;
                    answer.ended = true;
                }
                self.flush_complete(requester, emit);
            }
            Open::Lone(message, reason) => emit(Event::Unpaired(Unpaired {
                role: self.role_of(from, &message),
                message,
                meta,
                reason,
            })),
            Open::Interim => {}
        }
    }

    /// Report every exchange of `requester`'s queue whose both halves ended.
    fn flush_complete(&mut self, requester: Role, emit: Emit<'_, P>) {
        while let Some(i) = self.queues[requester.index()]
            .iter()
            .position(Entry::is_complete)
        {
            if let Some(entry) = self.queues[requester.index()].remove(i) {
                self.report_entry(requester, entry, UnpairedReason::Closed, emit);
            }
        }
    }

    /// Report an entry leaving the queue: an exchange when it has an answer,
    /// else an unpaired request for `reason`.
    fn report_entry(
        &self,
        requester: Role,
        entry: Entry<P>,
        reason: UnpairedReason,
        emit: Emit<'_, P>,
    ) {
        let role = if requester == self.local {
            Role::Client
        } else {
            Role::Server
        };
        match entry.response {
            Some(answer) => emit(Event::Exchange(Exchange {
                role,
                request: entry.request,
                request_meta: entry.request_meta,
                response: answer.response,
                response_meta: answer.meta,
            })),
            None => emit(Event::Unpaired(Unpaired {
                role,
                message: Half::Request(entry.request),
                meta: entry.request_meta,
                reason,
            })),
        }
    }

    /// The local endpoint's part in the exchange a lone message belongs to.
    fn role_of(&self, from: Role, message: &Half<P::Request, P::Response>) -> Role {
        let requester = match message {
            Half::Request(_) => from,
            Half::Response(_) => from.peer(),
        };
        if requester == self.local {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// Report every request older than `cutoff_ns` that has no answer yet.
    pub fn expire(&mut self, cutoff_ns: u64, emit: Emit<'_, P>) {
        for requester in [Role::Client, Role::Server] {
            while let Some(i) = self.queues[requester.index()]
                .iter()
                .position(|e| e.response.is_none() && e.request_meta.start_ns < cutoff_ns)
            {
                if let Some(entry) = self.queues[requester.index()].remove(i) {
                    self.report_entry(requester, entry, UnpairedReason::Expired, emit);
                }
            }
        }
    }

    /// The connection closed: report everything still held. Messages in
    /// progress were ended by the streams before this.
    pub fn close(&mut self, emit: Emit<'_, P>) {
        for requester in [Role::Client, Role::Server] {
            while let Some(entry) = self.queues[requester.index()].pop_front() {
                self.report_entry(requester, entry, UnpairedReason::Closed, emit);
            }
        }
        self.open = [None, None];
    }
}
