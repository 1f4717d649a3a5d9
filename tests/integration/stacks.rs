//! The presets that are stacks of retry layers (a framework's loop around
//! the SDK layer as the framework configures it) run against a server that
//! always fails: every call runs every loop out, so its attempts are the
//! product of the layers' `max_attempts`.

use crate::common::parse;
use backsim::engine::simulate;
use backsim::metrics::run::RunMetrics;
use backsim::policy::preset::{PRESETS, find};
use backsim::random::RunSeeds;

/// 10 requests (one per client, at t = 0) to a server that answers every
/// attempt with a 500 after 100 ms; `strategy` is the `[[strategy]]` body.
fn always_500(strategy: &str) -> RunMetrics {
    let s = parse(
        &format!(
            "name = \"stacks\"\nseed = 1\nreplications = 1\nhorizon = \"1h\"\n\
             [workload]\nkind = \"burst\"\nclients = 10\n\
             [server]\nlatency = \"100ms\"\nerror_rate = 1.0\n\
             [[strategy]]\n{strategy}\n"
        ),
        "stacks",
    );
    simulate(&s, 0, RunSeeds::new(s.seed, 0, 0, &s.strategies[0].name))
}

#[test]
fn each_stack_preset_sends_the_product_of_its_layers_attempts_per_call() {
    // Layers' max_attempts, outermost first, as the presets' sources give
    // them: LangChain's stop_after_attempt(3) around the SDKs' 1 + 2
    // retries; LiteLLM's Router's 1 + num_retries 2 around the SDK with
    // max_retries = 0; tenacity's 6 around openai-python's 3.
    let expected: [(&str, &[u64]); 4] = [
        ("tenacity-cookbook", &[6, 3]),
        ("langchain-openai", &[3, 3]),
        ("langchain-anthropic", &[3, 3]),
        ("litellm-router-openai", &[3, 1]),
    ];
    let stacks: Vec<&str> = PRESETS
        .iter()
        .filter(|p| p.is_stack())
        .map(|p| p.name)
        .collect();
    for (name, _) in expected {
        assert!(stacks.contains(&name), "{name} is a stack preset");
    }
    for name in stacks {
        let (_, layers) = expected
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}: give its layers' attempts here"));
        let per_layer: Vec<u64> = find(name)
            .unwrap()
            .strategy()
            .layers()
            .map(|l| u64::from(l.max_attempts))
            .collect();
        assert_eq!(per_layer, *layers, "{name}");
        let product: u64 = layers.iter().product();
        let m = always_500(&format!("preset = \"{name}\""));
        assert_eq!(m.counts.requests, 10, "{name}");
        assert_eq!(m.counts.attempts, 10 * product, "{name}");
        assert_eq!(m.counts.errors_5xx, 10 * product, "{name}");
        assert_eq!(m.counts.gave_up, 10, "{name}");
        // Each layer's attempts: 10 calls times the product of the layers
        // down to it.
        let cumulative: Vec<u64> = layers
            .iter()
            .scan(10, |acc, &a| {
                *acc *= a;
                Some(*acc)
            })
            .collect();
        assert_eq!(m.layer_attempts, cumulative, "{name}");
        assert_eq!(m.attempts_histogram.get(product as usize), Some(&10));
    }
}

#[test]
fn a_litellm_proxy_is_the_router_at_the_gateway_under_the_clients_sdk() {
    // As litellm-router's notes write it: the clients' openai-python (3
    // attempts) calls a shared proxy whose router makes 3: 9 per call.
    let m = always_500(
        "name = \"proxy\"\nlayers = [{ preset = \"openai-python\" }, \
         { preset = \"litellm-router\", at = \"gateway\" }]",
    );
    assert_eq!(m.counts.attempts, 90);
    assert_eq!(m.layer_attempts, [30, 90]);
}
