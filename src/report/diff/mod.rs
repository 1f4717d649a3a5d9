//! `backsim diff A B`: what changed between two report folders, and
//! whether it matters.
//!
//! Both folders are read, never written: a run's report through
//! [`crate::report::run::read`], a sweep's (or merge's) through
//! [`crate::report::sweep`], which
//! check that the files belong together; `report.toml` tells which kind a
//! folder holds. `summary.csv` is then read column by column by name, so
//! that a metric column added later is compared without code changes.
//!
//! - **Rows** match by strategy name (and, for sweeps, by the values of
//!   the swept keys). Strategies in one report only are listed as added
//!   or removed.
//! - **Confidence intervals.** A column `<stem>_ci95` is the 95%
//!   half-width of the metric `<stem>`, or, when there is no such column,
//!   of the one metric named `<stem>_<something>` (`goodput_ci95` for
//!   `goodput_per_s`); a `_ci95` column that pairs with no metric is
//!   ignored. The half-width of the change B − A is √(h_A² + h_B²)
//!   ([`change_half_width`]): the two reports' replications are
//!   independent samples, so the variances of their means add. Each
//!   h = t(0.975, n − 1) · s / √n, so with equal replication counts this is
//!   the Welch interval with n − 1 degrees of freedom instead of Welch's
//!   n − 1 to 2n − 2: a little wide, never narrow. When both reports used
//!   the same seed, replication i of each shares its random numbers
//!   (common random numbers): their results are positively correlated, the
//!   true variance of the change is smaller, and the interval is
//!   conservative. A change is significant when it lies outside its
//!   interval ([`significant`]). Metrics without a half-width in both
//!   reports are shown as not tested.
//! - **Scenario keys**: both `scenario.toml` files are flattened to dotted
//!   paths ([`flatten`]), arrays of tables by the elements' `name`
//!   (`strategy.linear.max_attempts`), and compared.
//! - **`--fail-if`** conditions ([`Condition`]) on the change of a metric:
//!   one holds for a (strategy, point) when the change (absolute, or
//!   relative with `%`) satisfies it *and* the change is significant; for
//!   a metric that is not tested, the change alone decides.
//!
//! Reading and matching the two folders is [`read`], comparing them
//! `compare`, the `--fail-if` conditions `condition`, and the table
//! and JSON shown `print`.

pub mod compare;
pub mod condition;
pub mod print;
pub mod read;

