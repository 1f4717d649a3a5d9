//! Token prices: USD per million input and output tokens.
//!
//! The built-in table lists standard (non-batch, non-cached, short-context)
//! list prices as each provider publishes them on its pricing page. Prices
//! change: a scenario can always give its own with `input_per_mtok` and
//! `output_per_mtok`, alone or on top of a built-in `model`.

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
    fn names_are_unique() {
        for (i, a) in MODEL_PRICES.iter().enumerate() {
            assert!(MODEL_PRICES[i + 1..].iter().all(|b| b.model != a.model));
        }
    }
}
