//! What to suggest for a key a table does not have, searched across the
//! whole schema, and for a preset name that is only part of one.
//!
//! The rules, first match wins (docs/interface.md, "Unknown keys"):
//! 1. a name other tools use for a key of this table (`max_retries`,
//!    `rpm`, `delay` in a backoff), with how its value translates;
//! 2. a name with a unit suffix (`timeout_ms`) whose stem is a key
//!    (found by these same rules): durations are strings with a unit;
//! 3. the same name in other tables (`clients` at the top level is
//!    `workload.clients`);
//! 4. the closest name of this table (one edit per three letters);
//! 5. a name other tools use for a key of another table;
//! 6. the closest name of any other table.

use super::{Schema, Shape, schema};
use crate::diagnostic::{closest, show_number, unknown_name};
use crate::policy::backoff::BackoffKind;

/// How an alias's value becomes the key's.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Note {
    /// The same value.
    Same,
    /// A count of retries: attempts are one more.
    Retries,
    /// A rate per second: the key is per minute.
    PerMinute,
    /// Jitter is a property of the backoff kind.
    Jitter,
}

/// Names other tools use (HTTP client retry settings, SDKs, provider
/// docs) for keys of backsim's tables, where they mean the same thing.
struct Alias {
    table: &'static str,
    names: &'static [&'static str],
    /// The key, relative to `table` (`backoff.base` in `strategy`).
    key: &'static str,
    note: Note,
}

const ALIASES: &[Alias] = &[
    Alias {
        table: "strategy",
        names: &[
            "max_retries",
            "retries",
            "max_retry",
            "num_retries",
            "retry_count",
            "max_retry_count",
            "retry",
        ],
        key: "max_attempts",
        note: Note::Retries,
    },
    Alias {
        table: "strategy",
        names: &["attempts", "max_tries", "stop_after_attempt", "max_attempt"],
        key: "max_attempts",
        note: Note::Same,
    },
    Alias {
        table: "strategy",
        names: &["jitter", "use_jitter"],
        key: "backoff.kind",
        note: Note::Jitter,
    },
    Alias {
        table: "strategy",
        names: &["delay", "base_delay", "initial_delay", "backoff_factor"],
        key: "backoff.base",
        note: Note::Same,
    },
    Alias {
        table: "strategy",
        names: &["max_delay", "max_backoff", "max_interval"],
        key: "backoff.cap",
        note: Note::Same,
    },
    Alias {
        table: "strategy",
        names: &[
            "status_forcelist",
            "retry_on_status",
            "retry_status_codes",
            "retryable_status_codes",
            "retry_codes",
        ],
        key: "retry_on",
        note: Note::Same,
    },
    Alias {
        table: "strategy.backoff",
        names: &[
            "delay",
            "base_delay",
            "initial_delay",
            "initial",
            "initial_interval",
            "initial_backoff",
            "backoff_factor",
        ],
        key: "base",
        note: Note::Same,
    },
    Alias {
        table: "strategy.backoff",
        names: &["max_delay", "max", "maximum", "max_interval", "max_backoff"],
        key: "cap",
        note: Note::Same,
    },
    Alias {
        table: "strategy.backoff",
        names: &["factor", "exp_base", "backoff_multiplier"],
        key: "multiplier",
        note: Note::Same,
    },
    Alias {
        table: "strategy.backoff",
        names: &["type", "strategy", "schedule"],
        key: "kind",
        note: Note::Same,
    },
    Alias {
        table: "strategy.backoff",
        names: &["min_delay"],
        key: "min",
        note: Note::Same,
    },
    Alias {
        table: "limiter",
        names: &["rpm"],
        key: "requests_per_minute",
        note: Note::Same,
    },
    Alias {
        table: "limiter",
        names: &["rps", "qps", "requests_per_second"],
        key: "requests_per_minute",
        note: Note::PerMinute,
    },
    Alias {
        table: "limiter",
        names: &["tpm"],
        key: "tokens_per_minute",
        note: Note::Same,
    },
    Alias {
        table: "limiter",
        names: &["tps", "tokens_per_second"],
        key: "tokens_per_minute",
        note: Note::PerMinute,
    },
    Alias {
        table: "limiter",
        names: &["itpm"],
        key: "input_tokens_per_minute",
        note: Note::Same,
    },
    Alias {
        table: "limiter",
        names: &["otpm"],
        key: "output_tokens_per_minute",
        note: Note::Same,
    },
    Alias {
        table: "limiter",
        names: &["concurrency", "max_concurrency", "max_concurrent_requests"],
        key: "max_in_flight",
        note: Note::Same,
    },
    Alias {
        table: "workload",
        names: &["rps", "qps", "rate", "requests_per_second"],
        key: "rate_per_s",
        note: Note::Same,
    },
    Alias {
        table: "workload",
        names: &["users", "num_clients", "n_clients"],
        key: "clients",
        note: Note::Same,
    },
    Alias {
        table: "",
        names: &["runs", "repetitions"],
        key: "replications",
        note: Note::Same,
    },
];

