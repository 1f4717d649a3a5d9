//! The modelled provider and its traffic: distributions, the workload's
//! configuration, the network, the rate limiter, the servers (by kind)
//! with their faults, service times and cancellation, and the endpoint
//! that puts a model's limiter and server together for the engine. The
//! clients' retry behaviour is the policy's; the event loop drives both.

pub mod dist;
pub mod endpoint;
pub mod limiter;
pub mod network;
pub mod server;
pub mod workload;
