//! Resource guards (README: Resource guards): a scenario that certainly
//! cannot fit in memory or in the event budget is refused before it runs
//! (exit 2), one that outgrows the memory limit, spends its event budget or
//! livelocks is stopped (exit 1), and in every case nothing of it is
//! written. The messages name what stopped and are the same whatever the
//! number of threads.

use crate::common::{Csv, THUNDERING_HERD, backsim, backsim_capped, crate_dir};
use std::path::{Path, PathBuf};

/// Writes `text` as `name` in `dir`; its path.
fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// The shipped herd with `clients` clients.
fn herd(dir: &Path, clients: u64) -> PathBuf {
    let text = std::fs::read_to_string(crate_dir().join(THUNDERING_HERD)).expect("scenario");
    let scaled = text.replace("clients = 1000 ", &format!("clients = {clients} "));
    assert_ne!(scaled, text, "the scenario names its clients");
    scenario(dir, &format!("herd-{clients}.toml"), &scaled)
}

/// Runs backsim with `args`; (exit code, stderr).
fn run(args: &[&str], file: &Path, out: &Path) -> (Option<i32>, String) {
    let output = backsim()
        .args(args)
        .arg(file)
        .arg("--out")
        .arg(out)
        .output()
        .expect("backsim runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Nothing was written: the output folder does not exist, or is empty.
fn nothing_written(out: &Path) {
    if out.exists() {
        let entries: Vec<_> = std::fs::read_dir(out)
            .expect("out")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(entries.is_empty(), "written: {entries:?}");
    }
}

/// Runs `command` on `file` with `flags` on 1 and on 2 threads; asserts
/// exit 1 with the same message both times and nothing written; the
/// message.
fn stopped_alike_on_1_and_2_threads(
    command: &str,
    flags: &[&str],
    file: &Path,
    out: &Path,
) -> String {
    let mut messages = Vec::new();
    for threads in ["1", "2"] {
        let args = [&[command, "--threads", threads][..], flags].concat();
        let (code, stderr) = run(&args, file, out);
        assert_eq!(code, Some(1), "{stderr}");
        messages.push(stderr);
    }
    assert_eq!(
        messages[0], messages[1],
        "the message depends on the threads"
    );
    nothing_written(out);
    messages.swap_remove(0)
}

#[test]
fn a_scenario_that_cannot_fit_is_refused_before_it_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = herd(tmp.path(), 100_000_000);
    let out = tmp.path().join("out");
    let (code, stderr) = run(
        &["run", "--max-memory", "1G", "--threads", "2"],
        &file,
        &out,
    );
    assert_eq!(code, Some(2), "{stderr}");
    // Each client's 64-byte slot and its two 20-byte lane entries (the
    // attempt and its timer), 10^8 clients on each of 2 threads; the
    // limit advised is 1.25 times that and backsim's own few megabytes,
    // rounded up.
    let expected = format!(
        "error: {}: needs at least 20.8 GB of memory (request slots and queued first attempts of 100,000,000 clients on 2 threads: 20.8 GB) but the limit is 1.0 GB (--max-memory 1G); lower workload.clients or --threads, or raise the limit with --max-memory (at least 27G)\n",
        file.display()
    );
    assert_eq!(stderr, expected);
    nothing_written(&out);
}

#[test]
fn a_scenario_that_fits_runs_with_a_larger_limit_or_none() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // 10^6 clients at once, each answered 429 at once: at least 104 MB.
    let file = scenario(
        tmp.path(),
        "burst.toml",
        r#"
        name = "burst"
        seed = 1
        replications = 1
        horizon = "1m"
        [workload]
        clients = 1000000
        [limiter]
        requests_per_minute = 1
        request_burst = 1
        [[strategy]]
        name = "once"
        backoff = { kind = "none" }
        max_attempts = 1
        "#,
    );
    let out = tmp.path().join("out");
    let quick = ["run", "--quiet", "--no-charts", "--threads", "1"];
    let (code, stderr) = run(
        &[&quick[..], &["--max-memory", "50M"]].concat(),
        &file,
        &out,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("needs at least 1")
            && stderr.contains(
                "request slots and queued first attempts of 1,000,000 clients on 1 thread: 104.0 MB"
            )
            && stderr.contains("but the limit is 50.0 MB (--max-memory 50M)"),
        "{stderr}"
    );
    nothing_written(&out);
    for limit in ["4G", "off"] {
        let (code, stderr) = run(
            &[&quick[..], &["--max-memory", limit]].concat(),
            &file,
            &out,
        );
        assert_eq!(code, Some(0), "--max-memory {limit}: {stderr}");
        assert!(out.join("burst").join("summary.csv").is_file());
    }
}

