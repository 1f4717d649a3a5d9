//! Unknown keys and names get hints from the whole schema (the snapshots
//! of `tests/malformed/schema-*.toml` show each rule); and a duration may
//! have a space between its number and its unit.

use crate::common::{parse, parse_err};

#[test]
fn a_duration_may_have_a_space_before_its_unit() {
    let with = "horizon = \"60 s\"\n[[strategy]]\nname = \"a\"\nbackoff = { kind = \"constant\", base = \"1.5 s\" }\n";
    let without = with.replace("60 s", "60s").replace("1.5 s", "1.5s");
    let (a, b) = (parse(with, "space"), parse(&without, "space"));
    assert_eq!(a, b);
    // 60 s = 60 × 10⁹ ns, written back as the shortest exact form.
    assert_eq!(a.horizon, 60_000_000_000);
    assert!(a.to_toml().contains("horizon = \"1m\"\n"));
    // Not inside the number.
    let e = parse_err(&with.replace("60 s", "6 0s"));
    assert!(
        e.contains("horizon: unknown unit \"0s\" in \"6 0s\""),
        "{e}"
    );
}

#[test]
fn layers_and_models_are_searched_as_their_tables() {
    // A layer is a strategy table; a [[model]]'s server a [server].
    let e = parse_err(
        "[[strategy]]\nname = \"s\"\nlayers = [{ preset = \"openai-python\", retries = 1 }]\n\
         [[model]]\nname = \"b\"\nserver = { concurency = 2 }\n",
    );
    assert!(
        e.contains("strategy[0].layers[0].retries: unknown key `retries`")
            && e.contains("did you mean \"max_attempts\"? (max_attempts counts the first attempt too: max_attempts = retries + 1, so retries = 1 is max_attempts = 2)"),
        "{e}"
    );
    assert!(
        e.contains("model[0].server.concurency: unknown key `concurency`")
            && e.contains("did you mean \"concurrency\"?"),
        "{e}"
    );
}
