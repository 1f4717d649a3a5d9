//! `[[strategy]]`: a client's retry behaviour, from a preset or written
//! out: its backoff schedule, attempts, deadlines, the failures it
//! retries, Retry-After handling and a fallback model.

use super::Cx;
use super::names::ModelNames;
use crate::diagnostic::{show_number, unknown_name};
use crate::policy::backoff::{Backoff, BackoffKind, BackoffSettings};
use crate::policy::client::MAX_LAYERS;
use crate::policy::guard::Guards;
use crate::policy::hedge::{Hedge, HedgeDelay, MAX_COPIES};
use crate::policy::preset;
use crate::policy::strategy::ZeroRetryAfter;
use crate::policy::{AboveMax, Fallback, InputGrowth, RetryOn, Site, Strategy};
use crate::scenario::MAX_TOKENS_PER_REQUEST;
use crate::scenario::raw::{RawBackoff, RawHedge, RawStrategy};
use crate::scenario::schema::preset_hint;
use crate::time::{DURATION_HELP, SimDuration, format_duration, parse_duration};
use toml::Spanned;

/// Why a strategy with retry layers takes no hedge.
const HEDGE_IN_LAYERS: &str =
    "is not modelled with retry layers: hedging applies to a strategy of one retry loop";

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
        let prefix = format!("strategy[{i}]");
        match &st.get_ref().layers {
            None => self.layer(st, &prefix, None, models),
            Some(layers) => self.stack(st, layers, &prefix, models),
        }
    }

    /// A strategy written as `layers = [...]`: its layers, outermost
    /// first, under the strategy's name.
    fn stack(
        &mut self,
        st: &Spanned<RawStrategy>,
        layers: &Spanned<Vec<Spanned<RawStrategy>>>,
        prefix: &str,
        models: &ModelNames,
    ) -> Strategy {
        let s = st.get_ref();
        let key = |k: &str| format!("{prefix}.{k}");
        // Every retry key belongs to a layer.
        let spans = [
            ("preset", s.preset.as_ref().map(|v| v.span())),
            ("backoff", s.backoff.as_ref().map(|v| v.span())),
            ("max_attempts", s.max_attempts.as_ref().map(|v| v.span())),
            ("deadline", s.deadline.as_ref().map(|v| v.span())),
            ("timeout", s.timeout.as_ref().map(|v| v.span())),
            ("retry_on", s.retry_on.as_ref().map(|v| v.span())),
            ("honor_retry_after", s.honor_retry_after.map(|_| st.span())),
            (
                "max_retry_after",
                s.max_retry_after.as_ref().map(|v| v.span()),
            ),
            (
                "above_max_retry_after",
                s.above_max_retry_after.as_ref().map(|v| v.span()),
            ),
            ("fallback", s.fallback.as_ref().map(|v| v.span())),
            ("budget", s.budget.as_ref().map(|v| v.span())),
            ("breaker", s.breaker.as_ref().map(|v| v.span())),
            ("throttle", s.throttle.as_ref().map(|v| v.span())),
            ("at", s.at.as_ref().map(|v| v.span())),
            (
                "retry_after_on",
                s.retry_after_on.as_ref().map(|v| v.span()),
            ),
            (
                "zero_retry_after",
                s.zero_retry_after.as_ref().map(|v| v.span()),
            ),
            (
                "timeout_multiplier",
                s.timeout_multiplier.as_ref().map(|v| v.span()),
            ),
            ("max_timeout", s.max_timeout.as_ref().map(|v| v.span())),
            ("timeouts", s.timeouts.as_ref().map(|v| v.span())),
        ];
        for (k, span) in spans {
            if let Some(span) = span {
                self.conflict(
                    Some(span),
                    &key(k),
                    "belongs to a layer when the strategy has layers: set it in one of them (layers[0] is the outermost)",
                );
            }
        }
        if let Some(h) = &s.hedge {
            self.conflict_at(h, &key("hedge"), HEDGE_IN_LAYERS);
        }
        let name = match &s.name {
            Some(n) => self.strategy_name(n, &key("name")),
            None => {
                self.conflict_at(
                    st,
                    &key("name"),
                    "missing: a strategy with layers needs a name",
                );
                String::new()
            }
        };
        let list = layers.get_ref();
        if list.is_empty() || list.len() > MAX_LAYERS {
            self.problem(
                layers,
                &key("layers"),
                format!(
                    "must list from 1 to {MAX_LAYERS} layers, outermost first, not {}",
                    list.len()
                ),
            );
        }
        let mut resolved: Vec<Strategy> = Vec::with_capacity(list.len());
        for (j, raw) in list.iter().enumerate().take(MAX_LAYERS) {
            let layer_key = format!("{prefix}.layers[{j}]");
            if let Some(nested) = &raw.get_ref().layers {
                self.problem(
                    nested,
                    &format!("{layer_key}.layers"),
                    "layers do not nest: list every layer in the strategy's own layers, outermost first",
                );
                continue;
            }
            let layer = self.layer(raw, &layer_key, Some(j), models);
            if layer.at == Site::Client && resolved.iter().any(|l| l.at == Site::Gateway) {
                self.conflict_at(
                    raw,
                    &format!("{layer_key}.at"),
                    "a layer in the client cannot sit inside a layer at the gateway: list gateway layers innermost",
                );
            }
            if layer.fallback.is_some() && resolved.iter().any(|l| l.fallback.is_some()) {
                self.conflict_at(
                    raw,
                    &format!("{layer_key}.fallback"),
                    "only one layer of a strategy may have a fallback",
                );
            }
            resolved.push(layer);
        }
        let mut layers = resolved.into_iter();
        let mut outer = layers
            .next()
            .unwrap_or_else(|| Strategy::new(name.clone(), Backoff::None));
        outer.name = name;
        outer.inner = layers.collect();
        outer.input_growth = self.input_growth(s, &key, None);
        outer
    }

    /// A strategy's name, checked.
    fn strategy_name(&mut self, n: &Spanned<String>, key: &str) -> String {
        let name = n.get_ref().clone();
        if name.trim().is_empty() || name.contains(['\n', '\r', ',', '"']) {
            self.problem(
                n,
                key,
                "must be a non-empty name without commas, quotes or line breaks",
            );
        }
        name
    }

    /// One retry loop: a strategy of one layer (`layer` None), or layer
    /// `layer` of a strategy's `layers`, its keys named under `prefix`.
    fn layer(
        &mut self,
        st: &Spanned<RawStrategy>,
        prefix: &str,
        layer: Option<usize>,
        models: &ModelNames,
    ) -> Strategy {
        let s = st.get_ref();
        let key = |k: &str| format!("{prefix}.{k}");
        let preset = s.preset.as_ref().and_then(|p| {
            let found = preset::find(p.get_ref());
            if found.is_none() {
                let message = preset_hint(p.get_ref(), &preset::names());
                self.problem(p, &key("preset"), message);
            }
            found
        });
        if let (Some(p), Some(_), Some(span)) = (preset, layer, &s.preset)
            && p.is_stack()
        {
            self.conflict_at(
                span,
                &key("preset"),
                format!(
                    "is a stack of layers itself ({}); list its layers here instead",
                    p.layer_names().join(", ")
                ),
            );
        }
        let base = preset.map(|p| p.strategy());
        let name = match (&s.name, preset, layer) {
            (Some(n), _, _) => self.strategy_name(n, &key("name")),
            (None, Some(p), _) => p.name.to_string(),
            (None, None, Some(j)) => format!("layer {}", j + 1),
            (None, None, None) => {
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
        let at = match &s.at {
            Some(a) => self
                .choice(a, &key("at"), &Site::NAMES, Site::from_name)
                .unwrap_or(Site::Client),
            None => base.as_ref().map_or(Site::Client, |b| b.at),
        };
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
        let (timeout, timeout_multiplier, max_timeout, timeouts) =
            self.timeout_schedule(s, timeout, &key);
        let hedge = match (&s.hedge, layer) {
            (Some(h), None) => Some(self.hedge(h, &key("hedge"))),
            (Some(h), Some(_)) => {
                self.conflict_at(h, &key("hedge"), HEDGE_IN_LAYERS);
                None
            }
            (None, _) => None,
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
            preset: base.as_ref().and_then(|b| b.preset),
            inner: match layer {
                None => base.as_ref().map(|b| b.inner.clone()).unwrap_or_default(),
                Some(_) => Vec::new(),
            },
            at,
            input_growth: match layer {
                None => self.input_growth(s, &key, base.as_ref().map(|b| b.input_growth)),
                // The prompt grows with the attempts on the wire, whatever
                // layer makes them: it is the strategy's.
                Some(_) => {
                    let growth = [
                        &s.input_growth.as_ref().map(|v| v.span()),
                        &s.input_growth_factor.as_ref().map(|v| v.span()),
                        &s.max_input_tokens.as_ref().map(|v| v.span()),
                    ];
                    if let Some(span) = growth.into_iter().flatten().next() {
                        self.conflict(
                            Some(span.clone()),
                            &key("input_growth"),
                            "belongs to the strategy, not to a layer: the prompt grows with the attempts on the wire",
                        );
                    }
                    InputGrowth::default()
                }
            },
            timeout_multiplier,
            max_timeout,
            timeouts,
            hedge,
            retry_after_on,
            zero_retry_after,
        }
    }

    /// `timeout_multiplier`, `max_timeout` and `timeouts` with `timeout`
    /// (the table's or its preset's): the timeout is dropped when a list
    /// replaces it.
    fn timeout_schedule(
        &mut self,
        s: &RawStrategy,
        timeout: Option<SimDuration>,
        key: &dyn Fn(&str) -> String,
    ) -> (
        Option<SimDuration>,
        f64,
        Option<SimDuration>,
        Vec<SimDuration>,
    ) {
        let multiplier = match &s.timeout_multiplier {
            Some(m) => {
                let x = *m.get_ref();
                if !(x.is_finite() && x >= 1.0) {
                    self.problem(
                        m,
                        &key("timeout_multiplier"),
                        format!(
                            "must be a finite number of at least 1, not {}",
                            show_number(x)
                        ),
                    );
                }
                if timeout.is_none() && s.timeouts.is_none() {
                    self.conflict_at(
                        m,
                        &key("timeout_multiplier"),
                        "has no effect without timeout",
                    );
                }
                x
            }
            None => 1.0,
        };
        let max_timeout = s.max_timeout.as_ref().map(|m| {
            let d = self.positive_duration(m, &key("max_timeout"));
            match timeout {
                None if s.timeouts.is_none() => {
                    self.conflict_at(m, &key("max_timeout"), "has no effect without timeout")
                }
                Some(t) if d < t && d > 0 => self.conflict_at(
                    m,
                    &key("max_timeout"),
                    format!(
                        "must be at least timeout ({}), not {}",
                        format_duration(t),
                        format_duration(d)
                    ),
                ),
                _ => {}
            }
            d
        });
        let Some(list) = &s.timeouts else {
            return (timeout, multiplier, max_timeout, Vec::new());
        };
        for (other, at) in [
            ("timeout", s.timeout.as_ref().map(|t| t.span())),
            (
                "timeout_multiplier",
                s.timeout_multiplier.as_ref().map(|t| t.span()),
            ),
            ("max_timeout", s.max_timeout.as_ref().map(|t| t.span())),
        ] {
            if let Some(at) = at {
                self.conflict(
                    Some(at),
                    &key(other),
                    "cannot be given with timeouts (the list sets every attempt's timeout)",
                );
            }
        }
        if list.get_ref().is_empty() {
            self.problem(
                list,
                &key("timeouts"),
                format!("must list at least one timeout, {DURATION_HELP}"),
            );
        }
        let timeouts = list
            .get_ref()
            .iter()
            .map(|t| self.positive_duration(t, &key("timeouts")))
            .collect();
        (None, 1.0, None, timeouts)
    }

    /// `[strategy.hedge]`.
    fn hedge(&mut self, h: &Spanned<RawHedge>, key: &str) -> Hedge {
        let raw = h.get_ref();
        let k = |field: &str| format!("{key}.{field}");
        let delay = match (&raw.delay, &raw.percentile) {
            (Some(d), None) => HedgeDelay::Fixed(self.positive_duration(d, &k("delay"))),
            (None, Some(p)) => {
                let x = *p.get_ref();
                if !(x > 0.0 && x < 1.0) {
                    self.problem(
                        p,
                        &k("percentile"),
                        format!(
                            "must be a fraction between 0 and 1 (both excluded), not {}",
                            show_number(x)
                        ),
                    );
                }
                HedgeDelay::Percentile(x)
            }
            (Some(_), Some(p)) => {
                self.conflict_at(
                    p,
                    &k("percentile"),
                    "cannot be given with delay: a hedge waits one or the other",
                );
                HedgeDelay::Percentile(0.5)
            }
            (None, None) => {
                self.conflict_at(
                    h,
                    &k("delay"),
                    format!(
                        "missing: give delay (e.g. delay = \"100ms\", {DURATION_HELP}) or percentile (e.g. percentile = 0.95)"
                    ),
                );
                HedgeDelay::Fixed(1)
            }
        };
        let max_copies = self.int(
            &raw.max_copies,
            &k("max_copies"),
            2,
            i64::from(MAX_COPIES),
            2,
        ) as u32;
        let budget = raw.budget.as_ref().map(|b| self.positive(b, &k("budget")));
        Hedge {
            delay,
            max_copies,
            cancel: raw.cancel.unwrap_or(true),
            budget,
        }
    }

    /// `input_growth`, `input_growth_factor` and `max_input_tokens`: how
    /// each retry grows the request's input (a preset's, unless given).
    fn input_growth(
        &mut self,
        s: &RawStrategy,
        key: &dyn Fn(&str) -> String,
        base: Option<InputGrowth>,
    ) -> InputGrowth {
        let base = base.unwrap_or_default();
        let most = MAX_TOKENS_PER_REQUEST as i64;
        let per_retry = self.int(
            &s.input_growth,
            &key("input_growth"),
            0,
            most,
            base.per_retry as i64,
        ) as u64;
        let factor = match &s.input_growth_factor {
            Some(f) => {
                let x = *f.get_ref();
                if x.is_finite() && x >= 1.0 {
                    x
                } else {
                    self.problem(
                        f,
                        &key("input_growth_factor"),
                        format!(
                            "must be a finite number of at least 1 (1 grows nothing), not {}",
                            show_number(x)
                        ),
                    );
                    1.0
                }
            }
            None => base.factor,
        };
        let cap = match &s.max_input_tokens {
            Some(_) => {
                let key = key("max_input_tokens");
                Some(self.int(&s.max_input_tokens, &key, 1, most, most) as u64)
            }
            None => base.cap,
        };
        let growth = InputGrowth {
            per_retry,
            factor,
            cap,
        };
        if let (true, Some(m)) = (growth.is_off(), &s.max_input_tokens) {
            self.conflict_at(
                m,
                &key("max_input_tokens"),
                "has no effect unless input_growth or input_growth_factor grows retries",
            );
        }
        growth
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
    use crate::policy::{AboveMax, Fallback, InputGrowth, RetryOn, Site, Strategy, preset};
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
    fn additive_and_after_immediate_backoffs_resolve_with_their_defaults() {
        let s = resolved(
            "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"additive_jitter\", base = \"1s\", cap = \"60s\" }\n\
             [[strategy]]\nname = \"z\"\nbackoff = { kind = \"exponential_after_immediate\", base = \"800ms\", cap = \"120s\" }\n",
        );
        let backoffs: Vec<&Backoff> = s.strategies.iter().map(|s| &s.backoff).collect();
        assert_eq!(
            backoffs,
            [
                // Additive jitter's own default jitter is 1 (a whole base).
                &Backoff::Additive {
                    base: NANOS_PER_SEC,
                    cap: Some(60 * NANOS_PER_SEC),
                    multiplier: 2.0,
                    jitter: 1.0
                },
                &Backoff::AfterImmediate {
                    base: 800 * MS,
                    cap: Some(120 * NANOS_PER_SEC),
                    multiplier: 2.0
                },
            ]
        );
        // The schedule that retries at once first takes no jitter.
        let (line, key, message) = problem(
            "[[strategy]]\nname = \"z\"\nbackoff = { kind = \"exponential_after_immediate\", base = \"1s\", jitter = 0.5 }\n",
        );
        assert_eq!(line, 3);
        assert_eq!(key, "strategy[0].backoff.jitter");
        assert_eq!(
            message,
            "is not used by kind = \"exponential_after_immediate\""
        );
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

    #[test]
    fn layers_resolve_outermost_first_and_a_stack_preset_is_the_same_stack() {
        let s = resolved(
            "[[strategy]]\nname = \"cookbook\"\nlayers = [\n  { preset = \"tenacity-random-exponential\" },\n  { preset = \"openai-python\" },\n]\n\
             [[strategy]]\npreset = \"tenacity-cookbook\"\nmax_attempts = 4\n",
        );
        let written = &s.strategies[0];
        let stack = preset::find("tenacity-cookbook").unwrap().strategy();
        assert_eq!(written.name, "cookbook");
        assert_eq!(written.inner, stack.inner);
        assert_eq!(
            Strategy {
                name: stack.name.clone(),
                ..written.clone()
            },
            stack
        );
        let names: Vec<&str> = written.layers().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["cookbook", "openai-python"]);
        // The attempts of tenacity's loop and of the SDK's: 6 × 3.
        let attempts: Vec<u32> = stack.layers().map(|l| l.max_attempts).collect();
        assert_eq!(attempts, [6, 3]);
        // Top-level keys of a stack preset set its outermost layer.
        let overridden = &s.strategies[1];
        assert_eq!(
            (overridden.max_attempts, overridden.inner[0].max_attempts),
            (4, 3)
        );
    }

    #[test]
    fn a_layer_takes_every_strategy_key_and_may_sit_at_the_gateway() {
        let s = resolved(
            "[[strategy]]\nname = \"s\"\nlayers = [\n  { backoff = { kind = \"constant\", base = \"2s\" }, max_attempts = 2, timeout = \"30s\" },\n  { name = \"router\", at = \"gateway\", backoff = { kind = \"none\" }, max_attempts = 3, retry_on = [\"429\"] },\n]\n",
        );
        let st = &s.strategies[0];
        assert_eq!((st.name.as_str(), st.max_attempts), ("s", 2));
        assert_eq!(st.timeout, Some(30 * NANOS_PER_SEC));
        assert_eq!(st.at, Site::Client);
        let inner = &st.inner[0];
        assert_eq!((inner.name.as_str(), inner.at), ("router", Site::Gateway));
        let mut on = RetryOn::NOTHING;
        on.add("429");
        assert_eq!((inner.max_attempts, inner.retry_on), (3, on));
    }

    #[test]
    fn layers_that_cannot_be_are_named() {
        let found = problems(
            "[[strategy]]\nname = \"a\"\nmax_attempts = 3\nlayers = [{ preset = \"openai-python\" }]\n\
             [[strategy]]\nlayers = [{ preset = \"tenacity-cookbook\" }]\n\
             [[strategy]]\nname = \"c\"\nlayers = []\n\
             [[strategy]]\nname = \"d\"\nlayers = [{ preset = \"backon\", at = \"gateway\" }, { preset = \"backon\" }]\n",
        );
        let keys: Vec<(usize, &str)> = found.iter().map(|(l, k, _)| (*l, k.as_str())).collect();
        assert_eq!(
            keys,
            [
                (3, "strategy[0].max_attempts"),
                (5, "strategy[1].name"),
                (6, "strategy[1].layers[0].preset"),
                (9, "strategy[2].layers"),
                (12, "strategy[3].layers[1].at"),
            ]
        );
        assert!(
            found[0].2.starts_with("belongs to a layer"),
            "{}",
            found[0].2
        );
        assert_eq!(
            found[2].2,
            "is a stack of layers itself (tenacity-random-exponential, openai-python); list its layers here instead"
        );
        assert_eq!(
            found[3].2,
            "must list from 1 to 8 layers, outermost first, not 0"
        );
        assert!(
            found[4]
                .2
                .starts_with("a layer in the client cannot sit inside")
        );
        let (line, key, message) = problem(
            "[[strategy]]\nname = \"n\"\nlayers = [{ preset = \"backon\" }, { preset = \"backon\", layers = [] }]\n",
        );
        assert_eq!((line, key.as_str()), (3, "strategy[0].layers[1].layers"));
        assert!(message.starts_with("layers do not nest"), "{message}");
    }

    #[test]
    fn growth_is_the_strategys_whatever_its_layers() {
        let s = resolved(
            "[[strategy]]\nname = \"s\"\ninput_growth = 300\nlayers = [{ preset = \"backon\" }, { preset = \"openai-python\" }]\n",
        );
        assert_eq!(s.strategies[0].input_growth.per_retry, 300);
        assert_eq!(resolved(&s.to_toml()).strategies[0], s.strategies[0]);
        let (line, key, message) = problem(
            "[[strategy]]\nname = \"s\"\nlayers = [{ preset = \"backon\", input_growth = 300 }]\n",
        );
        assert_eq!(
            (line, key.as_str()),
            (3, "strategy[0].layers[0].input_growth")
        );
        assert!(
            message.starts_with("belongs to the strategy, not to a layer"),
            "{message}"
        );
        // Hedging is not modelled across layers, at the top or in one.
        for src in [
            "[[strategy]]\nname = \"s\"\nhedge = { delay = \"100ms\" }\nlayers = [{ preset = \"backon\" }]\n",
            "[[strategy]]\nname = \"s\"\nlayers = [{ preset = \"backon\", hedge = { delay = \"100ms\" } }]\n",
        ] {
            let (_, key, message) = problem(src);
            assert!(key.ends_with("hedge"), "{key}");
            assert_eq!(message, super::HEDGE_IN_LAYERS);
        }
    }

    #[test]
    fn input_growth_is_off_by_default_and_read_back_as_written() {
        let s = resolved(STRATEGY);
        assert!(s.strategies[0].input_growth.is_off());
        let s = resolved(&format!(
            "{STRATEGY}input_growth = 500\ninput_growth_factor = 1.5\nmax_input_tokens = 128000\n"
        ));
        let want = InputGrowth {
            per_retry: 500,
            factor: 1.5,
            cap: Some(128_000),
        };
        assert_eq!(s.strategies[0].input_growth, want);
        assert_eq!(resolved(&s.to_toml()).strategies[0].input_growth, want);
        // A preset's strategy takes the keys too.
        let s = resolved("[[strategy]]\npreset = \"openai-python\"\ninput_growth = 200\n");
        assert_eq!(s.strategies[0].input_growth.per_retry, 200);
    }

    #[test]
    fn bad_input_growth_keys_are_named() {
        let found = problems(&format!(
            "{STRATEGY}input_growth = -1\ninput_growth_factor = 0.5\nmax_input_tokens = 0\n"
        ));
        assert_eq!(
            found,
            [
                (
                    4,
                    "strategy[0].input_growth".to_string(),
                    "must be a whole number from 0 to 1000000000, not -1".to_string()
                ),
                (
                    5,
                    "strategy[0].input_growth_factor".to_string(),
                    "must be a finite number of at least 1 (1 grows nothing), not 0.5".to_string()
                ),
                (
                    6,
                    "strategy[0].max_input_tokens".to_string(),
                    "must be a whole number from 1 to 1000000000, not 0".to_string()
                ),
            ]
        );
        let (line, key, message) = problem(&format!("{STRATEGY}max_input_tokens = 4000\n"));
        assert_eq!((line, key.as_str()), (4, "strategy[0].max_input_tokens"));
        assert_eq!(
            message,
            "has no effect unless input_growth or input_growth_factor grows retries"
        );
    }
}