/// A scenario of `clients` clients whose starts are spread over 10 s and
/// whose requests each take a minute of service: memory grows with the
/// requests open, as the run goes.
fn growing(dir: &Path, clients: u32, replications: u32) -> PathBuf {
    scenario(
        dir,
        "grow.toml",
        &format!(
            "name = \"grow\"\nseed = 1\nreplications = {replications}\nhorizon = \"10m\"\n\
             [workload]\nclients = {clients}\nspread = \"10s\"\n[server]\nlatency = \"60s\"\n\
             [[strategy]]\nname = \"s\"\nbackoff = {{ kind = \"constant\", base = \"1s\" }}\n"
        ),
    )
}

#[test]
fn the_watchdog_stops_a_run_that_outgrows_the_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Every client's request is still open when the last starts (over
    // 100 MB), but nothing of that is certain before running (the
    // estimate is the 20 MB sort of the starts), so the run begins and
    // is stopped.
    let file = growing(tmp.path(), 1_000_000, 2);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("out");
    let (code, stderr) = run(&["run", "--max-memory", "60M"], &file, &out);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: {}: stopped: backsim's memory reached ",
            file.display()
        )) && stderr.contains(
            " MB of the 60.0 MB limit (--max-memory 60M); nothing of the scenario was written."
        ) && stderr.contains("raise the limit with --max-memory"),
        "{stderr}"
    );
    nothing_written(&out);
}

/// Clients that retry at once against a server that fails them at once:
/// the clock never moves again once the first client that starts after
/// the 2 s outage has begun has sent its first attempt.
const SPIN: &str = r#"
    name = "spin"
    seed = 3
    replications = 2
    horizon = "1m"
    [workload]
    clients = 20
    spread = "4s"
    [server]
    latency = "0s"
    outages = [{ start = "2s", duration = "30s" }]
    [[strategy]]
    name = "patient"
    backoff = { kind = "constant", base = "1s" }
    max_attempts = 3
    [[strategy]]
    name = "hammer"
    backoff = { kind = "none" }
    max_attempts = 1000000
"#;

#[test]
fn a_livelock_is_stopped_with_the_same_message_on_any_thread_count() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = scenario(tmp.path(), "spin.toml", SPIN);
    let out = tmp.path().join("out");
    let m =
        &stopped_alike_on_1_and_2_threads("run", &["--max-stall-events", "1000000"], &file, &out);
    let head = format!(
        "error: {}: strategy \"hammer\", replication 0: the simulated clock stood still at t = 2.",
        file.display()
    );
    assert!(m.starts_with(&head), "{m}");
    assert!(
        m.contains(" events: the strategy retries with no delay against answers that take no time; nothing of the scenario was written. Give it a backoff delay")
            && m.contains("raise the limit with --max-stall-events N"),
        "{m}"
    );
}

#[test]
fn a_livelock_is_caught_with_the_default_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // 100 clients at t = 0, each failed at once a million times in a row:
    // 3·10^8 events at one instant, stopped after 10^8 (seconds).
    let file = scenario(
        tmp.path(),
        "spin.toml",
        r#"
        name = "spin"
        seed = 1
        horizon = "1m"
        [workload]
        clients = 100
        [server]
        latency = "0s"
        error_rate = 1.0
        [[strategy]]
        name = "hammer"
        backoff = { kind = "none" }
        max_attempts = 1000000
        "#,
    );
    let out = tmp.path().join("out");
    let (code, stderr) = run(
        &["run", "--threads", "1", "--replications", "1"],
        &file,
        &out,
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("strategy \"hammer\", replication 0: the simulated clock stood still at t = 0s for 100,007,936 events"),
        "{stderr}"
    );
    nothing_written(&out);
}

