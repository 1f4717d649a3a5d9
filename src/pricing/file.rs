//! A price table file (`--prices FILE`, `BACKSIM_PRICES`): the built-in
//! table's fields in TOML, so that a team keeps its negotiated or newer
//! prices in one place.
//!
//! ```toml
//! checked = "2026-12-01"          # when the prices were last compared
//! [[price]]
//! model = "gpt-4.1"               # the name [pricing] model uses
//! input_per_mtok = 2.0            # USD per million input tokens
//! output_per_mtok = 8.0           # USD per million output tokens
//! source = "OpenAI API pricing page (standard tier)"   # optional
//! ```
//!
//! Every problem is reported with the file, line, column and key, as a
//! scenario's are.

use super::{PriceTable, TablePrice};
use crate::diagnostic::{Problem, ScenarioError, in_report_order, show_number, toml_type};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use toml::Spanned;

/// Most bytes a price table file may have (a table of thousands of models
/// is a few hundred kilobytes).
pub const MAX_PRICE_FILE_BYTES: u64 = 1 << 20;

/// Most models a price table may list.
pub const MAX_PRICES: usize = 10_000;

/// Longest model name, in bytes (a name is written into every report).
const MAX_MODEL_NAME_BYTES: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    checked: Spanned<toml::Value>,
    #[serde(default)]
    price: Vec<Spanned<RawPrice>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    model: Spanned<String>,
    input_per_mtok: Spanned<f64>,
    output_per_mtok: Spanned<f64>,
    source: Option<String>,
}

