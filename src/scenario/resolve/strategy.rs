//! `[[strategy]]`: a client's retry behaviour, from a preset or written
//! out: its backoff schedule, attempts, deadlines, the failures it
//! retries, Retry-After handling and a fallback model.

use super::Cx;
use super::names::ModelNames;
use crate::diagnostic::{show_number, unknown_name};
use crate::policy::backoff::{Backoff, BackoffKind, BackoffSettings};
use crate::policy::guard::Guards;
use crate::policy::preset;
use crate::policy::strategy::ZeroRetryAfter;
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
                            BackoffKind::NAMES.join(", "),
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
        let mut retry_after_on = match &s.retry_after_on {
            Some(list) => {
                if !honor_retry_after {
                    self.conflict_at(
                        list,
                        &key("retry_after_on"),
                        "has no effect unless honor_retry_after = true",
                    );
                }
                self.failures(list, &key("retry_after_on"))
            }
            None => base
                .as_ref()
                .map_or(RetryOn::RATE_LIMITED, |b| b.retry_after_on),
        };
        let mut zero_retry_after = match &s.zero_retry_after {
            Some(z) => {
                if !honor_retry_after {
                    self.conflict_at(
                        z,
                        &key("zero_retry_after"),
                        "has no effect unless honor_retry_after = true",
                    );
                }
                self.choice(
                    z,
                    &key("zero_retry_after"),
                    &ZeroRetryAfter::NAMES,
                    ZeroRetryAfter::from_name,
                )
                .unwrap_or(ZeroRetryAfter::Backoff)
            }
            None => base
                .as_ref()
                .map_or(ZeroRetryAfter::Backoff, |b| b.zero_retry_after),
        };
        if !honor_retry_after {
            // A preset's limit on Retry-After means nothing once it is ignored.
            max_retry_after = None;
            above_max_retry_after = AboveMax::Backoff;
            retry_after_on = RetryOn::RATE_LIMITED;
            zero_retry_after = ZeroRetryAfter::Backoff;
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
            retry_after_on,
            zero_retry_after,
        }
    }

    fn backoff(&mut self, b: &Spanned<RawBackoff>, key: &str) -> Backoff {
        let raw = b.get_ref();
        let kind = raw.kind.get_ref().as_str();
        let Some(which) = BackoffKind::from_name(kind) else {
            let names = BackoffKind::NAMES;
            self.choice(&raw.kind, &format!("{key}.kind"), &names, |_| None::<()>);
            return Backoff::None;
        };
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
                if !which.takes("base") {
                    unused(self, Some(v.span()), "base");
                }
                d
            }
            (None, _) if !which.takes("base") => 0,
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
            if !which.takes("cap") {
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
                if !which.takes("multiplier") {
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
                if !which.takes("jitter") {
                    unused(self, Some(j.span()), "jitter");
                }
                x
            }
            None => which.default_jitter(),
        };
        let min = match &raw.min {
            Some(m) => {
                let d = self.duration(m, &k("min"));
                if !which.takes("min") {
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
        which.build(BackoffSettings {
            base,
            cap,
            multiplier,
            jitter,
            min,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::policy::backoff::Backoff;
    use crate::policy::{AboveMax, Fallback, RetryOn, preset};
    use crate::time::NANOS_PER_SEC;

    const MS: u64 = NANOS_PER_SEC / 1000;

    #[test]
    fn a_preset_gives_every_key_the_table_does_not() {
        let s = resolved("[[strategy]]\npreset = \"openai-python\"\n");
        let p = preset::find("openai-python").unwrap().strategy();
        assert_eq!(s.strategies[0], p);
        assert_eq!(s.strategies[0].name, "openai-python");
        let s = resolved(
            "[[strategy]]\npreset = \"openai-python\"\nname = \"more\"\nmax_attempts = 7\n",
        );
        let st = &s.strategies[0];
        assert_eq!((st.name.as_str(), st.max_attempts), ("more", 7));
        assert_eq!((&st.backoff, st.retry_on), (&p.backoff, p.retry_on));
    }

    #[test]
    fn a_written_backoff_resolves_to_its_schedule() {
        let s = resolved(
            "[[strategy]]\nname = \"e\"\nbackoff = { kind = \"exponential\", base = \"100ms\", cap = \"10s\", multiplier = 3 }\n\
             [[strategy]]\nname = \"j\"\nbackoff = { kind = \"full_jitter\", base = \"1s\", min = \"200ms\" }\n\
             [[strategy]]\nname = \"d\"\nbackoff = { kind = \"downward_jitter\", base = \"1s\" }\n",
        );
        let backoffs: Vec<&Backoff> = s.strategies.iter().map(|s| &s.backoff).collect();
        assert_eq!(
            backoffs,
            [
                &Backoff::Exponential {
                    base: 100 * MS,
                    cap: Some(10 * NANOS_PER_SEC),
                    multiplier: 3.0
                },
                &Backoff::FullJitter {
                    base: NANOS_PER_SEC,
                    cap: None,
                    multiplier: 2.0,
                    min: 200 * MS
                },
                // Downward jitter's own default jitter is 0.25.
                &Backoff::Downward {
                    base: NANOS_PER_SEC,
                    cap: None,
                    multiplier: 2.0,
                    jitter: 0.25
                },
            ]
        );
        // Five attempts, every failure retried, Retry-After ignored.
        let st = &s.strategies[0];
        assert_eq!((st.max_attempts, st.retry_on), (5, RetryOn::ALL));
        assert!(!st.honor_retry_after);
    }

    #[test]
    fn backoff_keys_that_conflict_or_go_unused_are_named() {
        let found = problems(
            "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"constant\", base = \"1s\", cap = \"500ms\" }\n\
             [[strategy]]\nname = \"b\"\nbackoff = { kind = \"linear\" }\n",
        );
        assert_eq!(
            found,
            [
                (
                    3,
                    "strategy[0].backoff.cap".to_string(),
                    "must be at least base (1s), not 500ms".to_string()
                ),
                (
                    3,
                    "strategy[0].backoff.cap".to_string(),
                    "is not used by kind = \"constant\"".to_string()
                ),
                (
                    6,
                    "strategy[1].backoff.base".to_string(),
                    format!(
                        "kind = \"linear\" needs base, {}",
                        crate::time::DURATION_HELP
                    )
                ),
            ]
        );
    }

    #[test]
    fn retry_after_settings_need_retry_after_honoured() {
        let (line, key, message) = problem(
            "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nmax_retry_after = \"30s\"\n",
        );
        assert_eq!((line, key.as_str()), (4, "strategy[0].max_retry_after"));
        assert_eq!(message, "has no effect unless honor_retry_after = true");
        let s = resolved(
            "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nhonor_retry_after = true\n\
             max_retry_after = \"30s\"\nabove_max_retry_after = \"give_up\"\n",
        );
        let st = &s.strategies[0];
        assert_eq!(st.max_retry_after, Some(30 * NANOS_PER_SEC));
        assert_eq!(
            st.above_max_retry_after,
            AboveMax::from_name("give_up").unwrap()
        );
    }

    #[test]
    fn a_fallback_names_another_model_and_falls_back_on_429_and_5xx() {
        let s = resolved(&format!(
            "[[model]]\nname = \"backup\"\n{STRATEGY}fallback = {{ model = \"backup\" }}\n"
        ));
        let mut on = RetryOn::NOTHING;
        on.add("429");
        on.add("5xx");
        assert_eq!(s.strategies[0].fallback, Some(Fallback { model: 1, on }));
        let (line, key, message) = problem(&format!(
            "[[model]]\nname = \"backup\"\n{STRATEGY}fallback = {{ model = \"primary\" }}\n"
        ));
        assert_eq!((line, key.as_str()), (6, "strategy[0].fallback.model"));
        assert_eq!(
            message,
            "is the main model; a fallback must be another [[model]]"
        );
        let (_, key, message) = problem(&format!(
            "{STRATEGY}retry_on = [\"429\", \"timeout\", \"502\"]\n"
        ));
        assert_eq!(key, "strategy[0].retry_on");
        assert!(message.starts_with("unknown failure \"502\""), "{message}");
    }

    #[test]
    fn a_strategy_without_name_or_backoff_is_told_what_to_add() {
        let found = problems("[[strategy]]\nmax_attempts = 3\n");
        let keys: Vec<(usize, &str)> = found.iter().map(|(l, k, _)| (*l, k.as_str())).collect();
        assert_eq!(keys, [(1, "strategy[0].name"), (1, "strategy[0].backoff")]);
        assert!(
            found[0]
                .2
                .starts_with("missing: every strategy needs a name")
        );
        assert!(
            found[1].2.contains("(kinds: none, constant,"),
            "{}",
            found[1].2
        );
    }
}