#[test]
fn a_stall_without_retries_is_not_a_livelock() {
    // One worker runs 200,000 prompts one after another with no think
    // time against a server that answers at once: 600,000 events at
    // t = 0, far past the smallest stall limit (64 events), yet a finite
    // amount of work, not a livelock; every prompt succeeds at once.
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = scenario(
        tmp.path(),
        "busy.toml",
        r#"
        name = "busy"
        seed = 1
        replications = 1
        horizon = "1m"
        [workload]
        kind = "closed"
        clients = 1
        requests_per_client = 200000
        think_time = "0s"
        [server]
        latency = "0s"
        [[strategy]]
        name = "plain"
        backoff = { kind = "none" }
        max_attempts = 3
        "#,
    );
    let out = tmp.path().join("out");
    let (code, stderr) = run(&["run", "--max-stall-events", "1"], &file, &out);
    assert_eq!(code, Some(0), "{stderr}");
    let summary = Csv::read(&out.join("busy").join("summary.csv"));
    let row = summary.row_where("strategy", "plain");
    assert_eq!(summary.cell(row, "requests"), "200000");
    assert_eq!(summary.cell(row, "success_rate"), "1");
    assert_eq!(summary.cell(row, "attempts_per_request"), "1");
}

#[test]
fn the_event_budget_stops_a_run_and_names_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = herd(tmp.path(), 100_000);
    let out = tmp.path().join("out");
    let m = stopped_alike_on_1_and_2_threads("run", &["--max-events", "300000"], &file, &out);
    assert_eq!(
        m,
        format!(
            "error: {}: strategy \"linear\", replication 0: stopped after 327,680 events at t = 1s of simulated time: it spent its event budget (--max-events 300000, rounded up to 327,680, a multiple of 65,536); nothing of the scenario was written. Raise --max-events, or set it to off\n",
            file.display()
        )
    );
}

#[test]
fn the_event_budget_names_the_sweep_point() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let file = crate_dir().join("scenarios/herd-sweep.toml");
    let m = stopped_alike_on_1_and_2_threads("sweep", &["--max-events", "300000"], &file, &out);
    // The first point whose runs need more than 327,680 events (points
    // run in parallel, and later ones stop sooner).
    assert!(
        m.contains(": sweep point 7 (workload.clients = 31623), strategy \"linear\", replication 0: stopped after 327,680 events"),
        "{m}"
    );
}

#[test]
fn runs_that_certainly_need_more_events_are_refused_before_running() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = herd(tmp.path(), 100_000);
    let out = tmp.path().join("out");
    let (code, stderr) = run(&["run", "--max-events", "100000"], &file, &out);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: {}: a run of strategy \"linear\" needs at least 200,000 events (100,000 requests, each at least its start and its first attempt reaching the limiter) but --max-events allows 131,072 per run; raise --max-events or set it to off\n",
            file.display()
        )
    );
    nothing_written(&out);
    // Without a budget the same scenario runs.
    let (code, stderr) = run(
        &["run", "--max-events", "off", "--quiet", "--no-charts"],
        &file,
        &out,
    );
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn bad_limits_are_refused_with_a_clear_message() {
    for (flag, value, says) in [
        ("--max-memory", "12x", "\"12x\" is not a size"),
        ("--max-memory", "1.5.0G", "is not a size"),
        ("--max-events", "0", "\"0\" is not a number of events"),
        ("--max-events", "lots", "is not a number of events"),
    ] {
        let output = backsim()
            .args(["run", THUNDERING_HERD, flag, value])
            .output()
            .expect("backsim runs");
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("error: invalid value") && stderr.contains(says),
            "{flag} {value}: {stderr}"
        );
    }
}

/// Runs `backsim check` on `text` (as `name` in `dir`) under a 2 GiB
/// address-space limit; (exit code, stderr, wall seconds).
fn check_timed(dir: &Path, name: &str, text: &str) -> (Option<i32>, String, f64) {
    let file = scenario(dir, name, text);
    let started = std::time::Instant::now();
    let output = backsim_capped(2048)
        .arg("check")
        .arg(&file)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("backsim runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed().as_secs_f64(),
    )
}

