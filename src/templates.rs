//! Starter scenarios for `backsim new`: the shipped scenarios that need no
//! other file (the trace replay needs its trace), built into the binary.
//! A starter is its template with a first line naming where it came from
//! and without the template's `name`, so that its report folder is named
//! after the new file.

/// A template: a shipped scenario, by its name.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub text: &'static str,
    /// Written instead of the template's opening comment, where that
    /// speaks of the shipped file rather than of the scenario.
    pub header: Option<&'static str>,
}

/// The template `backsim new` uses without `--template`.
pub const DEFAULT_TEMPLATE: &str = "thundering-herd";

macro_rules! template {
    ($name:literal, $path:literal) => {
        template!($name, $path, None)
    };
    ($name:literal, $path:literal, $header:expr) => {
        Template {
            name: $name,
            text: include_str!(concat!("../scenarios/", $path)),
            header: $header,
        }
    };
}

/// Every template, the default first, then the rest as `backsim list`
/// shows them.
pub const TEMPLATES: [Template; 20] = [
    template!(
        "thundering-herd",
        "thundering-herd.toml",
        Some(
            "# A cold start: 1,000 clients send one request each at t = 0 to an endpoint\n\
             # limited to 6,000 requests a minute with a burst of 50, and retry its\n\
             # 429s with two schedules. Every key set is commented, and the comments\n\
             # name the other tables and keys; put in your traffic, your provider's\n\
             # limits and the strategies you want to compare.\n"
        )
    ),
    template!("linear-vs-jitter", "linear-vs-jitter.toml"),
    template!("outage-recovery", "outage-recovery.toml"),
    template!("herd-sweep", "herd-sweep.toml"),
    template!("llm-client-sweep", "llm-client-sweep.toml"),
    template!("llm-tpm-storm", "llm-tpm-storm.toml"),
    template!("llm-batch", "llm-batch.toml"),
    template!("llm-provider-outage", "llm-provider-outage.toml"),
    template!("llm-fallback", "llm-fallback.toml"),
    template!("failure-spike", "failure-spike.toml"),
    template!("low-rate-guards", "low-rate-guards.toml"),
    template!("sdk-429-storm", "sdk-429-storm.toml"),
    template!("nested-retries", "nested-retries.toml"),
    template!("gateway-limits", "gateway-limits.toml"),
    template!("llm-hedging", "llm-hedging.toml"),
    template!("llm-client-side", "llm-client-side.toml"),
    template!("aws-2015-occ", "classics/aws-2015-occ.toml"),
    template!("retry-budgets-2022", "classics/retry-budgets-2022.toml"),
    template!("mmc", "classics/mmc.toml"),
    template!("metastability", "classics/metastability.toml"),
];

/// The template named `name`, or the message for an unknown one (with the
/// closest name).
pub fn find(name: &str) -> Result<&'static Template, String> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        crate::scenario::unknown_name("template", name, &names)
    })
}

