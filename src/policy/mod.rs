//! The client component: what a client does around its attempts, and
//! after a failed one.
//!
//! A [`Strategy`] ([`strategy`]) is one of the alternatives a scenario
//! compares: a backoff schedule ([`backoff`]), a limit on attempts and
//! time, which failures are retried ([`failure`]), whether the server's
//! `Retry-After` is obeyed, a fallback model, and guards ([`guard`]:
//! retry budgets, a circuit breaker, a throttle) and how a retry's prompt
//! grows ([`growth`]). [`preset`] holds client
//! libraries' defaults as strategies; [`hedge`] hedged requests' settings. [`client`] puts a strategy and the
//! state it keeps for a run behind the hooks the engine calls.
//!
//! Every kind known by name in scenario files (schedules, budgets,
//! throttles, breaker scopes) is declared once, in the file of its family,
//! with its name, its line in `backsim list` and, for guards, the bytes of
//! a client's state.
//!
//! The component knows nothing of the provider, of scenario files or of
//! the engine: it depends only on time, random numbers and slot columns.

pub mod backoff;
pub mod client;
pub mod failure;
pub mod growth;
pub mod guard;
pub mod hedge;
pub mod preset;
pub mod strategy;

pub use failure::{Failure, RetryOn};
pub use growth::InputGrowth;
pub use strategy::{AboveMax, Decision, Fallback, GiveUp, Site, Strategy};