#[test]
fn validation_takes_time_linear_in_the_tables() {
    // Just under 1 MB each. 10,000 strategies, each with a value wrong on
    // its own and a key that has no effect without another (a problem and
    // a conflict apiece): each name was compared with every earlier one,
    // each problem's line counted from the start of the file, and each
    // conflict checked against every wrong value (7.4 s on the machine of
    // README's figures; 0.16 s now).
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[strategy]]\nname = \"s{i}\"\nbackoff = {{ kind = \"none\" }}\nmax_attempts = 0\nmax_retry_after = \"1s\"\n"
        ));
    }
    let (code, stderr, secs) = check_timed(tmp.path(), "problems.toml", &text);
    assert_eq!(code, Some(2), "{stderr}");
    // Every problem is found, and the first 100 in file order reported.
    assert_eq!(stderr.matches("\nerror: ").count() + 1, 100);
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains(
                ":4:16: strategy[0].max_attempts: must be a whole number from 1 to 1000000, not 0"
            )
            && stderr.contains(":84:16: strategy[16].max_attempts:")
            && !stderr.contains("strategy[100]"),
        "{}",
        &stderr[..2000]
    );
    assert!(secs < 2.0, "10,000 strategies took {secs:.2} s to check");
    // 255 models and 10,000 strategies falling back to a model with a
    // typo: each strategy's message listed every model and measured the
    // typo against each name (5.2 s; 0.2 s now). Only messages that can be
    // reported, the first 100, need that.
    let mut text = String::new();
    for i in 0..255 {
        text.push_str(&format!("[[model]]\nname = \"deployment-{i:03}\"\n"));
    }
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[strategy]]\nname = \"s{i}\"\nbackoff = {{ kind = \"none\" }}\nfallback = {{ model = \"deploymnet-{:03}\" }}\n",
            i % 255
        ));
    }
    let (code, stderr, secs) = check_timed(tmp.path(), "fallbacks.toml", &text);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.matches("\nerror: ").count() + 1, 100);
    let first = stderr.lines().next().expect("a message");
    assert!(
        first.contains(": strategy[0].fallback.model: unknown model \"deploymnet-000\"; expected one of the [[model]] names \"deployment-000\", ")
            && first.ends_with(", \"deployment-254\"; did you mean \"deployment-000\"?"),
        "{first}"
    );
    assert!(secs < 2.0, "10,000 fallbacks took {secs:.2} s to check");
}

/// The peak resident memory `--stats` reports on stderr, in bytes.
fn peak_memory(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak memory: "))
        .unwrap_or_else(|| panic!("no peak memory in:\n{stderr}"));
    let mb: f64 = line
        .strip_suffix(" MB")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a size: {line}"));
    (mb * 1e6) as u64
}

#[test]
fn memory_stays_linear_in_the_strategies() {
    // 2,000 strategies of one replication and 10 clients: each run's
    // summary is under a kilobyte, yet splitting the runs by strategy
    // left each strategy's list with the capacity of all that came after
    // it, 1.0 GB at the peak, unseen by the estimate and after the last
    // memory check (exit 0 over --max-memory 100M). Now about 15 MB.
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("replications = 1\nhorizon = \"10s\"\n[workload]\nclients = 10\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "[[strategy]]\nname = \"s{i}\"\nbackoff = {{ kind = \"none\" }}\n"
        ));
    }
    let file = scenario(tmp.path(), "many.toml", &text);
    let output = backsim_capped(2048)
        .args(["run", "--quiet", "--no-charts", "--stats", "--threads", "1"])
        .args(["--max-memory", "100M", "--out"])
        .arg(tmp.path().join("out"))
        .arg(&file)
        .output()
        .expect("backsim runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let peak = peak_memory(&stderr);
    assert!(
        peak < 100_000_000,
        "peak {peak} bytes over --max-memory 100M"
    );
}

