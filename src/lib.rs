//! # backsim
//!
//! A deterministic discrete-event simulator of many clients retrying
//! against a rate-limited API. Describe the traffic, the provider's limits
//! and a few retry strategies in a scenario file; backsim runs each
//! strategy on a simulated clock and reports success rates, time to
//! success, the extra load retries put on the provider and the dollars
//! spent on generations nobody used.
//!
//! Data flows one way: scenario text → [`scenario::Scenario`] →
//! [`experiment::run`] (replications × strategies, each an
//! [`engine::simulate`] run) → [`metrics::summary`] → [`report`] exporters.
//!
//! ```
//! let text = r#"
//!     name = "doc"
//!     replications = 2
//!     horizon = "1m"
//!     [workload]
//!     kind = "burst"
//!     clients = 100
//!     [limiter]
//!     requests_per_minute = 600
//!     request_burst = 10
//!     [[strategy]]
//!     name = "linear"
//!     backoff = { kind = "linear", base = "1s" }
//!     max_attempts = 3
//! "#;
//! let scenario = backsim::scenario::parse(text, "doc.toml", "doc").unwrap();
//! let result = backsim::experiment::run(&scenario, 1).unwrap();
//! let linear = &result.strategies[0].summary;
//! // Waves at 0 s, 1 s and 3 s each pass one burst of 10: 30 of 100 succeed.
//! assert_eq!(linear.success_rate, 0.3);
//! ```

#[macro_use]
mod named;

pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod emit;
pub mod engine;
mod error;
pub mod experiment;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod interrupt;
pub mod machine;
pub mod metrics;
pub mod model;
pub mod pages;
pub mod policy;
pub mod pricing;
pub mod progress;
pub mod random;
pub mod report;
pub mod reuse;
pub mod scenario;
pub mod slots;
pub mod templates;
pub mod terminal;
pub mod time;

pub use error::Error;
