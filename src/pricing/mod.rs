//! Token prices: USD per million input and output tokens.
//!
//! The built-in table lists standard (non-batch, non-cached, short-context)
//! list prices as each provider publishes them on its pricing page. Prices
//! change: a scenario can always give its own with `input_per_mtok` and
//! `output_per_mtok`, alone or on top of a built-in `model`; and a price
//! table file ([`file`]) can stand in for the built-in table for a whole
//! process (`--prices FILE`, `BACKSIM_PRICES`), see [`in_force`].

pub mod file;

use std::sync::OnceLock;

/// One model's list price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Name used in scenario files (`[pricing] model = "..."`).
    pub model: &'static str,
    /// USD per million input (prompt) tokens.
    pub input_per_mtok: f64,
    /// USD per million output (completion) tokens.
    pub output_per_mtok: f64,
    /// Where the price comes from.
    pub source: &'static str,
}

/// The date the table was last compared with the providers' pages.
pub const PRICES_CHECKED: &str = "2026-11-28";

/// Built-in prices, cheapest output first within each provider.
pub const MODEL_PRICES: [ModelPrice; 6] = [
    ModelPrice {
        model: "gpt-4.1",
        input_per_mtok: 2.00,
        output_per_mtok: 8.00,
        source: "OpenAI API pricing page (standard tier)",
    },
    ModelPrice {
        model: "gpt-4.1-mini",
        input_per_mtok: 0.40,
        output_per_mtok: 1.60,
        source: "OpenAI API pricing page (standard tier)",
    },
    ModelPrice {
        model: "claude-sonnet-4.5",
        input_per_mtok: 3.00,
        output_per_mtok: 15.00,
        source: "Anthropic pricing page (prompts up to 200K tokens)",
    },
    ModelPrice {
        model: "claude-haiku-4.5",
        input_per_mtok: 1.00,
        output_per_mtok: 5.00,
        source: "Anthropic pricing page",
    },
    ModelPrice {
        model: "gemini-2.5-flash",
        input_per_mtok: 0.30,
        output_per_mtok: 2.50,
        source: "Google Gemini API pricing page (paid tier, text input)",
    },
    ModelPrice {
        model: "deepseek-v3.2",
        input_per_mtok: 0.28,
        output_per_mtok: 0.42,
        source: "DeepSeek API docs, Models & Pricing (deepseek-chat, cache miss)",
    },
];

/// Looks up a built-in model price by name.
pub fn model_price(name: &str) -> Option<&'static ModelPrice> {
    MODEL_PRICES.iter().find(|p| p.model == name)
}

/// One model's price in a table: the built-in one's, or a file's.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePrice {
    /// Name used in scenario files (`[pricing] model = "..."`).
    pub model: String,
    /// USD per million input tokens.
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
    /// Where the price comes from (may be empty in a file).
    pub source: String,
}

/// A table of model prices: `[pricing] model` names one of its models.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    /// The file it was read from, as the user named it; None for the
    /// built-in table.
    pub file: Option<String>,
    /// When the prices were last compared with the providers' pages
    /// (YYYY-MM-DD).
    pub checked: String,
    /// The models, in the table's order.
    pub prices: Vec<TablePrice>,
}

impl PriceTable {
    /// The table built into backsim ([`MODEL_PRICES`]).
    pub fn built_in() -> PriceTable {
        PriceTable {
            file: None,
            checked: PRICES_CHECKED.to_string(),
            prices: MODEL_PRICES
                .iter()
                .map(|p| TablePrice {
                    model: p.model.to_string(),
                    input_per_mtok: p.input_per_mtok,
                    output_per_mtok: p.output_per_mtok,
                    source: p.source.to_string(),
                })
                .collect(),
        }
    }

    /// The price of the model `name`, if the table lists it.
    pub fn find(&self, name: &str) -> Option<&TablePrice> {
        self.prices.iter().find(|p| p.model == name)
    }

    /// The names of its models, in order.
    pub fn names(&self) -> Vec<&str> {
        self.prices.iter().map(|p| p.model.as_str()).collect()
    }

    /// What it is, for messages and `backsim list`: `the built-in table,
    /// checked 2026-11-28` or `the table team.toml, checked 2026-12-01`.
    pub fn describe(&self) -> String {
        match &self.file {
            None => format!("the built-in table, checked {}", self.checked),
            Some(f) => format!(
                "the table {}, checked {}",
                crate::terminal::safe(f),
                self.checked
            ),
        }
    }
}

static IN_FORCE: OnceLock<PriceTable> = OnceLock::new();

/// Makes `table` the price table of this process, before any scenario is
/// read; false (and nothing changes) if one was already in force.
pub fn set_in_force(table: PriceTable) -> bool {
    IN_FORCE.set(table).is_ok()
}

/// The price table `[pricing] model` names its models from: the one set
/// by [`set_in_force`], else the built-in table.
pub fn in_force() -> &'static PriceTable {
    IN_FORCE.get_or_init(PriceTable::built_in)
}

/// The price a scenario bills at.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// The built-in model the prices start from, if any.
    pub model: Option<String>,
    /// USD per million input tokens.
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
}

impl Pricing {
    /// USD for the given token counts.
    pub fn usd(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_mtok + output_tokens as f64 * self.output_per_mtok)
            / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_of_a_known_request() {
        // gpt-4.1: 1,000 input and 500 output tokens cost
        // 1000 × $2/M + 500 × $8/M = $0.002 + $0.004 = $0.006.
        let p = model_price("gpt-4.1").unwrap();
        let pricing = Pricing {
            model: Some(p.model.into()),
            input_per_mtok: p.input_per_mtok,
            output_per_mtok: p.output_per_mtok,
        };
        assert!((pricing.usd(1000, 500) - 0.006).abs() < 1e-15);
    }

    #[test]
    fn the_built_in_table_is_in_force_unless_another_is_set() {
        let t = PriceTable::built_in();
        assert_eq!(t.file, None);
        assert_eq!(t.names().len(), MODEL_PRICES.len());
        assert_eq!(
            t.find("deepseek-v3.2").map(|p| p.input_per_mtok),
            Some(0.28)
        );
        assert_eq!(
            t.describe(),
            format!("the built-in table, checked {PRICES_CHECKED}")
        );
        // Unit tests never set another table.
        assert_eq!(in_force(), &t);
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in MODEL_PRICES.iter().enumerate() {
            assert!(MODEL_PRICES[i + 1..].iter().all(|b| b.model != a.model));
        }
    }
}
