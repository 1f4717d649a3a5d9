//! The schema of a scenario file, as one table of every key path
//! (`workload.clients`, `strategy.backoff.base`), read off the raw types
//! by [`probe`] so that it is the resolver's own list of keys; and the
//! hint for an unknown key, which searches the whole table, not only the
//! table the key was found in ([`hint`]).

mod hint;
mod probe;

pub use hint::{preset_hint, unknown_key_hint};
pub use probe::{Entry, Shape};

use super::raw::RawScenario;
use std::sync::OnceLock;

/// Every key path of a scenario file.
#[derive(Debug)]
pub struct Schema {
    entries: Vec<Entry>,
}

/// The schema of scenario files, read once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema {
        // The probe reads every type of `raw`; it cannot fail on them (a
        // test says so), and without a table the hints are only shorter.
        entries: probe::entries::<RawScenario>().unwrap_or_default(),
    })
}

impl Schema {
    /// Every key path, in the raw types' field order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The shape of the value at `path` (a canonical path, see
    /// [`Schema::canonical`]).
    pub fn shape(&self, path: &str) -> Option<&Shape> {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| &e.shape)
    }

    /// The path of the table whose keys `path`'s table holds: array
    /// indices dropped (`strategy[0].layers[1].backoff` →
    /// `strategy.layers.backoff`) and a table that holds the keys of
    /// another named by that other (`strategy.backoff`).
    pub fn canonical(&self, path: &str) -> String {
        let mut out = String::new();
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            let key = segment.split('[').next().unwrap_or(segment);
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
            if let Some(Shape::SameAs(other)) = self.shape(&out) {
                out = other.clone();
            }
        }
        out
    }

    /// The keys of the table at the canonical path `table` (`""`: the
    /// top level), in order.
    pub fn keys_of<'s>(&'s self, table: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.entries
            .iter()
            .filter_map(move |e| child(table, &e.path))
    }

    /// The tables (canonical paths) that have the key `key`, in order.
    pub fn tables_with(&self, key: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| {
                let (table, last) = e.path.rsplit_once('.').unwrap_or(("", &e.path));
                (last == key).then_some(table)
            })
            .collect()
    }

    /// How a message names the table at the canonical path `table`: `the
    /// top level`, `[workload]`, `[[strategy]]`, `strategy.backoff`.
    pub fn table_name(&self, table: &str) -> String {
        match (table, self.shape(table)) {
            ("", _) => "the top level".to_string(),
            (t, Some(Shape::Tables)) if !t.contains('.') => format!("[[{t}]]"),
            (t, _) if !t.contains('.') => format!("[{t}]"),
            (t, _) => t.to_string(),
        }
    }
}

/// The last segment of `path` if `path` is a key of the table `table`.
fn child<'p>(table: &str, path: &'p str) -> Option<&'p str> {
    let rest = if table.is_empty() {
        path
    } else {
        path.strip_prefix(table)?.strip_prefix('.')?
    };
    (!rest.contains('.')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_off_the_raw_types() {
        let s = schema();
        // The probe read every type: a failure would leave no entries.
        assert_eq!(
            probe::entries::<RawScenario>().map(|e| e.len()),
            Ok(s.entries().len())
        );
        let top: Vec<&str> = s.keys_of("").collect();
        assert_eq!(
            top,
            [
                "name",
                "description",
                "seed",
                "replications",
                "horizon",
                "workload",
                "limiter",
                "network",
                "server",
                "client",
                "pricing",
                "report",
                "strategy",
                "model",
                "sweep",
                "tune"
            ]
        );
        let backoff: Vec<&str> = s.keys_of("strategy.backoff").collect();
        assert_eq!(
            backoff,
            ["kind", "base", "cap", "multiplier", "jitter", "min"]
        );
        assert_eq!(s.shape("strategy"), Some(&Shape::Tables));
        assert_eq!(s.shape("model"), Some(&Shape::Tables));
        assert_eq!(s.shape("server.outages"), Some(&Shape::Tables));
        assert_eq!(s.shape("workload"), Some(&Shape::Table));
        assert_eq!(s.shape("horizon"), Some(&Shape::Duration));
        assert_eq!(s.shape("strategy.timeouts"), Some(&Shape::Duration));
        assert_eq!(s.shape("strategy.retry_on"), Some(&Shape::Value));
        assert_eq!(s.shape("workload.clients"), Some(&Shape::Value));
        assert_eq!(s.shape("server.errors.500"), Some(&Shape::Value));
        assert_eq!(
            s.shape("strategy.layers"),
            Some(&Shape::SameAs("strategy".into()))
        );
        // A [[model]] has its own servers, read by the same type.
        assert_eq!(
            s.keys_of("model.server").collect::<Vec<_>>(),
            s.keys_of("server").collect::<Vec<_>>()
        );
    }

    #[test]
    fn paths_are_made_canonical() {
        let s = schema();
        assert_eq!(
            s.canonical("strategy[3].layers[1].backoff"),
            "strategy.backoff"
        );
        assert_eq!(
            s.canonical("model[0].server.outages[2]"),
            "model.server.outages"
        );
        assert_eq!(s.canonical(""), "");
        assert_eq!(s.tables_with("clients"), ["workload"]);
        assert_eq!(s.tables_with("timeout"), ["client", "strategy"]);
        assert_eq!(s.table_name(""), "the top level");
        assert_eq!(s.table_name("workload"), "[workload]");
        assert_eq!(s.table_name("strategy"), "[[strategy]]");
        assert_eq!(s.table_name("strategy.backoff"), "strategy.backoff");
    }
}
