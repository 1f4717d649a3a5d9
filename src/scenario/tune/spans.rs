//! Where the values under `[tune]` are in the file (byte spans by dotted
//! path), how problems are reported while reading them, and how messages
//! show a value.

use crate::diagnostic::show_number;
use std::ops::Range;
use toml::Value;

/// A value under `[tune]`: its dotted path, its span and, for a list,
/// its elements' spans.
type SpanEntry = (String, Range<usize>, Vec<Range<usize>>);

/// Byte spans of the values under `[tune]`, by dotted path.
pub(super) struct Spans(Vec<SpanEntry>);

impl Spans {
    pub(super) fn of(src: &str) -> Spans {
        let mut out = Vec::new();
        if let Ok(doc) = toml::de::DeTable::parse(src) {
            for (k, v) in doc.get_ref().iter() {
                if k.get_ref() == "tune" {
                    walk(v, "tune".into(), &mut out);
                }
            }
        }
        Spans(out)
    }

    /// The span of `path` (`tune.goals.success_rate`), or of the nearest
    /// table above it.
    pub(super) fn at(&self, path: &str) -> Option<Range<usize>> {
        let mut p = path;
        loop {
            if let Some((_, span, _)) = self.0.iter().find(|(k, _, _)| k == p) {
                return Some(span.clone());
            }
            p = &p[..p.rfind('.')?];
        }
    }

    /// The span of element `i` of the list at `path`.
    pub(super) fn element(&self, path: &str, i: usize) -> Option<Range<usize>> {
        self.0
            .iter()
            .find(|(k, _, _)| k == path)
            .and_then(|(_, _, items)| items.get(i).cloned())
            .or_else(|| self.at(path))
    }
}

fn walk(v: &toml::Spanned<toml::de::DeValue<'_>>, path: String, out: &mut Vec<SpanEntry>) {
    match v.get_ref() {
        toml::de::DeValue::Table(t) => {
            out.push((path.clone(), v.span(), Vec::new()));
            for (k, item) in t.iter() {
                walk(item, format!("{path}.{}", k.get_ref()), out);
            }
        }
        toml::de::DeValue::Array(items) => {
            out.push((path, v.span(), items.iter().map(|i| i.span()).collect()));
        }
        _ => out.push((path, v.span(), Vec::new())),
    }
}

/// A value in a message: numbers as the file writes them.
pub(super) fn shown(v: &Value) -> String {
    match v {
        Value::Float(x) => show_number(*x),
        Value::String(s) => format!("\"{s}\""),
        v => v.to_string(),
    }
}

pub(super) type Report<'a> = dyn FnMut(&str, Option<Range<usize>>, String) + 'a;