/// Runs `backsim ARGS FILE` under a 2 GiB address-space limit and a
/// minute's timeout; (exit code, stderr).
fn capped(args: &[&str], file: &Path) -> (Option<i32>, String) {
    let output = backsim_capped(2048)
        .args(args)
        .arg(file)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("backsim runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A scenario replaying the trace `file` (as written in the scenario).
fn replay(dir: &Path, name: &str, file: &str) -> PathBuf {
    scenario(
        dir,
        name,
        &format!(
            "name = \"replay\"\nseed = 1\nreplications = 1\nhorizon = \"1m\"\n[workload]\nkind = \"trace\"\nfile = \"{file}\"\n[[strategy]]\nname = \"once\"\nbackoff = {{ kind = \"none\" }}\n"
        ),
    )
}

#[test]
fn endless_input_is_refused_before_memory_grows() {
    // /dev/zero says it is empty and never ends: once read whole (until
    // the allocation failed), it is refused after 1 MiB as a scenario, at
    // its first bytes (NUL) as a trace.
    let tmp = tempfile::tempdir().expect("temp dir");
    let (code, stderr) = capped(&["check"], Path::new("/dev/zero"));
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: /dev/zero: more than 1048576 bytes (1 MiB), the most a scenario file may have; is it a scenario? (a trace goes in a file of its own, named by workload.file)\n"
    );
    let file = replay(tmp.path(), "zero.toml", "/dev/zero");
    let (code, stderr) = capped(&["check"], &file);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(": workload.file: /dev/zero:1: the header row holds NUL bytes, so this is not a CSV text file;"),
        "{stderr}"
    );
    // A FIFO fed rows without end, for a trace: refused once its rows
    // need more memory than --max-memory leaves; for a scenario, after
    // 1 MiB.
    let fifo = tmp.path().join("feed.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let feed = |fifo: PathBuf| {
        std::thread::spawn(move || {
            use std::io::Write;
            let mut w = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("open the FIFO");
            let _ = w.write_all(b"t_s,input_tokens,output_tokens\n");
            // Until backsim closes its end.
            while w.write_all(&b"0,1,2\n".repeat(10_000)).is_ok() {}
        })
    };
    let feeder = feed(fifo.clone());
    let file = replay(tmp.path(), "fifo.toml", "feed.csv");
    let out = tmp.path().join("out");
    let (code, stderr) = capped(
        &[
            "run",
            "--max-memory",
            "100M",
            "--out",
            &out.display().to_string(),
        ],
        &file,
    );
    feeder.join().expect("feeder");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(" rows up to here need ")
            && stderr.contains(" of memory to read on, more than the ")
            && stderr.contains(" left under --max-memory 100M; replay fewer rows"),
        "{stderr}"
    );
    nothing_written(&out);
    let feeder = feed(fifo.clone());
    let (code, stderr) = capped(&["check"], &fifo);
    feeder.join().expect("feeder");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("more than 1048576 bytes (1 MiB)"),
        "{stderr}"
    );
}