/// Unit suffixes of other tools' duration keys, and backsim's unit.
const UNIT_SUFFIXES: [(&str, &str); 14] = [
    ("_ms", "ms"),
    ("_millis", "ms"),
    ("_msec", "ms"),
    ("_s", "s"),
    ("_sec", "s"),
    ("_secs", "s"),
    ("_seconds", "s"),
    ("_us", "us"),
    ("_ns", "ns"),
    ("_m", "m"),
    ("_min", "m"),
    ("_minutes", "m"),
    ("_h", "h"),
    ("_hours", "h"),
];

/// A key suggested: its table (canonical path) and its name there (which
/// may be dotted, `backoff.base` in `strategy`).
#[derive(Debug, Clone, PartialEq)]
struct Target {
    table: String,
    key: String,
    note: Note,
}

/// The hint after "unknown key `word`" in the table at `table` (a dotted
/// path as problems name keys, indices and all: `strategy[0].backoff`):
/// `; did you mean "x"?` and what to know, or nothing when nothing fits.
/// `value` is the text of the value the file gives the key, which some
/// hints translate (`max_retries = 2` is `max_attempts = 3`).
pub fn unknown_key_hint(table: &str, word: &str, value: Option<&str>) -> String {
    let s = schema();
    let table = s.canonical(table);
    match suggest(s, &table, word, true) {
        Some((targets, unit)) => render(s, &table, word, &targets, unit, value),
        None => String::new(),
    }
}

/// The keys to suggest for `word` in `table`, and the unit its suffix
/// named, by the rules of this module.
fn suggest(
    s: &Schema,
    table: &str,
    word: &str,
    suffixes: bool,
) -> Option<(Vec<Target>, Option<&'static str>)> {
    let lower = word.to_lowercase();
    let aliases = |here: bool| -> Vec<Target> {
        ALIASES
            .iter()
            .filter(|a| (a.table == table) == here && a.names.contains(&lower.as_str()))
            .map(|a| Target {
                table: a.table.to_string(),
                key: a.key.to_string(),
                note: a.note,
            })
            .collect()
    };
    let plain = |table: &str, key: &str| Target {
        table: table.to_string(),
        key: key.to_string(),
        note: Note::Same,
    };
    let here = aliases(true);
    if !here.is_empty() {
        return Some((here, None));
    }
    if suffixes {
        for (suffix, unit) in UNIT_SUFFIXES {
            let Some(stem) = lower.strip_suffix(suffix).filter(|s| !s.is_empty()) else {
                continue;
            };
            let direct = s.keys_of(table).any(|k| k == stem);
            let found = if direct {
                Some(vec![plain(table, stem)])
            } else {
                suggest(s, table, stem, false).map(|(t, _)| t)
            };
            let durations: Vec<Target> = found
                .unwrap_or_default()
                .into_iter()
                .filter(|t| s.shape(&join(&t.table, &t.key)) == Some(&Shape::Duration))
                .collect();
            if !durations.is_empty() {
                return Some((durations, Some(unit)));
            }
        }
    }
    let elsewhere: Vec<Target> = s
        .tables_with(&lower)
        .into_iter()
        .filter(|t| *t != table && !is_copy(s, t))
        .map(|t| plain(t, &lower))
        .collect();
    if !elsewhere.is_empty() {
        return Some((elsewhere, None));
    }
    if let Some(key) = closest(word, s.keys_of(table)) {
        return Some((vec![plain(table, key)], None));
    }
    let other = aliases(false);
    if !other.is_empty() {
        return Some((other, None));
    }
    let mut names: Vec<&str> = s
        .entries()
        .iter()
        .filter(|e| !is_copy(s, e.path.rsplit_once('.').map_or("", |(t, _)| t)))
        .map(|e| e.path.rsplit('.').next().unwrap_or(&e.path))
        .collect();
    names.dedup();
    let key = closest(word, names)?;
    let targets: Vec<Target> = s
        .tables_with(key)
        .into_iter()
        .filter(|t| *t != table && !is_copy(s, t))
        .map(|t| plain(t, key))
        .collect();
    (!targets.is_empty()).then_some((targets, None))
}

