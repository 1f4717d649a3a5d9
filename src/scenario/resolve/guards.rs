//! A strategy's guards: its retry `budget`, circuit `breaker` and client
//! `throttle`, each of a kind with its own keys.

use super::Cx;
use crate::diagnostic::show_number;
use crate::policy::guard::{
    Breaker, BreakerScope, Budget, BudgetKind, Throttle, ThrottleKind, micros,
};
use crate::policy::preset::{AWS_ADAPTIVE, POLLY_BREAKER};
use crate::scenario::raw::{RawBreaker, RawBudget, RawThrottle};
use crate::time::NANOS_PER_SEC;
use toml::Spanned;

/// The names a `kind` of `budget` or `throttle` may have: the policy's
/// kinds, and `none`.
fn kinds_or_none(names: &[&'static str]) -> Vec<&'static str> {
    names.iter().copied().chain(["none"]).collect()
}

impl Cx<'_> {
    /// Tokens are held in millionths: a positive amount must be at least one.
    fn at_least_a_millionth(&mut self, v: &Option<Spanned<f64>>, key: &str) {
        if let Some(v) = v {
            let x = *v.get_ref();
            if x > 0.0 && micros(x) == 0 {
                self.problem(
                    v,
                    key,
                    format!(
                        "must be at least 0.000001 (tokens are counted in millionths), not {}",
                        show_number(x)
                    ),
                );
            }
        }
    }

    pub(super) fn budget(&mut self, b: &Spanned<RawBudget>, key: &str) -> Option<Budget> {
        let r = b.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        let span = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| v.span());
        let ispan = |v: &Option<Spanned<i64>>| v.as_ref().map(|v| v.span());
        let aws = [
            ("capacity", ispan(&r.capacity)),
            ("timeout_cost", ispan(&r.timeout_cost)),
            ("success_increment", ispan(&r.success_increment)),
        ];
        let grpc = [
            ("max_tokens", span(&r.max_tokens)),
            ("token_ratio", span(&r.token_ratio)),
        ];
        let percent = [
            ("percent", span(&r.percent)),
            ("min_per_s", span(&r.min_per_s)),
            ("ttl", r.ttl.as_ref().map(|v| v.span())),
        ];
        let bucket = [
            ("size", span(&r.size)),
            ("deposit", span(&r.deposit)),
            ("initial", span(&r.initial)),
            ("deposit_on", r.deposit_on.as_ref().map(|v| v.span())),
        ];
        let cost = [("cost", span(&r.cost))];
        let kind = r.kind.get_ref().as_str();
        let (unused, budget): (Vec<_>, Option<Budget>) = match (kind, BudgetKind::from_name(kind)) {
            ("none", _) => ([&aws[..], &grpc, &percent, &bucket, &cost].concat(), None),
            (_, Some(BudgetKind::AwsQuota)) => {
                let whole = |cx: &mut Self, v: &Option<Spanned<i64>>, f: &str, lo: i64, d: i64| {
                    cx.int(v, &k(f), lo, 1_000_000_000, d)
                };
                let cost = match &r.cost {
                    Some(c) if c.get_ref().fract() != 0.0 => {
                        let x = c.get_ref();
                        self.problem(
                            c,
                            &k("cost"),
                            format!("must be a whole number of tokens, not {}", show_number(*x)),
                        );
                        5
                    }
                    _ => self.number(&r.cost, &k("cost"), (0.0, false), 1e9, 5.0) as i64,
                };
                let budget = Budget::AwsQuota {
                    capacity: whole(self, &r.capacity, "capacity", 1, 500),
                    cost,
                    timeout_cost: whole(self, &r.timeout_cost, "timeout_cost", 0, 10),
                    success_increment: whole(self, &r.success_increment, "success_increment", 0, 1),
                };
                ([&grpc[..], &percent, &bucket].concat(), Some(budget))
            }
            (_, Some(BudgetKind::Grpc)) => {
                let max = self.number(&r.max_tokens, &k("max_tokens"), (0.0, true), 1e6, 10.0);
                let ratio = self.number(&r.token_ratio, &k("token_ratio"), (0.0, true), 1e6, 0.1);
                self.at_least_a_millionth(&r.max_tokens, &k("max_tokens"));
                self.at_least_a_millionth(&r.token_ratio, &k("token_ratio"));
                let budget = Budget::Grpc {
                    max_tokens: micros(max),
                    token_ratio: micros(ratio),
                };
                ([&aws[..], &percent, &bucket, &cost].concat(), Some(budget))
            }
            (_, Some(BudgetKind::Percent)) => {
                let percent = self.number(&r.percent, &k("percent"), (0.0, false), 10.0, 0.2);
                let min_per_s = self.number(&r.min_per_s, &k("min_per_s"), (0.0, false), 1e6, 10.0);
                let ttl = self.opt_positive_duration(&r.ttl, &k("ttl"), 10 * NANOS_PER_SEC);
                let budget = Budget::Percent {
                    percent: micros(percent),
                    min_per_s,
                    ttl,
                };
                ([&aws[..], &grpc, &bucket, &cost].concat(), Some(budget))
            }
            (_, Some(BudgetKind::ClientBucket)) => {
                let size = self.number(&r.size, &k("size"), (0.0, true), 1e9, 5.0);
                let deposit = self.number(&r.deposit, &k("deposit"), (0.0, false), 1e9, 0.1);
                let cost = self.number(&r.cost, &k("cost"), (0.0, true), 1e9, 1.0);
                self.at_least_a_millionth(&r.size, &k("size"));
                self.at_least_a_millionth(&r.cost, &k("cost"));
                let initial = self.number(&r.initial, &k("initial"), (0.0, false), 1e9, size);
                if let Some(at) = r.initial.as_ref().filter(|_| initial > size) {
                    self.conflict_at(
                        at,
                        &k("initial"),
                        format!(
                            "must be at most size ({}), not {}",
                            show_number(size),
                            show_number(initial)
                        ),
                    );
                }
                let on_success =
                    match &r.deposit_on {
                        Some(d) => {
                            self.choice(d, &k("deposit_on"), &["first_try", "success"], |v| match v
                            {
                                "first_try" => Some(false),
                                "success" => Some(true),
                                _ => None,
                            })
                            .unwrap_or(false)
                        }
                        None => false,
                    };
                let budget = Budget::ClientBucket {
                    size: micros(size),
                    deposit: micros(deposit),
                    cost: micros(cost),
                    initial: micros(initial),
                    on_success,
                };
                ([&aws[..], &grpc, &percent].concat(), Some(budget))
            }
            (_, None) => {
                let names = kinds_or_none(&BudgetKind::NAMES);
                self.choice(&r.kind, &k("kind"), &names, |_| None::<()>);
                return None;
            }
        };
        self.unused_fields(key, kind, &unused);
        budget
    }

    pub(super) fn breaker(&mut self, b: &Spanned<RawBreaker>, key: &str) -> Option<Breaker> {
        let r = b.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        if let Some(kind) = &r.kind {
            match kind.get_ref().as_str() {
                "ratio" => {}
                "none" => {
                    let given = [
                        ("failure_ratio", r.failure_ratio.as_ref().map(|v| v.span())),
                        ("window", r.window.as_ref().map(|v| v.span())),
                        ("min_volume", r.min_volume.as_ref().map(|v| v.span())),
                        ("open_for", r.open_for.as_ref().map(|v| v.span())),
                        ("probes", r.probes.as_ref().map(|v| v.span())),
                        ("scope", r.scope.as_ref().map(|v| v.span())),
                        ("failure_only", r.failure_only.as_ref().map(|v| v.span())),
                    ];
                    self.unused_fields(key, "none", &given);
                    return None;
                }
                _ => {
                    self.choice(kind, &k("kind"), &["ratio", "none"], |_| None::<()>);
                    return None;
                }
            }
        }
        let d = POLLY_BREAKER;
        let scope = match &r.scope {
            Some(sc) => self
                .choice(
                    sc,
                    &k("scope"),
                    &BreakerScope::NAMES,
                    BreakerScope::from_name,
                )
                .unwrap_or(d.scope),
            None => d.scope,
        };
        Some(Breaker {
            failure_ratio: self.number(
                &r.failure_ratio,
                &k("failure_ratio"),
                (0.0, true),
                1.0,
                d.failure_ratio,
            ),
            window: self.opt_positive_duration(&r.window, &k("window"), d.window),
            min_volume: self.int(
                &r.min_volume,
                &k("min_volume"),
                1,
                i64::from(u32::MAX),
                i64::from(d.min_volume),
            ) as u32,
            open_for: self.opt_positive_duration(&r.open_for, &k("open_for"), d.open_for),
            probes: self.int(
                &r.probes,
                &k("probes"),
                1,
                i64::from(u32::MAX),
                i64::from(d.probes),
            ) as u32,
            scope,
            // Off unless told, so that breakers written before the key
            // keep their behaviour.
            failure_only: r.failure_only.as_ref().is_some_and(|v| *v.get_ref()),
        })
    }

    pub(super) fn throttle(&mut self, t: &Spanned<RawThrottle>, key: &str) -> Option<Throttle> {
        let r = t.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        let span = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| v.span());
        let sre = [
            ("k", span(&r.k)),
            ("window", r.window.as_ref().map(|v| v.span())),
        ];
        let aws = [
            ("beta", span(&r.beta)),
            ("scale", span(&r.scale)),
            ("smoothing", span(&r.smoothing)),
            ("bucket", r.bucket.as_ref().map(|v| v.span())),
            ("min_rate", span(&r.min_rate)),
        ];
        let kind = r.kind.get_ref().as_str();
        let (unused, throttle): (Vec<_>, Option<Throttle>) =
            match (kind, ThrottleKind::from_name(kind)) {
                ("none", _) => ([&sre[..], &aws].concat(), None),
                (_, Some(ThrottleKind::Sre)) => {
                    let th = Throttle::Sre {
                        k: self.number(&r.k, &k("k"), (0.0, true), 1e6, 2.0),
                        window: self.opt_positive_duration(
                            &r.window,
                            &k("window"),
                            120 * NANOS_PER_SEC,
                        ),
                    };
                    (aws.to_vec(), Some(th))
                }
                (_, Some(ThrottleKind::AwsAdaptive)) => {
                    // botocore's values, each replaced where the file gives one.
                    let mut th = AWS_ADAPTIVE;
                    if let Throttle::AwsAdaptive {
                        beta,
                        scale,
                        smoothing,
                        bucket,
                        min_rate,
                    } = &mut th
                    {
                        *beta = self.number(&r.beta, &k("beta"), (0.0, true), 1.0, *beta);
                        *scale = self.number(&r.scale, &k("scale"), (0.0, true), 1e6, *scale);
                        *smoothing = self.number(
                            &r.smoothing,
                            &k("smoothing"),
                            (0.0, true),
                            1.0,
                            *smoothing,
                        );
                        *bucket = self.opt_positive_duration(&r.bucket, &k("bucket"), *bucket);
                        *min_rate =
                            self.number(&r.min_rate, &k("min_rate"), (0.0, true), 1e9, *min_rate);
                    }
                    (sre.to_vec(), Some(th))
                }
                (_, None) => {
                    let names = kinds_or_none(&ThrottleKind::NAMES);
                    self.choice(&r.kind, &k("kind"), &names, |_| None::<()>);
                    return None;
                }
            };
        self.unused_fields(key, kind, &unused);
        throttle
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::policy::guard::{Breaker, BreakerScope, Budget, MICRO, Throttle};
    use crate::policy::preset::{AWS_ADAPTIVE, AWS_QUOTA, POLLY_BREAKER};
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn budgets_take_their_defaults_and_count_tokens_in_millionths() {
        let s = resolved(&format!(
            "{STRATEGY}budget = {{ kind = \"aws_quota\" }}\n\
             [[strategy]]\nname = \"g\"\nbackoff = {{ kind = \"none\" }}\nbudget = {{ kind = \"grpc\", max_tokens = 4, token_ratio = 0.5 }}\n\
             [[strategy]]\nname = \"p\"\nbackoff = {{ kind = \"none\" }}\nbudget = {{ kind = \"percent\", percent = 0.1 }}\n"
        ));
        let budgets: Vec<_> = s
            .strategies
            .iter()
            .map(|s| s.guards.budget.clone())
            .collect();
        assert_eq!(
            budgets,
            [
                Some(AWS_QUOTA),
                Some(Budget::Grpc {
                    max_tokens: 4 * MICRO,
                    token_ratio: MICRO / 2
                }),
                Some(Budget::Percent {
                    percent: MICRO / 10,
                    min_per_s: 10.0,
                    ttl: 10 * NANOS_PER_SEC
                }),
            ]
        );
    }

    #[test]
    fn budget_values_out_of_range_or_of_another_kind_are_named() {
        let (line, key, message) = problem(&format!(
            "{STRATEGY}budget = {{ kind = \"grpc\", token_ratio = 0.0000001 }}\n"
        ));
        assert_eq!((line, key.as_str()), (4, "strategy[0].budget.token_ratio"));
        assert_eq!(
            message,
            "must be at least 0.000001 (tokens are counted in millionths), not 1e-7"
        );
        let (_, key, message) = problem(&format!(
            "{STRATEGY}budget = {{ kind = \"grpc\", capacity = 3 }}\n"
        ));
        assert_eq!(key, "strategy[0].budget.capacity");
        assert_eq!(message, "is not used by kind = \"grpc\"");
        // What is said of a key in relation to others waits until the
        // budget's own values are right.
        let found = problems(&format!(
            "{STRATEGY}budget = {{ kind = \"grpc\", token_ratio = -1, capacity = 3 }}\n"
        ));
        let keys: Vec<&str> = found.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(keys, ["strategy[0].budget.token_ratio"]);
        let (_, key, message) = problem(&format!(
            "{STRATEGY}budget = {{ kind = \"aws_quota\", cost = 2.5 }}\n"
        ));
        assert_eq!(key, "strategy[0].budget.cost");
        assert_eq!(message, "must be a whole number of tokens, not 2.5");
        let (_, key, message) = problem(&format!(
            "{STRATEGY}budget = {{ kind = \"client_bucket\", size = 5, initial = 6 }}\n"
        ));
        assert_eq!(key, "strategy[0].budget.initial");
        assert_eq!(message, "must be at most size (5), not 6");
    }

    #[test]
    fn a_breaker_is_polly_s_unless_told_and_none_takes_no_keys() {
        let s = resolved(&format!(
            "{STRATEGY}breaker = {{ failure_ratio = 0.5, scope = \"retries\" }}\n"
        ));
        assert_eq!(
            s.strategies[0].guards.breaker,
            Some(Breaker {
                failure_ratio: 0.5,
                scope: BreakerScope::from_name("retries").unwrap(),
                failure_only: false,
                ..POLLY_BREAKER
            })
        );
        let (line, key, message) = problem(&format!(
            "{STRATEGY}breaker = {{ kind = \"none\", probes = 2 }}\n"
        ));
        assert_eq!((line, key.as_str()), (4, "strategy[0].breaker.probes"));
        assert_eq!(message, "is not used by kind = \"none\"");
    }

    #[test]
    fn an_adaptive_throttle_keeps_botocore_s_values_but_those_given() {
        let s = resolved(&format!(
            "{STRATEGY}throttle = {{ kind = \"aws_adaptive\", beta = 0.5 }}\n\
             [[strategy]]\nname = \"s\"\nbackoff = {{ kind = \"none\" }}\nthrottle = {{ kind = \"sre\" }}\n"
        ));
        // botocore's: scale 0.4, smoothing 0.8, 0.5s buckets, 0.5 per second.
        assert_eq!(
            s.strategies[0].guards.throttle,
            Some(Throttle::AwsAdaptive {
                beta: 0.5,
                scale: 0.4,
                smoothing: 0.8,
                bucket: NANOS_PER_SEC / 2,
                min_rate: 0.5
            })
        );
        assert_eq!(
            s.strategies[1].guards.throttle,
            Some(Throttle::Sre {
                k: 2.0,
                window: 120 * NANOS_PER_SEC
            })
        );
        let only_kind = resolved(&format!(
            "{STRATEGY}throttle = {{ kind = \"aws_adaptive\" }}\n"
        ));
        assert_eq!(only_kind.strategies[0].guards.throttle, Some(AWS_ADAPTIVE));
        let (_, key, message) = problem(&format!(
            "{STRATEGY}throttle = {{ kind = \"sre\", beta = 0.5 }}\n"
        ));
        assert_eq!(key, "strategy[0].throttle.beta");
        assert_eq!(message, "is not used by kind = \"sre\"");
        let (_, key, message) =
            problem(&format!("{STRATEGY}throttle = {{ kind = \"adaptive\" }}\n"));
        assert_eq!(key, "strategy[0].throttle.kind");
        assert!(
            message.starts_with(
                "unknown value \"adaptive\"; expected one of \"sre\", \"aws_adaptive\", \"none\""
            ),
            "{message}"
        );
    }
}
