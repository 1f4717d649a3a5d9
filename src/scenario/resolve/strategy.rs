//! `[[strategy]]`: a client's retry behaviour, from a preset or written
//! out: its backoff schedule, attempts, deadlines, the failures it
//! retries, Retry-After handling and a fallback model.

use super::Cx;
use super::names::ModelNames;
use crate::diagnostic::{show_number, unknown_name};
use crate::policy::backoff::{BACKOFF_KINDS, Backoff};
use crate::policy::guard::Guards;
use crate::policy::preset;
use crate::policy::{AboveMax, Fallback, RetryOn, Strategy};
use crate::scenario::raw::{RawBackoff, RawStrategy};
use crate::time::{DURATION_HELP, format_duration, parse_duration};
use toml::Spanned;

/// Most attempts a strategy may make per request.
const MAX_ATTEMPTS: i64 = crate::scenario::MAX_ATTEMPTS as i64;

impl Cx<'_> {
    /// A list of failure names (`retry_on`, `fallback.on`).
    fn failures(&mut self, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> RetryOn {
        let mut r = RetryOn::NOTHING;
        for item in list.get_ref() {
            if !r.add(item.get_ref()) {
                let message = unknown_name("failure", item.get_ref(), &RetryOn::NAMES);
                self.problem(item, key, message);
            }
        }
        r
    }

    pub(super) fn strategy(
        &mut self,
        st: &Spanned<RawStrategy>,
        i: usize,
        models: &ModelNames,
    ) -> Strategy {
        let s = st.get_ref();
        let key = |k: &str| format!("strategy[{i}].{k}");
        let preset = s
            .preset
            .as_ref()
            .and_then(|p| self.choice(p, &key("preset"), &preset::names(), preset::find));
        let base = preset.map(|p| p.strategy());
        let name = match (&s.name, preset) {
            (Some(n), _) => {
                let name = n.get_ref().clone();
                if name.trim().is_empty() || name.contains(['\n', '\r', ',', '"']) {
                    self.problem(
                        n,
                        &key("name"),
                        "must be a non-empty name without commas, quotes or line breaks",
                    );
                }
                name
            }
            (None, Some(p)) => p.name.to_string(),
            (None, None) => {
                if s.preset.is_none() {
                    self.conflict_at(
                        st,
                        &key("name"),
                        "missing: every strategy needs a name (or a preset, whose name it then takes)",
                    );
                }
                String::new()
            }
        };
        let backoff = match (&s.backoff, &base) {
            (Some(b), _) => self.backoff(b, &key("backoff")),
            (None, Some(b)) => b.backoff.clone(),
            (None, None) => {
                if s.preset.is_none() {
                    self.conflict_at(
                        st,
                        &key("backoff"),
                        format!(
                            "missing: give a schedule, e.g. backoff = {{ kind = \"full_jitter\", base = \"500ms\" }} (kinds: {}), or a preset ({})",
                            BACKOFF_KINDS.map(|(n, _)| n).join(", "),
                            preset::names().join(", ")
                        ),
                    );
                }
                Backoff::None
            }
        };
        let max_attempts = self.int(
            &s.max_attempts,
            &key("max_attempts"),
            1,
            MAX_ATTEMPTS,
            base.as_ref().map_or(5, |b| i64::from(b.max_attempts)),
        ) as u32;
        let deadline = match &s.deadline {
            Some(d) => Some(self.positive_duration(d, &key("deadline"))),
            None => base.as_ref().and_then(|b| b.deadline),
        };
        let timeout = match &s.timeout {
            Some(d) => Some(self.positive_duration(d, &key("timeout"))),
            None => base.as_ref().and_then(|b| b.timeout),
        };
        let retry_on = match &s.retry_on {
            None => base.as_ref().map_or(RetryOn::ALL, |b| b.retry_on),
            Some(list) => self.failures(list, &key("retry_on")),
        };
        let honor_retry_after = s
            .honor_retry_after
            .unwrap_or(base.as_ref().is_some_and(|b| b.honor_retry_after));
        let mut max_retry_after = match &s.max_retry_after {
            Some(m) => Some(self.duration(m, &key("max_retry_after"))),
            None => base.as_ref().and_then(|b| b.max_retry_after),
        };
        if let (false, Some(m)) = (honor_retry_after, &s.max_retry_after) {
            self.conflict_at(
                m,
                &key("max_retry_after"),
                "has no effect unless honor_retry_after = true",
            );
        }
        let mut above_max_retry_after = match &s.above_max_retry_after {
            Some(a) => {
                if !honor_retry_after {
                    self.conflict_at(
                        a,
                        &key("above_max_retry_after"),
                        "has no effect unless honor_retry_after = true",
                    );
                } else if max_retry_after.is_none() {
                    self.conflict_at(
                        a,
                        &key("above_max_retry_after"),
                        "has no effect without max_retry_after",
                    );
                }
                self.choice(
                    a,
                    &key("above_max_retry_after"),
                    &AboveMax::NAMES,
                    AboveMax::from_name,
                )
                .unwrap_or(AboveMax::Backoff)
            }
            None => base
                .as_ref()
                .map_or(AboveMax::Backoff, |b| b.above_max_retry_after),
        };
        if !honor_retry_after {
            // A preset's limit on Retry-After means nothing once it is ignored.
            max_retry_after = None;
            above_max_retry_after = AboveMax::Backoff;
        }
        let fallback = s.fallback.as_ref().map(|f| {
            let f = f.get_ref();
            let model = match models.index.get(f.model.get_ref().as_str()) {
                Some(0) => {
                    self.conflict_at(
                        &f.model,
                        &key("fallback.model"),
                        "is the main model; a fallback must be another [[model]]",
                    );
                    0
                }
                Some(&m) => m,
                None => {
                    let message = format!("unknown model \"{}\"", f.model.get_ref());
                    let message = match self.unknown_models_described.checked_sub(1) {
                        // The names, and the closest, only in what can be
                        // reported: listing every model in the message of
                        // every strategy would take time quadratic in
                        // them.
                        Some(left) => {
                            self.unknown_models_described = left;
                            format!("{message}; {}", models.hint(f.model.get_ref()))
                        }
                        None => message,
                    };
                    self.conflict_at(&f.model, &key("fallback.model"), message);
                    0
                }
            };
            let on = match &f.on {
                Some(list) => self.failures(list, &key("fallback.on")),
                None => {
                    let mut r = RetryOn::NOTHING;
                    r.add("429");
                    r.add("5xx");
                    r
                }
            };
            Fallback { model, on }
        });
        let preset_guards = base.as_ref().map(|b| b.guards.clone()).unwrap_or_default();
        let guards = Guards {
            budget: match &s.budget {
                Some(b) => self.budget(b, &key("budget")),
                None => preset_guards.budget,
            },
            breaker: match &s.breaker {
                Some(b) => self.breaker(b, &key("breaker")),
                None => preset_guards.breaker,
            },
            throttle: match &s.throttle {
                Some(t) => self.throttle(t, &key("throttle")),
                None => preset_guards.throttle,
            },
        };
        Strategy {
            name,
            backoff,
            max_attempts,
            deadline,
            timeout,
            retry_on,
            honor_retry_after,
            max_retry_after,
            above_max_retry_after,
            fallback,
            guards,
            preset: preset.map(|p| p.name),
        }
    }

    fn backoff(&mut self, b: &Spanned<RawBackoff>, key: &str) -> Backoff {
        let raw = b.get_ref();
        let kind = raw.kind.get_ref().as_str();
        let names: Vec<&str> = BACKOFF_KINDS.iter().map(|(n, _)| *n).collect();
        if !names.contains(&kind) {
            self.choice(&raw.kind, &format!("{key}.kind"), &names, |_| None::<()>);
            return Backoff::None;
        }
        let k = |field: &str| format!("{key}.{field}");
        let unused = |cx: &mut Self, present: Option<std::ops::Range<usize>>, field: &str| {
            if let Some(span) = present {
                cx.conflict(
                    Some(span),
                    &k(field),
                    format!("is not used by kind = \"{kind}\""),
                );
            }
        };
        let base = match (&raw.base, kind) {
            (Some(v), _) => {
                let d = self.duration(v, &k("base"));
                if kind == "none" {
                    unused(self, Some(v.span()), "base");
                }
                d
            }
            (None, "none") => 0,
            (None, _) => {
                self.conflict_at(
                    &raw.kind,
                    &k("base"),
                    format!("kind = \"{kind}\" needs base, {DURATION_HELP}"),
                );
                0
            }
        };
        let cap = self.opt_duration(&raw.cap, &k("cap"));
        if let (Some(c), Some(span)) = (cap, &raw.cap) {
            if c < base && parse_duration(span.get_ref()).is_ok() {
                self.conflict_at(
                    span,
                    &k("cap"),
                    format!(
                        "must be at least base ({}), not {}",
                        format_duration(base),
                        format_duration(c)
                    ),
                );
            }
            if matches!(kind, "none" | "constant") {
                unused(self, Some(span.span()), "cap");
            }
        }
        let multiplier = match &raw.multiplier {
            Some(m) => {
                let x = *m.get_ref();
                if !(x.is_finite() && x >= 1.0) {
                    self.problem(
                        m,
                        &k("multiplier"),
                        format!(
                            "must be a finite number of at least 1, not {}",
                            show_number(x)
                        ),
                    );
                }
                if !matches!(
                    kind,
                    "exponential"
                        | "full_jitter"
                        | "equal_jitter"
                        | "proportional_jitter"
                        | "downward_jitter"
                ) {
                    unused(self, Some(m.span()), "multiplier");
                }
                x
            }
            None => 2.0,
        };
        let jitter = match &raw.jitter {
            Some(j) => {
                let x = *j.get_ref();
                if !(0.0..=1.0).contains(&x) {
                    self.problem(
                        j,
                        &k("jitter"),
                        format!("must be a fraction from 0 to 1, not {}", show_number(x)),
                    );
                }
                if !matches!(kind, "proportional_jitter" | "downward_jitter") {
                    unused(self, Some(j.span()), "jitter");
                }
                x
            }
            None if kind == "downward_jitter" => 0.25,
            None => 0.2,
        };
        let min = match &raw.min {
            Some(m) => {
                let d = self.duration(m, &k("min"));
                if kind != "full_jitter" {
                    unused(self, Some(m.span()), "min");
                } else if cap.is_some_and(|c| d > c) {
                    let cap = cap.unwrap_or_default();
                    self.conflict_at(
                        m,
                        &k("min"),
                        format!(
                            "must be at most cap ({}), not {}",
                            format_duration(cap),
                            format_duration(d)
                        ),
                    );
                }
                d
            }
            None => 0,
        };
        match kind {
            "none" => Backoff::None,
            "constant" => Backoff::Constant { base },
            "linear" => Backoff::Linear { base, cap },
            "exponential" => Backoff::Exponential {
                base,
                cap,
                multiplier,
            },
            "full_jitter" => Backoff::FullJitter {
                base,
                cap,
                multiplier,
                min,
            },
            "equal_jitter" => Backoff::EqualJitter {
                base,
                cap,
                multiplier,
            },
            "decorrelated_jitter" => Backoff::Decorrelated { base, cap },
            "decorrelated_jitter_v2" => Backoff::DecorrelatedV2 { base, cap },
            "downward_jitter" => Backoff::Downward {
                base,
                cap,
                multiplier,
                jitter,
            },
            _ => Backoff::Proportional {
                base,
                cap,
                multiplier,
                jitter,
            },
        }
    }
}
