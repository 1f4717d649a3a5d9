//! How an attempt fails as the client sees it ([`Failure`]), and sets of
//! failures as `retry_on` and a fallback's `on` name them ([`RetryOn`]).

use crate::time::SimDuration;

/// A set of failures (which are retried, which send a request to its
/// fallback model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryOn {
    /// 429 Too Many Requests.
    pub rate_limited: bool,
    /// 500 Internal Server Error.
    pub http_500: bool,
    /// 503 Service Unavailable (also outages and a full server queue).
    pub http_503: bool,
    /// 529 Overloaded.
    pub http_529: bool,
    /// The client's per-attempt timeout.
    pub timeout: bool,
    /// 409 Conflict: an optimistic-concurrency write lost the race.
    pub conflict: bool,
}

impl RetryOn {
    /// Names as written in `retry_on = [...]`; "5xx" means 500, 503 and 529.
    pub const NAMES: [&'static str; 7] = ["429", "5xx", "500", "503", "529", "timeout", "409"];

    /// Every failure: the default of `retry_on`.
    pub const ALL: RetryOn = RetryOn {
        rate_limited: true,
        http_500: true,
        http_503: true,
        http_529: true,
        timeout: true,
        conflict: true,
    };

    /// 429 alone: the default of `retry_after_on`.
    pub const RATE_LIMITED: RetryOn = RetryOn {
        rate_limited: true,
        ..RetryOn::NOTHING
    };

    /// No failure.
    pub const NOTHING: RetryOn = RetryOn {
        rate_limited: false,
        http_500: false,
        http_503: false,
        http_529: false,
        timeout: false,
        conflict: false,
    };

    /// Adds one scenario-file name; false if the name is unknown.
    pub fn add(&mut self, name: &str) -> bool {
        match name {
            "429" => self.rate_limited = true,
            "5xx" => {
                self.http_500 = true;
                self.http_503 = true;
                self.http_529 = true;
            }
            "500" => self.http_500 = true,
            "503" => self.http_503 = true,
            "529" => self.http_529 = true,
            "timeout" => self.timeout = true,
            "409" => self.conflict = true,
            _ => return false,
        }
        true
    }

    /// The scenario-file names, in canonical order ("5xx" for all three).
    pub fn names(&self) -> Vec<&'static str> {
        let all_5xx = self.http_500 && self.http_503 && self.http_529;
        let flags = [
            self.rate_limited,
            all_5xx,
            self.http_500 && !all_5xx,
            self.http_503 && !all_5xx,
            self.http_529 && !all_5xx,
            self.timeout,
            self.conflict,
        ];
        Self::NAMES
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// True if `failure` is in the set.
    pub fn covers(&self, failure: Failure) -> bool {
        match failure {
            Failure::RateLimited { .. } => self.rate_limited,
            Failure::ServerError { status: 500, .. } => self.http_500,
            Failure::ServerError { status: 529, .. } => self.http_529,
            Failure::ServerError { .. } => self.http_503,
            Failure::Timeout => self.timeout,
            Failure::Conflict => self.conflict,
        }
    }
}

/// How an attempt failed, as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429, with the `Retry-After` value if one was sent.
    RateLimited { retry_after: Option<SimDuration> },
    /// A 5xx answer: 500, 503 or 529, with the `Retry-After` value if the
    /// server sent one (`[server] errors.retry_after`).
    ServerError {
        status: u16,
        retry_after: Option<SimDuration>,
    },
    /// No answer within the client's timeout.
    Timeout,
    /// 409: the optimistic-concurrency write found the version changed.
    Conflict,
}

impl Failure {
    /// A 5xx answer with no `Retry-After`.
    pub const fn server(status: u16) -> Failure {
        Failure::ServerError {
            status,
            retry_after: None,
        }
    }

    /// The `Retry-After` the answer carried (429s and 5xx answers only).
    pub fn retry_after(self) -> Option<SimDuration> {
        match self {
            Failure::RateLimited { retry_after } | Failure::ServerError { retry_after, .. } => {
                retry_after
            }
            Failure::Timeout | Failure::Conflict => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_on_names_round_trip() {
        let mut r = RetryOn::NOTHING;
        assert!(r.add("timeout") && r.add("429") && !r.add("404"));
        assert_eq!(r.names(), ["429", "timeout"]);
        assert_eq!(RetryOn::ALL.names(), ["429", "5xx", "timeout", "409"]);
        let mut only = RetryOn::NOTHING;
        assert!(only.add("529") && only.add("500"));
        assert_eq!(only.names(), ["500", "529"]);
        assert!(only.covers(Failure::server(529)));
        assert!(!only.covers(Failure::server(503)));
    }
}