/// Whether the table at canonical path `table` repeats another's keys (a
/// `[[model]]`'s own `server`): it is named once, by the original.
fn is_copy(s: &Schema, table: &str) -> bool {
    table
        .strip_prefix("model.")
        .is_some_and(|rest| s.shape(rest).is_some())
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// `; did you mean "x"?` with what the user needs to know to use it.
fn render(
    s: &Schema,
    table: &str,
    word: &str,
    targets: &[Target],
    unit: Option<&str>,
    value: Option<&str>,
) -> String {
    // Keys of the same table are named as they are written there, others
    // by their path from the top.
    let names: Vec<String> = targets
        .iter()
        .map(|t| {
            if t.table == table {
                format!("\"{}\"", t.key)
            } else {
                format!("\"{}\"", join(&t.table, &t.key))
            }
        })
        .collect();
    let mut out = format!("; did you mean {}?", names.join(" or "));
    let others: Vec<&Target> = targets.iter().filter(|t| t.table != table).collect();
    if let [first, ..] = others.as_slice() {
        let tables: Vec<String> = others.iter().map(|t| s.table_name(&t.table)).collect();
        let key = first.key.split('.').next_back().unwrap_or(&first.key);
        out.push_str(&format!(
            " {key} is a key of {}, not of {}",
            tables.join(" and "),
            s.table_name(table)
        ));
    }
    let number = value.and_then(|v| v.trim().replace('_', "").parse::<f64>().ok());
    if let Some(unit) = unit {
        let key = targets[0].key.rsplit('.').next().unwrap_or(&targets[0].key);
        let amount = number.map_or("250".to_string(), show_number);
        out.push_str(&format!(
            " (durations are strings with a unit: {key} = \"{amount}{unit}\")"
        ));
        return out;
    }
    match targets[0].note {
        Note::Same => {}
        Note::Retries => {
            let retries = number.filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n < 1e15);
            let (r, a) = retries.map_or((2.0, 3.0), |r| (r, r + 1.0));
            out.push_str(&format!(
                " (max_attempts counts the first attempt too: max_attempts = {word} + 1, so {word} = {} is max_attempts = {})",
                show_number(r),
                show_number(a)
            ));
        }
        Note::PerMinute => {
            let r = number.unwrap_or(10.0);
            let key = targets[0].key.as_str();
            out.push_str(&format!(
                " (a rate per minute: {word} = {} is {key} = {})",
                show_number(r),
                show_number(r * 60.0)
            ));
        }
        Note::Jitter => {
            let kinds: Vec<String> = BackoffKind::NAMES
                .iter()
                .filter(|k| k.contains("jitter"))
                .map(|k| format!("\"{k}\""))
                .collect();
            out.push_str(&format!(
                " (jitter comes with the schedule's kind: {})",
                kinds.join(", ")
            ));
        }
    }
    out
}

