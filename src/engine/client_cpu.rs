//! The clients' own processing time (`[client] processing_time`,
//! `processes`): a client process that handles its responses one at a
//! time (one asyncio event loop serving many concurrent requests, say)
//! spreads a wave of answers out.
//!
//! Every answer a client hears (the current attempt's success or failure)
//! and every timeout of its own waits in its process's queue, first come
//! first served, and takes a processing time of that process's CPU; only
//! then does the client's policy learn of it ([`Event::Processed`]): the
//! success is counted, or the retry decision taken. Client `i` is served
//! by process `i mod processes`. A process is a clock of when it is next
//! free: an answer heard at `t` is processed from max(t, free) for its
//! processing time, so no queue needs to be kept.
//!
//! While an answer waits, its attempt is over for the provider and for
//! the client's timer: the answer has arrived, and no timeout can take it.
//! A timeout abandons its attempt when it fires (the provider is told
//! then); only the policy's decision waits for the CPU.

use super::*;
use crate::model::dist::Dist;
use crate::scenario::ClientProcessing;

/// The client processes of a run.
pub(super) struct ClientCpu<'a> {
    time: &'a Dist,
    /// The processing time when it is always the same (it draws nothing).
    fixed: Option<SimDuration>,
    /// When each process is next free; a process serves the clients
    /// `i` with `i mod processes` its index.
    free_at: Vec<SimTime>,
}

impl<'a> ClientCpu<'a> {
    /// The processes of `config` for `clients` clients (those beyond the
    /// clients would serve nobody, and are not kept), or `None` if the
    /// system does not give the memory.
    pub(super) fn new(config: &'a ClientProcessing, clients: u32) -> Option<ClientCpu<'a>> {
        let n = config.processes.min(clients).max(1) as usize;
        let mut free_at = Vec::new();
        free_at.try_reserve_exact(n).ok()?;
        free_at.resize(n, 0);
        let fixed = config.time.constant().map(nanos_from_f64);
        Some(ClientCpu {
            time: &config.time,
            fixed,
            free_at,
        })
    }

    /// Bytes [`ClientCpu::new`] allocates for `clients` clients.
    pub(super) fn bytes(config: &ClientProcessing, clients: u32) -> u64 {
        let n = u64::from(config.processes.min(clients).max(1));
        n * size_of::<SimTime>() as u64
    }

    /// Client `client` hears something at `now`: when its process has
    /// processed it (drawing the processing time from `rng` unless it is
    /// fixed).
    fn done_at(&mut self, now: SimTime, client: u32, rng: &mut Pcg64) -> SimTime {
        let d = match self.fixed {
            Some(d) => d,
            None => nanos_from_f64(self.time.sample(rng)),
        };
        let p = client as usize % self.free_at.len();
        let done = self.free_at[p].max(now).saturating_add(d);
        self.free_at[p] = done;
        done
    }
}

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    /// With client processing, `req`'s client has heard `answer` to its
    /// current attempt at `model` (`None`: its timeout): queues it on the
    /// client's process and returns true. Without, returns false and the
    /// caller lets the policy know at once.
    pub(super) fn process_later(
        &mut self,
        now: SimTime,
        req: u32,
        model: u8,
        answer: Option<Reply>,
    ) -> bool {
        if !FULL {
            return false;
        }
        let Some(cpu) = &mut self.cpu else {
            return false;
        };
        let client = self.requests[req as usize].client;
        let at = cpu.done_at(now, client, &mut self.rng);
        self.queue.push(at, Event::Processed { req, model, answer });
        true
    }

    /// The client's process has processed what `req`'s client heard: the
    /// policy learns of it now.
    pub(super) fn processed(&mut self, now: SimTime, req: u32, model: u8, answer: Option<Reply>) {
        self.m.touch(now);
        match answer {
            Some(reply) => self.heard(now, req, model, reply),
            None => {
                self.m
                    .attempt_resolved(AttemptOutcome::Timeout, usize::from(model));
                self.observe(now, req, Some(Failure::Timeout));
                self.failed(now, req, Failure::Timeout);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_process_serves_its_clients_one_at_a_time() {
        let config = ClientProcessing {
            time: Dist::Constant(10e6),
            processes: 2,
        };
        let mut cpu = ClientCpu::new(&config, 4).unwrap();
        let mut rng = RunSeeds::new(1, 0, 0, "t").run_rng();
        const MS: u64 = 1_000_000;
        // Clients 0 and 2 share process 0, 1 and 3 process 1.
        assert_eq!(cpu.done_at(0, 0, &mut rng), 10 * MS);
        assert_eq!(cpu.done_at(0, 2, &mut rng), 20 * MS);
        assert_eq!(cpu.done_at(0, 1, &mut rng), 10 * MS);
        // Idle from 20 ms to 50 ms: starts at once.
        assert_eq!(cpu.done_at(50 * MS, 2, &mut rng), 60 * MS);
        assert_eq!(cpu.done_at(5 * MS, 3, &mut rng), 20 * MS);
        // More processes than clients keeps one per client.
        let many = ClientProcessing {
            processes: 1000,
            ..config
        };
        assert_eq!(ClientCpu::bytes(&many, 3), 24);
        assert_eq!(ClientCpu::new(&many, 3).unwrap().free_at.len(), 3);
    }
}