pub use compare::*;
pub use condition::*;
pub use print::*;
pub use read::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(change: f64, relative: f64, ci95: f64) -> MetricDiff {
        MetricDiff {
            metric: "success_rate".into(),
            in_a: true,
            in_b: true,
            a: 0.5,
            b: 0.5 + change,
            change,
            relative,
            ci95,
            significant: significant(change, ci95),
        }
    }

    #[test]
    fn the_half_width_of_a_change_adds_the_variances() {
        // A 3-4-5 triangle: √(0.03² + 0.04²) = 0.05 exactly in the model,
        // to the last bit or two in floats.
        assert!((change_half_width(0.03, 0.04) - 0.05).abs() < 1e-15);
        // Equal half-widths h give h·√2: the interval of a difference of
        // two equally precise means is √2 times as wide as either's.
        assert_eq!(change_half_width(1.0, 1.0), std::f64::consts::SQRT_2);
        assert_eq!(change_half_width(0.0, 0.0), 0.0);
        assert!(change_half_width(f64::NAN, 0.1).is_nan());
        assert!(change_half_width(0.1, f64::NAN).is_nan());
    }

    #[test]
    fn a_change_is_significant_outside_its_interval() {
        assert_eq!(significant(0.06, 0.05), Some(true));
        assert_eq!(significant(-0.06, 0.05), Some(true));
        assert_eq!(significant(0.04, 0.05), Some(false));
        // On the bound: not outside it.
        assert_eq!(significant(0.05, 0.05), Some(false));
        // Deterministic results (every replication equal): half-width 0.
        assert_eq!(significant(0.2, 0.0), Some(true));
        assert_eq!(significant(0.0, 0.0), Some(false));
        // One replication has no half-width: not tested.
        assert_eq!(significant(0.2, f64::NAN), None);
        assert_eq!(significant(f64::NAN, 0.1), None);
    }

    #[test]
    fn conditions_parse_with_or_without_spaces_signs_and_percent() {
        let c = Condition::parse("success_rate < -0.01").unwrap();
        assert_eq!(
            (c.metric.as_str(), c.op, c.threshold, c.relative),
            ("success_rate", Op::Lt, -0.01, false)
        );
        let c = Condition::parse("tts_p99_s>+10%").unwrap();
        assert_eq!((c.op, c.threshold, c.relative), (Op::Gt, 0.1, true));
        let c = Condition::parse("  wasted_usd >= 0.5 ").unwrap();
        assert_eq!(
            (c.op, c.threshold, c.text.as_str()),
            (Op::Ge, 0.5, "wasted_usd >= 0.5")
        );
        let c = Condition::parse("attempts_per_request <= -5 %").unwrap();
        assert_eq!((c.op, c.threshold, c.relative), (Op::Le, -0.05, true));
        assert_eq!(Condition::parse("peak_load > 1e1").unwrap().threshold, 10.0);
    }

    #[test]
    fn bad_conditions_say_what_is_wrong_and_the_form() {
        for (text, says) in [
            ("success_rate = 0", "has no comparison"),
            ("success_rate", "has no comparison"),
            ("< 0.1", "names no metric"),
            ("success rate < 0.1", "is not a metric name"),
            ("success_rate < ", "\"\" is not a number"),
            ("success_rate < abc", "\"abc\" is not a number"),
            ("success_rate < inf", "\"inf\" is not a number"),
            ("success_rate < nan%", "\"nan\" is not a number"),
            ("success_rate <> 1", "\"> 1\" is not a number"),
        ] {
            let e = Condition::parse(text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.ends_with(CONDITION_FORM), "{text}: {e}");
        }
    }

    #[test]
    fn a_condition_holds_on_a_significant_or_untested_change_past_it() {
        let c = Condition::parse("success_rate < -0.01").unwrap();
        // Past the threshold and outside ±0.02: holds.
        assert!(c.holds(&metric(-0.05, -0.1, 0.02)));
        // Past the threshold but inside its interval (noise): does not.
        assert!(!c.holds(&metric(-0.05, -0.1, 0.08)));
        // Significant but not past the threshold: does not.
        assert!(!c.holds(&metric(-0.005, -0.01, 0.001)));
        // No interval (one replication): the change alone decides.
        assert!(c.holds(&metric(-0.05, -0.1, f64::NAN)));
        assert!(!c.holds(&metric(0.05, 0.1, f64::NAN)));
        // An unknown change never holds.
        assert!(!c.holds(&metric(f64::NAN, f64::NAN, f64::NAN)));
        // Relative: -10% of A.
        let r = Condition::parse("success_rate <= -10%").unwrap();
        assert!(r.holds(&metric(-0.05, -0.1, 0.0)));
        assert!(!r.holds(&metric(-0.05, -0.09, 0.0)));
    }

    #[test]
    fn half_width_columns_pair_with_their_metric_by_name() {
        let columns = [
            "success_rate",
            "success_rate_ci95",
            "tts_p99_s",
            "goodput_per_s",
            "tts_p99_s_ci95",
            "goodput_ci95",
            "wasted_tokens",
            "wasted_usd",
            "wasted_ci95",
            "orphan_ci95",
        ];
        let (metrics, ci) = pair_ci(columns.iter().copied());
        assert_eq!(
            metrics,
            [
                "success_rate",
                "tts_p99_s",
                "goodput_per_s",
                "wasted_tokens",
                "wasted_usd"
            ]
        );
        let pairs: Vec<(&str, &str)> = ci.iter().map(|(m, c)| (m.as_str(), c.as_str())).collect();
        // `wasted_ci95` could be either wasted column and `orphan_ci95`
        // none: both are left out.
        assert_eq!(
            pairs,
            [
                ("goodput_per_s", "goodput_ci95"),
                ("success_rate", "success_rate_ci95"),
                ("tts_p99_s", "tts_p99_s_ci95"),
            ]
        );
    }

    fn settings(text: &str) -> Settings {
        let mut s = Settings::default();
        flatten("", &toml::Value::Table(text.parse().unwrap()), &mut s);
        s
    }

    #[test]
    fn a_scenario_flattens_to_dotted_paths_with_strategies_by_name() {
        let s = settings(
            "seed = 7\n[limiter]\nrequest_burst = 10\n\
             [[strategy]]\nname = \"a\"\nretry_on = [\"429\"]\n[strategy.backoff]\nbase = \"1s\"\n\
             [[server.capacity_cuts]]\nat = \"1s\"\n",
        );
        let keys: Vec<&str> = s.leaves.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "seed",
                "limiter.request_burst",
                "strategy.a.retry_on",
                "strategy.a.backoff.base",
                "server.capacity_cuts.0.at"
            ]
        );
        let elements: Vec<&str> = s.elements.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(elements, ["strategy.a", "server.capacity_cuts.0"]);
    }

    #[test]
    fn changed_keys_match_strategies_by_name_not_position() {
        let a = settings(
            "seed = 7\ngone = 1\n[[strategy]]\nname = \"x\"\nmax_attempts = 5\n\
             [[strategy]]\nname = \"y\"\nmax_attempts = 3\n[[strategy]]\nname = \"old\"\nmax_attempts = 1\n",
        );
        // The same strategies in another order, y changed, old replaced by new.
        let b = settings(
            "seed = 7\nnew_key = \"v\"\n[[strategy]]\nname = \"y\"\nmax_attempts = 8\n\
             [[strategy]]\nname = \"new\"\nmax_attempts = 2\n[[strategy]]\nname = \"x\"\nmax_attempts = 5\n",
        );
        let shown: Vec<String> = changed_keys(&a, &b)
            .iter()
            .map(|c| {
                let v = |v: &Option<toml::Value>| v.as_ref().map_or("-".into(), |v| v.to_string());
                format!("{}: {} -> {}", c.key, v(&c.a), v(&c.b))
            })
            .collect();
        assert_eq!(
            shown,
            [
                "gone: 1 -> -",
                "strategy.y.max_attempts: 3 -> 8",
                "strategy.old: { name = \"old\", max_attempts = 1 } -> -",
                "new_key: - -> \"v\"",
                "strategy.new: - -> { name = \"new\", max_attempts = 2 }",
            ]
        );
        assert!(changed_keys(&a, &a).is_empty());
    }

    #[test]
    fn changes_show_with_their_sign_and_shares_in_points() {
        assert_eq!(show_change("success_rate", 0.2), "+20.0 pp");
        assert_eq!(show_change("success_rate", -0.005), "-0.5 pp");
        assert_eq!(show_change("tts_p99_s", 1.5), "+1.5s");
        assert_eq!(show_change("wasted_usd", -0.25), "-0.2500");
        assert_eq!(show_change("goodput_per_s", 3.0), "+3.00");
        assert_eq!(show_change("peak_load", 0.0), "0.00");
        assert_eq!(show_change("peak_load", f64::NAN), "-");
    }
}
