//! Distributions of durations and token counts: a plain value (`"200ms"`,
//! `800`) or a table (`{ dist = "lognormal", median = "800ms", sigma = 0.5 }`),
//! and the units their parameters are read in.

use super::Cx;
use crate::diagnostic::{show_number, toml_type, unknown_name};
use crate::model::dist::Dist;
use crate::scenario::MAX_TOKENS_PER_REQUEST;
use crate::scenario::raw::no_unit;
use crate::time::{DURATION_HELP, format_duration, parse_duration};
use toml::Spanned;

impl Cx<'_> {
    /// A duration or a distribution of durations: `"200ms"` or
    /// `{ dist = "lognormal", median = "800ms", sigma = 0.5 }`.
    pub(super) fn duration_dist(&mut self, v: &Spanned<toml::Value>, key: &str) -> Dist {
        self.dist(v, key, Unit::Duration)
    }

    /// A token count or a distribution of token counts.
    pub(super) fn token_dist(&mut self, v: &Spanned<toml::Value>, key: &str) -> Dist {
        self.dist(v, key, Unit::Tokens)
    }

    fn dist(&mut self, v: &Spanned<toml::Value>, key: &str, unit: Unit) -> Dist {
        match self.try_dist(v.get_ref(), unit) {
            Ok(d) => d,
            Err(msg) => {
                self.problem(v, key, msg);
                Dist::Constant(0.0)
            }
        }
    }

    fn try_dist(&self, v: &toml::Value, unit: Unit) -> Result<Dist, String> {
        let table = match (v, unit) {
            (toml::Value::Table(t), _) => t,
            (toml::Value::String(s), Unit::Duration) => {
                return Ok(Dist::Constant(parse_duration(s)? as f64));
            }
            (toml::Value::Integer(_) | toml::Value::Float(_), Unit::Tokens) => {
                return Ok(Dist::Constant(unit.value(v, "value")?));
            }
            (toml::Value::Integer(_) | toml::Value::Float(_), Unit::Duration) => {
                return Err(format!(
                    "{}, or a table such as {}",
                    number_without_unit(v),
                    unit.example()
                ));
            }
            _ => {
                return Err(format!(
                    "invalid type: {}, expected {}, or a table such as {}",
                    toml_type(v),
                    unit.expected(),
                    unit.example()
                ));
            }
        };
        let kind = match table.get("dist") {
            Some(toml::Value::String(s)) => s.as_str(),
            _ => {
                return Err(format!(
                    "a distribution table needs dist = one of {}, e.g. {}",
                    DISTS.map(|d| format!("\"{d}\"")).join(", "),
                    unit.example()
                ));
            }
        };
        let fields: &[&str] = match kind {
            "constant" => &["value"],
            "uniform" => &["min", "max"],
            "exponential" => &["mean"],
            "lognormal" => &["median", "sigma"],
            "normal_abs" => &["mean", "sd"],
            "empirical" => &["values", "weights"],
            other => return Err(unknown_name("dist", other, &DISTS)),
        };
        for k in table.keys() {
            if k != "dist" && !fields.contains(&k.as_str()) {
                return Err(format!(
                    "dist = \"{kind}\" takes {}; \"{k}\" is not one of them",
                    fields.join(", ")
                ));
            }
        }
        let get = |name: &str| -> Result<f64, String> {
            let v = table
                .get(name)
                .ok_or_else(|| format!("dist = \"{kind}\" needs {}", fields.join(" and ")))?;
            // sigma is a plain number whatever the unit.
            if name == "sigma" {
                Unit::Tokens.value(v, name)
            } else {
                unit.value(v, name)
            }
        };
        if kind == "empirical" {
            let list = |name: &str, u: Unit| -> Result<Vec<f64>, String> {
                match table.get(name) {
                    None => Ok(Vec::new()),
                    Some(toml::Value::Array(items)) => {
                        items.iter().map(|v| u.value(v, name)).collect()
                    }
                    Some(_) => Err(format!(
                        "{name} must be a list, e.g. values = [200, 800, 3000]"
                    )),
                }
            };
            let values = list("values", unit)?;
            if values.is_empty() {
                return Err("dist = \"empirical\" needs values = [...] (one or more), and optionally weights = [...]".into());
            }
            // Weights are plain numbers whatever the unit.
            return Dist::empirical(values, list("weights", Unit::Tokens)?, unit.show());
        }
        let show = unit.show();
        match kind {
            "constant" => Ok(Dist::Constant(get("value")?)),
            "uniform" => Dist::uniform(get("min")?, get("max")?, show),
            "exponential" => Dist::exponential(get("mean")?, show),
            "lognormal" => Dist::lognormal(get("median")?, get("sigma")?, show),
            _ => Dist::normal_abs(get("mean")?, get("sd")?, show),
        }
    }
}

/// The kinds of distribution tables.
const DISTS: [&str; 6] = [
    "constant",
    "uniform",
    "exponential",
    "lognormal",
    "normal_abs",
    "empirical",
];

#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Tokens,
}