/// The message for a preset name that is not one of `names`: the presets
/// whose names hold it as a word or part of one (`openai` names six), or
/// else every name and the closest.
pub fn preset_hint(word: &str, names: &[&str]) -> String {
    let lower = word.to_lowercase();
    let holding: Vec<String> = names
        .iter()
        .filter(|n| lower.chars().count() >= 3 && n.to_lowercase().contains(&lower))
        .map(|n| format!("\"{n}\""))
        .collect();
    if holding.is_empty() {
        return unknown_name("value", word, names);
    }
    format!(
        "unknown value \"{word}\"; the presets named for it are {} (backsim list describes every preset)",
        holding.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_and_its_key_are_in_the_schema() {
        let s = schema();
        for a in ALIASES {
            assert!(
                a.table.is_empty() || s.shape(a.table).is_some(),
                "{}",
                a.table
            );
            assert!(
                s.shape(&join(a.table, a.key)).is_some(),
                "{}.{}",
                a.table,
                a.key
            );
            for n in a.names {
                // An alias that were a key of its table would hide it.
                assert!(!s.keys_of(a.table).any(|k| k == *n), "{n}");
                assert_eq!(*n, n.to_lowercase());
            }
        }
    }

    #[test]
    fn keys_are_found_across_levels() {
        assert_eq!(
            unknown_key_hint("", "clients", Some("40")),
            "; did you mean \"workload.clients\"? clients is a key of [workload], not of the top level"
        );
        assert_eq!(
            unknown_key_hint("workload", "timeout", None),
            "; did you mean \"client.timeout\" or \"strategy.timeout\"? timeout is a key of [client] and [[strategy]], not of [workload]"
        );
        // A [[model]]'s server is named once, as [server].
        assert_eq!(
            unknown_key_hint("", "outages", None),
            "; did you mean \"server.outages\"? outages is a key of [server], not of the top level"
        );
        assert_eq!(
            unknown_key_hint("limiter", "concurrency", None),
            "; did you mean \"max_in_flight\"?"
        );
        // Layers hold strategy keys.
        assert_eq!(
            unknown_key_hint("strategy[0].layers[1]", "max_attemps", None),
            "; did you mean \"max_attempts\"?"
        );
        // A typo of this table's key comes before one of another's.
        assert_eq!(
            unknown_key_hint("workload", "clientz", None),
            "; did you mean \"clients\"?"
        );
        assert_eq!(
            unknown_key_hint("strategy", "budgt", None),
            "; did you mean \"budget\"?"
        );
        // Nothing near: nothing said.
        assert_eq!(unknown_key_hint("", "zzzzzzzzzzzz", None), "");
    }

    #[test]
    fn other_tools_names_translate_their_values() {
        assert_eq!(
            unknown_key_hint("strategy[0]", "max_retries", Some("2")),
            "; did you mean \"max_attempts\"? (max_attempts counts the first attempt too: max_attempts = max_retries + 1, so max_retries = 2 is max_attempts = 3)"
        );
        assert_eq!(
            unknown_key_hint("strategy[4]", "retries", Some("5")),
            "; did you mean \"max_attempts\"? (max_attempts counts the first attempt too: max_attempts = retries + 1, so retries = 5 is max_attempts = 6)"
        );
        // Not a whole number: the example.
        assert!(
            unknown_key_hint("strategy", "max_retries", Some("\"x\""))
                .ends_with("so max_retries = 2 is max_attempts = 3)")
        );
        assert_eq!(
            unknown_key_hint("strategy[0].backoff", "delay", None),
            "; did you mean \"base\"?"
        );
        assert_eq!(
            unknown_key_hint("strategy[0]", "max_delay", None),
            "; did you mean \"backoff.cap\"?"
        );
        assert_eq!(
            unknown_key_hint("limiter", "rps", Some("10")),
            "; did you mean \"requests_per_minute\"? (a rate per minute: rps = 10 is requests_per_minute = 600)"
        );
        assert_eq!(
            unknown_key_hint("limiter", "TPM", Some("30000")),
            "; did you mean \"tokens_per_minute\"?"
        );
        assert_eq!(
            unknown_key_hint("workload", "rps", Some("10")),
            "; did you mean \"rate_per_s\"?"
        );
        // An alias of another table's key: rpm at the top level.
        assert_eq!(
            unknown_key_hint("", "rpm", Some("60")),
            "; did you mean \"limiter.requests_per_minute\"? requests_per_minute is a key of [limiter], not of the top level"
        );
        assert_eq!(
            unknown_key_hint("", "max_retries", Some("4")),
            "; did you mean \"strategy.max_attempts\"? max_attempts is a key of [[strategy]], not of the top level (max_attempts counts the first attempt too: max_attempts = max_retries + 1, so max_retries = 4 is max_attempts = 5)"
        );
        assert_eq!(
            unknown_key_hint("strategy[0]", "jitter", Some("true")),
            "; did you mean \"backoff.kind\"? (jitter comes with the schedule's kind: \"full_jitter\", \"equal_jitter\", \"decorrelated_jitter\", \"decorrelated_jitter_v2\", \"proportional_jitter\", \"downward_jitter\", \"additive_jitter\")"
        );
    }

    #[test]
    fn unit_suffixes_point_at_duration_keys() {
        assert_eq!(
            unknown_key_hint("strategy[0]", "timeout_ms", Some("5000")),
            "; did you mean \"timeout\"? (durations are strings with a unit: timeout = \"5000ms\")"
        );
        assert_eq!(
            unknown_key_hint("client", "timeout_seconds", Some("30")),
            "; did you mean \"timeout\"? (durations are strings with a unit: timeout = \"30s\")"
        );
        // Through an alias: max_delay is backoff's cap.
        assert_eq!(
            unknown_key_hint("strategy[0].backoff", "max_delay_ms", Some("8_000")),
            "; did you mean \"cap\"? (durations are strings with a unit: cap = \"8000ms\")"
        );
        assert_eq!(
            unknown_key_hint("", "horizon_s", None),
            "; did you mean \"horizon\"? (durations are strings with a unit: horizon = \"250s\")"
        );
        // A stem that is no duration gets no unit advice.
        assert_eq!(
            unknown_key_hint("workload", "clients_s", None),
            "; did you mean \"clients\"?"
        );
    }

    #[test]
    fn presets_are_found_by_a_word_of_their_name() {
        let names = [
            "openai-python",
            "anthropic-sdk-python",
            "langchain-openai",
            "grpc-go",
        ];
        assert_eq!(
            preset_hint("OpenAI", &names),
            "unknown value \"OpenAI\"; the presets named for it are \"openai-python\", \"langchain-openai\" (backsim list describes every preset)"
        );
        assert_eq!(
            preset_hint("grpc-ga", &names),
            "unknown value \"grpc-ga\"; expected one of \"openai-python\", \"anthropic-sdk-python\", \"langchain-openai\", \"grpc-go\"; did you mean \"grpc-go\"?"
        );
        // Two letters are too few to be a word of a name.
        assert!(preset_hint("go", &names).starts_with("unknown value \"go\"; expected one of"));
    }
}