impl Template {
    /// The template's `description`.
    pub fn description(&self) -> String {
        self.text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("description")?.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The text `backsim new` writes: a line naming the template, then the
    /// template with its top-level `name` line turned into a comment.
    pub fn starter(&self) -> String {
        let mut out = format!(
            "# Written by `backsim new --template {}`.\n# Check it with `backsim check FILE`; run it with `backsim run FILE`.\n#\n",
            self.name
        );
        let mut named = false;
        let mut in_table = false;
        let mut lines = self.text.lines().peekable();
        if let Some(header) = self.header {
            while lines.next_if(|l| l.starts_with('#')).is_some() {}
            out.push_str(header);
        }
        for line in lines {
            in_table |= line.trim_start().starts_with('[');
            if !named && !in_table && is_name_line(line) {
                named = true;
                out.push_str("# name: not set, so the report folder is named after this file\n");
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// `name = ...` (a top-level name when no table has begun).
fn is_name_line(line: &str) -> bool {
    line.strip_prefix("name")
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_but_the_trace_replay_is_a_template() {
        let mut shipped: Vec<String> = crate::scenario::shipped_paths()
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|n| n != "llm-trace-replay")
            .collect();
        shipped.sort();
        let mut names: Vec<String> = TEMPLATES.iter().map(|t| t.name.to_string()).collect();
        names.sort();
        assert_eq!(names, shipped);
        assert_eq!(TEMPLATES[0].name, DEFAULT_TEMPLATE);
    }

    #[test]
    fn a_starter_is_its_template_named_after_its_file() {
        for t in &TEMPLATES {
            let text = t.starter();
            let s = crate::scenario::parse(&text, "my-api.toml", "my-api")
                .unwrap_or_else(|e| panic!("{}: {e:?}", t.name));
            assert_eq!(s.name, "my-api", "{}", t.name);
            let template = crate::scenario::parse(t.text, "t.toml", "t").unwrap();
            assert_eq!(template.name, t.name, "the template is named as its file");
            // Nothing else changed: the same scenario under another name.
            let renamed = s
                .to_toml()
                .replace("name = \"my-api\"", &format!("name = \"{}\"", t.name));
            assert_eq!(renamed, template.to_toml(), "{}", t.name);
            assert!(!t.description().is_empty(), "{}", t.name);
        }
    }

    #[test]
    fn an_unknown_template_gets_the_closest_name() {
        assert_eq!(find("mmc").unwrap().name, "mmc");
        let msg = find("thundering_herd").unwrap_err();
        assert!(
            msg.starts_with(
                "unknown template \"thundering_herd\"; expected one of \"thundering-herd\", "
            ) && msg.ends_with("\"metastability\"; did you mean \"thundering-herd\"?"),
            "{msg}"
        );
    }

    /// The field names of the scenario-file table `T` reads, as serde
    /// declares them (`deserialize_struct`): the schema itself, so that a
    /// key added to it is seen here without a list to keep in step.
    fn fields<'de, T: serde::Deserialize<'de>>() -> Vec<&'static str> {
        use serde::de::{self, Visitor};
        struct Fields(Vec<&'static str>);
        #[derive(Debug)]
        struct Stop;
        impl std::fmt::Display for Stop {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("stop")
            }
        }
        impl std::error::Error for Stop {}
        impl de::Error for Stop {
            fn custom<M: std::fmt::Display>(_: M) -> Self {
                Stop
            }
        }
        impl<'de> de::Deserializer<'de> for &mut Fields {
            type Error = Stop;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
                Err(Stop)
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Stop> {
                self.0.extend(fields);
                Err(Stop)
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map enum identifier ignored_any
            }
        }
        let mut f = Fields(Vec::new());
        let _ = T::deserialize(&mut f);
        f.0
    }

    #[test]
    fn the_starter_mentions_every_table_and_key_group_of_the_schema() {
        use crate::scenario::raw::{RawScenario, RawServer, RawStrategy};
        let top = fields::<RawScenario>();
        // The schema is read, not empty: the tables every scenario has.
        for t in ["workload", "limiter", "strategy", "sweep", "tune"] {
            assert!(top.contains(&t), "{top:?}");
        }
        let starter = find(DEFAULT_TEMPLATE).unwrap().starter();
        let words: std::collections::HashSet<&str> = starter
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        // Every top-level key and table, every key of a [[strategy]]
        // (schedules, guards, presets, layers, hedging) and of [server]
        // (outages, capacity cuts, injected errors) is named somewhere in
        // the starter, set or in a comment.
        let groups = [
            ("top level", top),
            ("[[strategy]]", fields::<RawStrategy>()),
            ("[server]", fields::<RawServer>()),
        ];
        let missing: Vec<String> = groups
            .iter()
            .flat_map(|(group, keys)| {
                keys.iter()
                    .filter(|k| !words.contains(*k))
                    .map(move |k| format!("{group}: {k}"))
            })
            .collect();
        assert!(missing.is_empty(), "not in the starter: {missing:?}");
        // The comment of `retry_after` (its line and the comment lines
        // under it) names every value the limiter takes.
        let lines: Vec<&str> = starter.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("retry_after"))
            .expect("a retry_after line");
        let comment: String = std::iter::once(lines[at])
            .chain(
                lines[at + 1..]
                    .iter()
                    .copied()
                    .take_while(|l| l.trim_start().starts_with('#')),
            )
            .collect::<Vec<_>>()
            .join(" ");
        for value in crate::model::limiter::RetryAfterMode::NAMES {
            assert!(
                comment
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == value),
                "retry_after: {value} not in {comment}"
            );
        }
    }
}
