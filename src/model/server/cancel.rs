//! Cancel on disconnect: a server that stops an attempt as soon as its
//! client gives up on it. It must find the attempt to stop it, so it keeps
//! where each request's current attempt is (queued, or in service and
//! how far its generation has got) in a column beside the request slots.

use crate::slots::SlotColumn;
use crate::time::SimTime;

/// Where the current attempt of a request is at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AtServer {
    #[default]
    Nowhere,
    Queued {
        attempt: u32,
    },
    Serving {
        attempt: u32,
        /// When the first output token is generated.
        first_token: SimTime,
        /// When the last one is.
        end: SimTime,
    },
}

/// What stopping an attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The attempt was not at the server (not yet there, already done,
    /// or the server does not cancel).
    NotThere,
    /// It was waiting in the queue.
    Queued,
    /// It was in service; its generation ran from `first_token` to `end`.
    Serving { first_token: SimTime, end: SimTime },
}

/// Where each request's current attempt is, for a server that cancels on
/// disconnect (kept only when some model does).
pub struct Cancellation {
    at_server: SlotColumn<AtServer>,
}

impl Cancellation {
    pub fn new(kept: bool) -> Cancellation {
        Cancellation {
            at_server: SlotColumn::new(kept),
        }
    }

    /// Bytes kept per request slot.
    pub fn bytes_per_slot(kept: bool) -> usize {
        if kept { size_of::<AtServer>() } else { 0 }
    }

    /// Slot `req` starts a new request.
    #[inline]
    pub fn reset(&mut self, req: u32) {
        self.at_server.reset(req, AtServer::Nowhere);
    }

    /// `attempt` of `req` waits in the queue.
    #[inline]
    pub fn queued(&mut self, req: u32, attempt: u32) {
        self.at_server.set(req, AtServer::Queued { attempt });
    }

    /// `attempt` of `req` is in service.
    #[inline]
    pub fn serving(&mut self, req: u32, attempt: u32, first_token: SimTime, end: SimTime) {
        let at = AtServer::Serving {
            attempt,
            first_token,
            end,
        };
        self.at_server.set(req, at);
    }

    /// `attempt` of `req` ends its service: true if it was still in
    /// service, false if it had been stopped.
    #[inline]
    pub fn service_ends(&mut self, req: u32, attempt: u32) -> bool {
        match self.at_server.get(req) {
            AtServer::Serving { attempt: a, .. } if a == attempt => {
                self.at_server.set(req, AtServer::Nowhere);
                true
            }
            _ => false,
        }
    }

    /// The client of `req` gave up on `attempt`: where it was, now that it
    /// is stopped.
    pub fn stop(&mut self, req: u32, attempt: u32) -> Stopped {
        if !self.at_server.kept() {
            return Stopped::NotThere;
        }
        let at_server = self.at_server.get_mut(req);
        match *at_server {
            AtServer::Queued { attempt: a } if a == attempt => {
                *at_server = AtServer::Nowhere;
                Stopped::Queued
            }
            AtServer::Serving {
                attempt: a,
                first_token,
                end,
            } if a == attempt => {
                *at_server = AtServer::Nowhere;
                Stopped::Serving { first_token, end }
            }
            _ => Stopped::NotThere,
        }
    }
}
