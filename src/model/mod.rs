//! The modelled provider and its traffic: distributions, the network, the
//! rate limiter, the servers (by kind) with their faults, service times
//! and cancellation, and the endpoint that puts a model's limiter and
//! server together for the engine. The workload and the clients live in
//! the event loop ([`crate::engine`]), which drives them.

pub mod cancel;
pub mod dist;
pub mod endpoint;
pub mod faults;
pub mod limiter;
pub mod network;
pub mod server;
pub mod service;
