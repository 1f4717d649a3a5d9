//! The modelled provider and its traffic: distributions, the rate limiter
//! and the server. The workload and the clients live in the event loop
//! ([`crate::engine`]), which drives them.

pub mod dist;
pub mod limiter;
pub mod server;