/// Reads the price table at `path` (named in messages as the user gave
/// it): input errors (unreadable, too large, not UTF-8) and problems of
/// its content are exit 2.
pub fn load(path: &Path) -> Result<PriceTable, crate::Error> {
    use std::io::Read;
    let file = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PRICE_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| crate::Error::Input(format!("cannot read the price table {file}: {e}")))?;
    if bytes.len() as u64 > MAX_PRICE_FILE_BYTES {
        return Err(crate::Error::Input(format!(
            "{file}: more than {MAX_PRICE_FILE_BYTES} bytes (1 MiB), the most a price table may have"
        )));
    }
    let src = String::from_utf8(bytes).map_err(|e| {
        crate::Error::Input(format!(
            "{file}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(&src, &file).map_err(crate::Error::Scenario)
}

/// Parses the text of a price table file named `file`.
pub fn parse(src: &str, file: &str) -> Result<PriceTable, ScenarioError> {
    let fail = |problems: Vec<Problem>| ScenarioError {
        file: file.to_string(),
        problems: in_report_order(problems, src),
    };
    let doc = toml::de::DeTable::parse(src).map_err(|e| {
        fail(vec![Problem::unlocated(
            e.span(),
            "",
            e.message().trim().to_string(),
        )])
    })?;
    let raw: RawFile =
        serde_path_to_error::deserialize(toml::Deserializer::from(doc)).map_err(|e| {
            let key = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "");
            let key = if key == "." { String::new() } else { key };
            let inner = e.into_inner();
            let message = inner
                .message()
                .trim()
                .replace("unknown field `", "unknown key `")
                .replace("missing field `", "missing key `")
                .replace("expected f64", "expected a number")
                .replace("invalid type: map", "invalid type: table")
                .replace("expected struct RawPrice", "expected a table")
                .replace(
                    "expected a sequence",
                    "expected an array of [[price]] tables",
                );
            fail(vec![Problem::unlocated(inner.span(), &key, message)])
        })?;
    let mut problems = Vec::new();
    let checked = checked_date(&raw.checked, &mut problems);
    if raw.price.is_empty() {
        problems.push(Problem::unlocated(
            Some(0..0),
            "price",
            "no [[price]] tables: a price table lists at least one model (model, input_per_mtok, output_per_mtok)",
        ));
    }
    if raw.price.len() > MAX_PRICES {
        problems.push(Problem::unlocated(
            Some(raw.price[MAX_PRICES].span()),
            &format!("price[{MAX_PRICES}]"),
            format!("at most {MAX_PRICES} [[price]] tables are supported"),
        ));
    }
    let mut seen = HashSet::new();
    let mut prices = Vec::new();
    for (i, p) in raw.price.iter().take(MAX_PRICES).enumerate() {
        let p = p.get_ref();
        let key = |k: &str| format!("price[{i}].{k}");
        let name = p.model.get_ref();
        if name.trim().is_empty()
            || name.len() > MAX_MODEL_NAME_BYTES
            || name.contains(['\n', '\r', ',', '"'])
        {
            problems.push(Problem::unlocated(
                Some(p.model.span()),
                &key("model"),
                format!(
                    "must be a non-empty name of at most {MAX_MODEL_NAME_BYTES} bytes without commas, quotes or line breaks"
                ),
            ));
        } else if !seen.insert(name.as_str()) {
            problems.push(Problem::unlocated(
                Some(p.model.span()),
                &key("model"),
                format!("\"{name}\" is listed twice; each model has one price"),
            ));
        }
        for (k, v) in [
            ("input_per_mtok", &p.input_per_mtok),
            ("output_per_mtok", &p.output_per_mtok),
        ] {
            let x = *v.get_ref();
            if !(x.is_finite() && x >= 0.0) {
                problems.push(Problem::unlocated(
                    Some(v.span()),
                    &key(k),
                    format!(
                        "must be a finite number of USD per million tokens, at least 0, not {}",
                        show_number(x)
                    ),
                ));
            }
        }
        prices.push(TablePrice {
            model: name.clone(),
            input_per_mtok: *p.input_per_mtok.get_ref(),
            output_per_mtok: *p.output_per_mtok.get_ref(),
            source: p.source.clone().unwrap_or_default(),
        });
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    Ok(PriceTable {
        file: Some(file.to_string()),
        checked,
        prices,
    })
}

/// The `checked` date: a TOML date (`2026-12-01`) or a string of one
/// (`"2026-12-01"`).
fn checked_date(v: &Spanned<toml::Value>, problems: &mut Vec<Problem>) -> String {
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => {
            problems.push(Problem::unlocated(
                Some(v.span()),
                "checked",
                format!(
                    "must be the date the prices were last compared with the providers' pages, YYYY-MM-DD (\"2026-12-01\"), not {}",
                    toml_type(other)
                ),
            ));
            return String::new();
        }
    };
    if !is_date(&text) {
        problems.push(Problem::unlocated(
            Some(v.span()),
            "checked",
            format!(
                "must be the date the prices were last compared with the providers' pages, YYYY-MM-DD (\"2026-12-01\"), not \"{text}\""
            ),
        ));
    }
    text
}

/// Whether `s` is a calendar date written YYYY-MM-DD.
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{MODEL_PRICES, PRICES_CHECKED};

    fn problems(src: &str) -> Vec<String> {
        match parse(src, "p.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}:{}: {}: {}", p.line, p.column, p.key, p.message))
                .collect(),
        }
    }

    #[test]
    fn the_shipped_example_is_the_built_in_table() {
        // scenarios/prices/built-in.toml is the built-in table in the file's form:
        // the same models, prices, sources and date.
        let src = include_str!("../../scenarios/prices/built-in.toml");
        let t = parse(src, "scenarios/prices/built-in.toml").expect("the example parses");
        assert_eq!(t.checked, PRICES_CHECKED);
        assert_eq!(t.prices.len(), MODEL_PRICES.len());
        for (a, b) in t.prices.iter().zip(MODEL_PRICES.iter()) {
            assert_eq!(a.model, b.model);
            assert_eq!(a.input_per_mtok, b.input_per_mtok);
            assert_eq!(a.output_per_mtok, b.output_per_mtok);
            assert_eq!(a.source, b.source);
        }
    }

    #[test]
    fn a_table_reads_its_models_and_date() {
        let t = parse(
            "checked = 2026-12-01\n[[price]]\nmodel = \"acme\"\ninput_per_mtok = 1.5\noutput_per_mtok = 6\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(t.checked, "2026-12-01");
        assert_eq!(t.file.as_deref(), Some("p.toml"));
        assert_eq!(t.find("acme").map(|p| p.output_per_mtok), Some(6.0));
        assert_eq!(t.find("acme").map(|p| p.source.as_str()), Some(""));
        assert!(t.find("gpt-4.1").is_none());
    }

    #[test]
    fn every_problem_is_placed() {
        assert_eq!(
            problems(
                "checked = \"2026-13-01\"\n[[price]]\nmodel = \"a\"\ninput_per_mtok = -1\noutput_per_mtok = 1\n[[price]]\nmodel = \"a\"\ninput_per_mtok = 1\noutput_per_mtok = 1\n"
            ),
            [
                "1:11: checked: must be the date the prices were last compared with the providers' pages, YYYY-MM-DD (\"2026-12-01\"), not \"2026-13-01\"",
                "4:18: price[0].input_per_mtok: must be a finite number of USD per million tokens, at least 0, not -1",
                "7:9: price[1].model: \"a\" is listed twice; each model has one price",
            ]
        );
        let found = problems("checked = \"2026-12-01\"\n[[price]]\nmodel = \"a\"\ninput = 1\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("4:1: price[0].input: unknown key `input`"),
            "{found:?}"
        );
        let found = problems("[[price]]\nmodel = \"a\"\ninput_per_mtok = 1\noutput_per_mtok = 1\n");
        assert!(found[0].contains("missing key `checked`"), "{found:?}");
        let found = problems("checked = \"2026-12-01\"\n");
        assert!(found[0].contains("no [[price]] tables"), "{found:?}");
        let found = problems("checked = \"2026-12-01\"\n[[price]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("2:"), "{found:?}");
    }

    #[test]
    fn dates_are_calendar_dates() {
        for ok in ["2026-11-28", "2024-02-29", "2000-02-29"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-1-01",
            "2026-00-10",
            "26-01-01",
            "2026-04-31",
            "x",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