#[test]
fn large_input_is_refused_within_max_memory() {
    // A scenario may have 1 MiB, and reading one takes up to 256 bytes of
    // memory per byte of it (a list of small inline tables): with
    // --max-memory 200M, less than 781,250 bytes (less what backsim holds
    // already). A 4 MB file of numbers under an unknown key took 400 MB
    // to refuse, whatever the limit; it is refused unread.
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let junk = |n: usize, name: &str| {
        let numbers = vec!["1"; n].join(",");
        scenario(
            tmp.path(),
            name,
            &format!(
                "junk = [{numbers}]\n[[strategy]]\nname = \"a\"\nbackoff = {{ kind = \"none\" }}\n"
            ),
        )
    };
    let run = [
        "run",
        "--max-memory",
        "200M",
        "--out",
        &out.display().to_string(),
    ];
    let within = " bytes, the most a scenario file may have within --max-memory 200M: reading one takes up to 256 bytes of memory per byte, and ";
    let big = junk(2_000_000, "big.toml");
    let (code, stderr) = capped(&["check"], &big);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: {}: more than 1048576 bytes (1 MiB), the most a scenario file may have; is it a scenario? (a trace goes in a file of its own, named by workload.file)\n",
            big.display()
        )
    );
    let (code, stderr) = capped(&run, &big);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(within)
            && stderr.ends_with(" is left; raise the limit with --max-memory\n"),
        "{stderr}"
    );
    // 900 KB are read by `check` (and refused for the unknown key), but
    // not within 200M.
    let mid = junk(450_000, "mid.toml");
    let (code, stderr) = capped(&["check"], &mid);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(": junk: unknown key `junk`"), "{stderr}");
    let (code, stderr) = capped(&run, &mid);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(within), "{stderr}");
    nothing_written(&out);
    // A trace whose notes column holds one value of 60 MB: the file was
    // read whole, and the value again into a record (125 MB at the peak,
    // over --max-memory 50M with exit 0). Other columns are skipped
    // unread; the run stays far under the limit.
    let note = "x".repeat(60_000_000);
    std::fs::write(
        tmp.path().join("notes.csv"),
        format!("t_s,input_tokens,output_tokens,note\n0,100,20,{note}\n1,100,20,\n"),
    )
    .expect("write trace");
    drop(note);
    let file = replay(tmp.path(), "notes.toml", "notes.csv");
    let (code, stderr) = capped(
        &[
            "run",
            "--max-memory",
            "50M",
            "--stats",
            "--quiet",
            "--no-charts",
            "--out",
            &out.display().to_string(),
        ],
        &file,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let peak = peak_memory(&stderr);
    assert!(peak < 50_000_000, "peak {peak} bytes over --max-memory 50M");
}

#[test]
fn max_memory_is_a_promise_with_guards_on_every_client() {
    // 200,000 clients of an open loop, and a strategy with a breaker, an
    // sre throttle and a percent budget on each: 176 + 176 + 104 bytes,
    // 91.2 MB a run, allocated before its first event; beside it a plain
    // strategy that holds nothing per client. Two threads, four
    // replications of each. Whatever the limit, the peak resident memory
    // of the process stays under it, or nothing runs; never an abort.
    //
    // The estimate used to count only the two cheapest runs (0 bytes), and
    // the watchdog read memory only between runs and every 2^20 events
    // (a run here has about 18,000): 60M was stopped at 166 MB, 150M ran
    // to the end at 217 MB (exit 0).
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = scenario(
        tmp.path(),
        "guarded.toml",
        r#"
        name = "guarded"
        seed = 1
        replications = 4
        horizon = "2m"
        [workload]
        kind = "poisson"
        clients = 200000
        rate_per_s = 100.0
        duration = "1m"
        [[strategy]]
        name = "plain"
        backoff = { kind = "none" }
        max_attempts = 1
        [[strategy]]
        name = "guarded"
        backoff = { kind = "full_jitter", base = "1s" }
        budget = { kind = "percent" }
        breaker = { scope = "all" }
        throttle = { kind = "sre" }
        "#,
    );
    let out = tmp.path().join("out");
    let out_arg = out.display().to_string();
    for (limit, bytes) in [("60M", 60e6), ("150M", 150e6), ("400M", 400e6)] {
        let args = [
            "run",
            "--quiet",
            "--stats",
            "--no-charts",
            "--threads",
            "2",
            "--max-memory",
            limit,
            "--out",
            &out_arg,
        ];
        let (code, stderr) = capped(&args, &file);
        // `--stats` prints the peak resident memory (VmHWM) once runs have
        // begun, whether they finished or stopped. (The kernel's account
        // of a child, wait4's ru_maxrss, would count the test process it
        // was forked from.)
        if code != Some(2) {
            let peak = peak_memory(&stderr);
            assert!(
                (peak as f64) < bytes,
                "--max-memory {limit}: peak {peak} bytes (exit {code:?}): {stderr}"
            );
        }
        match limit {
            // One guarded run alone needs more than 60M: refused before
            // any work.
            "60M" => {
                assert_eq!(code, Some(2), "{stderr}");
                assert!(
                    stderr.contains("per-client state of 200,000 clients in one run of strategy \"guarded\": 91.2 MB"),
                    "{stderr}"
                );
                nothing_written(&out);
            }
            // One fits, two at once do not: whether two ever run at once
            // depends on the threads; if they would, the second's state
            // is refused before it is allocated, and the runs stop.
            "150M" => match code {
                Some(0) => {}
                Some(1) => {
                    assert!(
                        stderr.contains(": stopped: a run needed 91.2 MB for the state of its 200,000 clients, which would have taken backsim's memory to "),
                        "{stderr}"
                    );
                    nothing_written(&out);
                }
                other => panic!("exit {other:?}: {stderr}"),
            },
            _ => assert_eq!(code, Some(0), "{stderr}"),
        }
    }
    // With no limit, 20,000,000 clients' breakers (3.5 GB) do not fit in
    // the 2 GiB of address space the test gives: the allocation that
    // failed used to abort the process (signal 6); the run stops.
    let big = scenario(
        tmp.path(),
        "big.toml",
        &std::fs::read_to_string(&file)
            .expect("scenario")
            .replace("clients = 200000", "clients = 20000000")
            .replace("budget = { kind = \"percent\" }", "")
            .replace("throttle = { kind = \"sre\" }", ""),
    );
    let out = tmp.path().join("out-big");
    let out_arg = out.display().to_string();
    let args = ["run", "--quiet", "--max-memory", "off", "--out", &out_arg];
    let (code, stderr) = capped(&args, &big);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(": strategy \"guarded\", replication 0: the system gave no memory for the state of the run's clients (3.5 GB); nothing of the scenario was written."),
        "{stderr}"
    );
    nothing_written(&out);
}