impl Unit {
    fn example(self) -> &'static str {
        match self {
            Unit::Duration => "{ dist = \"lognormal\", median = \"800ms\", sigma = 0.5 }",
            Unit::Tokens => "{ dist = \"lognormal\", median = 800, sigma = 0.6 }",
        }
    }

    /// What a value in this unit is, for "expected …".
    fn expected(self) -> &'static str {
        match self {
            Unit::Duration => DURATION_HELP,
            Unit::Tokens => "a number",
        }
    }

    /// How messages show a value in this unit: a duration (`"1500ms"`)
    /// for nanoseconds, a plain number for tokens.
    fn show(self) -> crate::model::dist::Show {
        match self {
            Unit::Duration => |ns| {
                if ns >= 0.0 {
                    format_duration(crate::time::nanos_from_f64(ns))
                } else {
                    show_number(ns)
                }
            },
            Unit::Tokens => show_number,
        }
    }

    /// A parameter value in this unit: nanoseconds for durations (from a
    /// duration string), a plain non-negative number otherwise.
    fn value(self, v: &toml::Value, name: &str) -> Result<f64, String> {
        let x = match (self, v) {
            (Unit::Duration, toml::Value::String(s)) => {
                parse_duration(s).map_err(|e| format!("{name}: {e}"))? as f64
            }
            (Unit::Duration, toml::Value::Integer(_) | toml::Value::Float(_)) => {
                return Err(format!("{name}: {}", number_without_unit(v)));
            }
            (Unit::Tokens, toml::Value::Integer(i)) => *i as f64,
            (Unit::Tokens, toml::Value::Float(f)) => *f,
            (_, v) => {
                return Err(format!(
                    "{name}: invalid type: {}, expected {}",
                    toml_type(v),
                    self.expected()
                ));
            }
        };
        if !x.is_finite() || x < 0.0 {
            return Err(format!(
                "{name} must be a finite number of at least 0, not {}",
                show_number(x)
            ));
        }
        if matches!(self, Unit::Tokens)
            && !matches!(name, "sigma" | "weights")
            && x > MAX_TOKENS_PER_REQUEST as f64
        {
            return Err(format!(
                "{name} must be at most {MAX_TOKENS_PER_REQUEST} tokens, not {}",
                show_number(x)
            ));
        }
        Ok(x)
    }
}

/// A number where a duration belongs, in the words of the duration keys
/// (`horizon = 600`).
fn number_without_unit(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(x) => no_unit(show_number(*x)),
        v => no_unit(v),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem, resolved};
    use super::Unit;
    use crate::model::dist::Dist;
    use crate::time::DURATION_HELP;

    #[test]
    fn tables_resolve_to_their_distribution_in_the_key_s_unit() {
        let s = resolved(&format!(
            "[workload.tokens]\ninput = {{ dist = \"lognormal\", median = 800, sigma = 0.6 }}\n\
             output = {{ dist = \"empirical\", values = [100, 300], weights = [3, 1] }}\n\
             [server]\nlatency = {{ dist = \"uniform\", min = \"100ms\", max = \"300ms\" }}\n\
             [network]\none_way = \"5ms\"\n{STRATEGY}"
        ));
        assert_eq!(
            s.workload.input_tokens,
            Dist::lognormal(800.0, 0.6, Unit::Tokens.show()).unwrap()
        );
        assert_eq!(
            s.workload.output_tokens,
            Dist::empirical(vec![100.0, 300.0], vec![3.0, 1.0], Unit::Tokens.show()).unwrap()
        );
        assert_eq!(
            s.server.latency,
            crate::scenario::Latency::Fixed(
                Dist::uniform(100e6, 300e6, Unit::Duration.show()).unwrap()
            )
        );
        assert_eq!(s.network_one_way, Dist::Constant(5e6));
    }

    #[test]
    fn a_table_names_its_distribution_and_only_its_parameters() {
        let (line, key, message) = problem(&format!(
            "[workload.tokens]\ninput = {{ median = 800 }}\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (2, "workload.tokens.input"));
        assert_eq!(
            message,
            "a distribution table needs dist = one of \"constant\", \"uniform\", \"exponential\", \"lognormal\", \"normal_abs\", \"empirical\", e.g. { dist = \"lognormal\", median = 800, sigma = 0.6 }"
        );
        let (_, _, message) = problem(&format!(
            "[workload.tokens]\ninput = {{ dist = \"uniform\", min = 1, mean = 3 }}\n{STRATEGY}"
        ));
        assert_eq!(
            message,
            "dist = \"uniform\" takes min, max; \"mean\" is not one of them"
        );
        let (_, _, message) = problem(&format!(
            "[workload.tokens]\ninput = {{ dist = \"uniform\", min = 1 }}\n{STRATEGY}"
        ));
        assert_eq!(message, "dist = \"uniform\" needs min and max");
    }

    #[test]
    fn durations_need_a_unit_and_token_counts_a_bound() {
        let (_, key, message) = problem(&format!(
            "[server]\nlatency = {{ dist = \"lognormal\", median = 800, sigma = 0.5 }}\n{STRATEGY}"
        ));
        assert_eq!(key, "server.latency");
        assert_eq!(
            message,
            format!("median: the number 800 has no unit; expected {DURATION_HELP}")
        );
        let (_, key, message) = problem(&format!(
            "[workload.tokens]\noutput = 2000000000\n{STRATEGY}"
        ));
        assert_eq!(key, "workload.tokens.output");
        assert_eq!(
            message,
            "value must be at most 1000000000 tokens, not 2000000000"
        );
        let (_, _, message) = problem(&format!(
            "[workload.tokens]\noutput = {{ dist = \"empirical\", values = [] }}\n{STRATEGY}"
        ));
        assert!(
            message.starts_with("dist = \"empirical\" needs values = [...]"),
            "{message}"
        );
    }
}
