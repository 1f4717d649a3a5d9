//! `requests.csv`: one row per request of every run, written only when
//! asked for (`--requests`), since it is the one report file that grows
//! with the number of requests.
//!
//! Rows come in the order of the runs given (strategy, then replication)
//! and, within a run, in the order the requests were created. Times are in
//! seconds from the start of the run, to the nanosecond.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::format::fmt_num;
use crate::metrics::run::RequestRecord;
use crate::scenario::Scenario;
use crate::time::as_secs_f64;

/// The file of `backsim run --requests`.
pub const REQUESTS_FILE: &str = "requests.csv";

/// The exporter of `requests.csv`: only for a run that kept its requests.
pub struct Requests;

impl Exporter for Requests {
    fn file_name(&self) -> &'static str {
        REQUESTS_FILE
    }

    fn written_for(&self, _: &Scenario, requests: bool) -> bool {
        requests
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        if result.requests.is_empty() {
            return None;
        }
        let runs: Vec<(&str, u32, &[RequestRecord])> = result
            .requests
            .iter()
            .map(|r| {
                (
                    scenario.strategies[r.strategy].name.as_str(),
                    r.replication,
                    r.records.as_slice(),
                )
            })
            .collect();
        Some(requests_csv(&scenario.name, &runs))
    }
}

/// The `requests.csv` header.
///
/// * `replication`: 0-based; `request`: 0-based index in creation order
///   within the run; `client`: 0-based client index.
/// * `start_s`: when the request was created; `end_s`: when it succeeded
///   or was given up; `duration_s`: `end_s − start_s` (for a success, its
///   time to success). Both are empty for an unfinished request.
/// * `outcome`: `succeeded`, `gave_up` or `unfinished` (still open at the
///   horizon).
/// * `attempts`: attempts sent; `model`: the model of the last attempt (for
///   a success, the one that answered) as an index: 0 for the main model,
///   `i` for the scenario's `i`-th `[[model]]`.
/// * `input_tokens`, `output_tokens`: the request's own (output already cut
///   to `max_tokens`); `input_tokens` is its first attempt's, which a
///   strategy's `input_growth` makes retries exceed.
/// * `billed_*` and `wasted_*`: tokens billed for all of the request's
///   attempts (abandoned ones the server finished included), and the part
///   of them nobody used.
pub const REQUESTS_COLUMNS: [&str; 17] = [
    "scenario",
    "strategy",
    "replication",
    "request",
    "client",
    "start_s",
    "end_s",
    "duration_s",
    "outcome",
    "attempts",
    "model",
    "input_tokens",
    "output_tokens",
    "billed_input_tokens",
    "billed_output_tokens",
    "wasted_input_tokens",
    "wasted_output_tokens",
];

/// Decimals for times: nanoseconds.
const DECIMALS: usize = 9;

/// `requests.csv` of scenario `scenario`: the header, then the records of
/// each run `(strategy, replication (0-based), records)` in the order
/// given.
pub fn requests_csv(scenario: &str, runs: &[(&str, u32, &[RequestRecord])]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(REQUESTS_COLUMNS)
        .expect("writing to memory cannot fail");
    let secs = |t: u64| fmt_num(as_secs_f64(t), DECIMALS);
    for &(strategy, replication, records) in runs {
        let replication = replication.to_string();
        for (i, r) in records.iter().enumerate() {
            let row = [
                scenario.to_string(),
                strategy.to_string(),
                replication.clone(),
                i.to_string(),
                r.client.to_string(),
                secs(r.start),
                r.end.map_or_else(String::new, secs),
                r.end
                    .map_or_else(String::new, |end| secs(end.saturating_sub(r.start))),
                r.outcome.as_str().to_string(),
                r.attempts.to_string(),
                r.model.to_string(),
                r.input_tokens.to_string(),
                r.output_tokens.to_string(),
                r.billed_input_tokens.to_string(),
                r.billed_output_tokens.to_string(),
                r.wasted_input_tokens.to_string(),
                r.wasted_output_tokens.to_string(),
            ];
            w.write_record(&row).expect("writing to memory cannot fail");
        }
    }
    w.into_inner().expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate_with;
    use crate::random::RunSeeds;

    /// Runs `body` (with a common header) keeping request records.
    fn records(body: &str) -> Vec<RequestRecord> {
        let src = format!("name = \"t\"\nseed = 1\n{body}");
        let s = crate::scenario::parse(&src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"));
        let m = simulate_with(&s, 0, RunSeeds::new(1, 0, 0, &s.strategies[0].name), true);
        m.request_records.expect("kept")
    }

    #[test]
    fn every_row_checks_by_hand() {
        // Three requests at t = 0 against a bucket of 1 refilling 1 per
        // second; 200 ms service; linear backoff 1 s, 2 s; two attempts.
        // Request 0 takes the token and succeeds at 0.2 s. Requests 1 and 2
        // get 429s and retry at 1 s, when one token is back: 1 takes it and
        // is still in service at the 1.1 s horizon (unfinished, nothing
        // billed yet), 2 gets a second 429 and gives up at 1 s.
        let recs = records(
            r#"
            horizon = "1100ms"
            [workload]
            clients = 3
            [limiter]
            requests_per_minute = 60
            request_burst = 1
            [server]
            latency = "200ms"
            [[strategy]]
            name = "linear"
            backoff = { kind = "linear", base = "1s" }
            max_attempts = 2
        "#,
        );
        let other = [RequestRecord::new(7, 5_000_000_000, 10, 20)];
        let csv = requests_csv("t", &[("linear", 0, &recs), ("x", 3, &other)]);
        let expected = "\
scenario,strategy,replication,request,client,start_s,end_s,duration_s,outcome,attempts,model,input_tokens,output_tokens,billed_input_tokens,billed_output_tokens,wasted_input_tokens,wasted_output_tokens
t,linear,0,0,0,0,0.2,0.2,succeeded,1,0,1000,500,1000,500,0,0
t,linear,0,1,1,0,,,unfinished,2,0,1000,500,0,0,0,0
t,linear,0,2,2,0,1,1,gave_up,2,0,1000,500,0,0,0,0
t,x,3,0,7,5,,,unfinished,0,0,10,20,0,0,0,0
";
        assert_eq!(String::from_utf8(csv).unwrap(), expected);
    }

    #[test]
    fn abandoned_attempts_are_billed_and_wasted_to_their_request() {
        // 2 s generations, 1 s timeout, retry after 1 s, two attempts: the
        // request gives up at 3 s; both attempts are served in full (at
        // 2 s and 4 s) and billed to it, all wasted.
        let recs = records(
            r#"
            horizon = "10m"
            [workload]
            clients = 1
            [server]
            latency = "2s"
            [client]
            timeout = "1s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 2
        "#,
        );
        let csv = String::from_utf8(requests_csv("t", &[("c", 0, &recs)])).unwrap();
        assert_eq!(
            csv.lines().nth(1),
            Some("t,c,0,0,0,0,3,3,gave_up,2,0,1000,500,2000,1000,2000,1000")
        );
        assert_eq!(
            REQUESTS_COLUMNS.len(),
            csv.lines().next().unwrap().split(',').count()
        );
    }
}