#[test]
fn the_watchdog_reads_memory_as_a_short_run_grows() {
    // 200,000 clients start over 10 s and each waits a minute for its
    // answer: 26 MB of request slots and queued events pile up within
    // 800,000 events, fewer than the 2^20 between the watchdog's regular
    // reads, and none of it certain before running (the estimate counts
    // the 4 MB sort of the starts). Such a run used to finish at 41.8 MB
    // under --max-memory 20M (exit 0). What a run holds is now looked at
    // every 65,536 events and the memory read when it has grown by 16 MB:
    // it stops, at most 16 MB plus one interval's growth (65,536 slots of
    // 128 bytes, 8.4 MB) past the limit.
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = growing(tmp.path(), 200_000, 1);
    let out = tmp.path().join("out");
    let args = [
        "run",
        "--quiet",
        "--stats",
        "--threads",
        "1",
        "--max-memory",
        "20M",
        "--out",
        &out.display().to_string(),
    ];
    let (code, stderr) = capped(&args, &file);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(": stopped: backsim's memory reached ")
            && stderr.contains(
                " MB of the 20.0 MB limit (--max-memory 20M); nothing of the scenario was written."
            ),
        "{stderr}"
    );
    let peak = peak_memory(&stderr);
    assert!(
        peak < 20_000_000 + 16 * (1 << 20) + 65_536 * 128,
        "peak {peak}"
    );
    nothing_written(&out);
}

/// Making the report (each strategy's mean time series, the text of
/// timeseries.csv, and the series read back for the charts) is counted
/// before anything runs: a year of one-second buckets for twenty
/// strategies is refused under 1 GB, naming what to widen.
#[test]
fn the_report_itself_is_counted_before_anything_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let strategies: String = (0..20)
        .map(|i| format!("[[strategy]]\nname = \"s{i}\"\nbackoff = {{ kind = \"none\" }}\n"))
        .collect();
    let file = scenario(
        tmp.path(),
        "year.toml",
        &format!(
            "name = \"year\"\nreplications = 1\nhorizon = \"1000000s\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 0.001\n{strategies}"
        ),
    );
    let out = tmp.path().join("out");
    let (code, stderr) = run(&["run", "--max-memory", "1G", "--stats"], &file, &out);
    assert_eq!(code, Some(2), "{stderr}");
    // The last arrival certainly comes after 10^6 − 25/0.001 s: 975,001
    // rows for each strategy, 2 × 64 bytes each, of 20 strategies.
    assert!(
        stderr.contains("the report's mean time series, and as read back (975,001 rows × 20 strategies, twice): 2.5 GB")
            && stderr.contains("use a wider report.bucket"),
        "{stderr}"
    );
    assert!(!stderr.contains("run statistics"), "simulated: {stderr}");
    nothing_written(&out);
}
