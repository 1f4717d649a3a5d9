//! The report page in a real browser: headless Chromium, driven over its
//! DevTools protocol (a WebSocket), opens a run's and a sweep's
//! `index.html` from disk and must log nothing, request nothing but the
//! page itself, show a value on hover, hide a strategy when its legend
//! entry is clicked, sort the summary table by a clicked header, paint a
//! screenshot that is not blank, and with scripts disabled still show
//! the static charts.
//!
//! Chromium is the distribution's (`chromium` on PATH, or the file
//! `BACKSIM_CHROMIUM` names); CI installs it (`.ci/run`). Without it the
//! test fails, unless `BACKSIM_SKIP_BROWSER=1` says to skip it.

use crate::common::{THUNDERING_HERD, backsim, crate_dir};
use base64::Engine;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long one answer or event of the browser may take.
const PATIENCE: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BACKSIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// A headless Chromium and one page of it, attached with a flat session.
struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Every event received so far, in order.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        // Chromium says where its DevTools listen on stderr; the rest of
        // stderr is drained so that it never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("ws://") {
                    let _ = tx.send(line[i..].trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("{} did not say where its DevTools listen", exe.display());
            }
        };
        let (ws, _) = tungstenite::connect(url.as_str()).expect("DevTools WebSocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        }
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().expect("session").to_string();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            b.call(&format!("{domain}.enable"), json!({}));
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("a DevTools message") {
                Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON"),
                Message::Close(_) => panic!("the browser closed the connection"),
                _ => continue,
            }
        }
    }

    /// Sends a command (to the page's session once attached) and returns
    /// its result, keeping the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("send a DevTools command");
        loop {
            let m = self.read();
            if m["id"] == json!(id) {
                assert!(m["error"].is_null(), "{method}: {}", m["error"]);
                return m["result"].clone();
            }
            if m["method"].is_string() {
                self.events.push(m);
            }
        }
    }

    /// Waits for the event `method` (one received already counts).
    fn wait_for(&mut self, method: &str) {
        let start = Instant::now();
        while !self.events.iter().any(|e| e["method"] == json!(method)) {
            assert!(start.elapsed() < PATIENCE, "no {method}");
            let m = self.read();
            if m["method"].is_string() {
                self.events.push(m);
            }
        }
    }

    fn open(&mut self, page: &Path) -> String {
        let url = format!("file://{}", page.display());
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
        url
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            r["exceptionDetails"].is_null(),
            "{expression}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// The centre of the element `selector` in the viewport, after
    /// scrolling it into view.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let r = self.eval(&format!(
            "(() => {{ const e = document.querySelector({s}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            s = json!(selector)
        ));
        (r[0].as_f64().expect("x"), r[1].as_f64().expect("y"))
    }

    fn mouse(&mut self, kind: &str, (x, y): (f64, f64)) {
        let mut p = json!({"type": kind, "x": x, "y": y});
        if kind != "mouseMoved" {
            p["button"] = json!("left");
            p["clickCount"] = json!(1);
        }
        self.call("Input.dispatchMouseEvent", p);
    }

    fn click(&mut self, selector: &str) {
        let at = self.centre(selector);
        self.mouse("mouseMoved", at);
        self.mouse("mousePressed", at);
        self.mouse("mouseReleased", at);
    }

    /// A PNG screenshot of the viewport, or of `clip` (x, y, width,
    /// height in CSS pixels), decoded to RGB pixels.
    fn screenshot(&mut self, clip: Option<[f64; 4]>) -> Vec<[u8; 3]> {
        let mut p = json!({"format": "png"});
        if let Some([x, y, width, height]) = clip {
            p["clip"] = json!({"x": x, "y": y, "width": width, "height": height, "scale": 1});
        }
        let shot = self.call("Page.captureScreenshot", p);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64");
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("a frame");
        let step = info.color_type.samples();
        buf[..info.buffer_size()]
            .chunks(step)
            .map(|p| [p[0], p[1], p[2]])
            .collect()
    }

    /// Console messages, exceptions, error log entries and requests for
    /// anything but `page` itself or data: URIs, since the last `open`.
    fn problems(&self, page: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" => {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Runtime.exceptionThrown" => {
                    out.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == json!("error") => {
                    out.push(format!("log: {}", p["entry"]))
                }
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or("");
                    if url != page && !url.starts_with("data:") {
                        out.push(format!("request: {url}"));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// Distinct colours in `pixels`.
fn colours(pixels: &[[u8; 3]]) -> usize {
    pixels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// A number as the page's script writes it: four significant digits,
/// trailing zeros dropped (JavaScript's `parseFloat(v.toPrecision(4))`).
fn js4(v: f64) -> String {
    let r: f64 = format!("{v:.3e}").parse().expect("a number");
    format!("{r}")
}

/// A column of a CSV file by header name, as numbers.
fn column(file: &Path, name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(file).expect("CSV");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let i = header.iter().position(|h| *h == name).expect("column");
    lines
        .map(|l| l.split(',').nth(i).expect("cell").parse().expect("number"))
        .collect()
}

#[test]
fn the_report_page_works_in_a_real_browser() {
    let Some(exe) = chromium() else {
        if std::env::var_os("BACKSIM_SKIP_BROWSER").is_some_and(|v| v == "1") {
            eprintln!("skipped: no chromium on PATH (BACKSIM_SKIP_BROWSER=1)");
            return;
        }
        panic!(
            "the browser test needs Chromium: install it (`apt-get install chromium`), name it \
             with BACKSIM_CHROMIUM, or set BACKSIM_SKIP_BROWSER=1 to skip this test"
        );
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    // A run's report, and a sweep of the same scenario over two sizes of
    // the herd, with 2 replications a point.
    backsim()
        .args(["run", "--quiet", THUNDERING_HERD, "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let herd = std::fs::read_to_string(crate_dir().join(THUNDERING_HERD)).unwrap();
    let sweep = herd
        .replacen("name = \"thundering-herd\"", "name = \"herd-page\"", 1)
        .replacen("replications = 10", "replications = 2", 1)
        + "\n[sweep]\n\"workload.clients\" = [100, 1000]\n";
    let sweep_file = tmp.path().join("herd-page.toml");
    std::fs::write(&sweep_file, sweep).unwrap();
    backsim()
        .args(["sweep", "--quiet"])
        .arg(&sweep_file)
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .success();
    let run_dir = tmp.path().join("thundering-herd");

    let mut b = Browser::launch(&exe);
    let url = b.open(&run_dir.join("index.html"));
    assert_eq!(b.problems(&url), Vec::<String>::new());
    // Every drawn chart (all five: the scenario has prices) is drawn
    // again by the script; the static drawings are hidden.
    assert_eq!(b.eval("document.querySelectorAll('.ichart svg').length"), 5);
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('#load_over_time div.chart')).display"),
        "none"
    );

    // Hovering over the load chart shows the time and both strategies'
    // rates, and a cross line.
    let at = b.centre("#load_over_time .ichart svg");
    b.mouse("mouseMoved", at);
    let tip = b.eval("document.querySelector('#load_over_time .tip').innerText");
    let tip = tip.as_str().expect("tooltip text").to_string();
    assert!(tip.starts_with("t (s) "), "{tip}");
    for name in ["linear: ", "exponential-full-jitter: "] {
        let value = tip
            .split(name)
            .nth(1)
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap();
        assert!(value.parse::<f64>().is_ok(), "{name}{value} in {tip:?}");
    }
    assert_eq!(
        b.eval("document.querySelector('#load_over_time .cross').getAttribute('visibility')"),
        "visible"
    );
    // Over the success-rate bars: each strategy's success_rate of
    // summary.csv, in %, as written with four digits.
    let rates = column(&run_dir.join("summary.csv"), "success_rate");
    let at = b.centre("#success_rate .ichart svg");
    b.mouse("mouseMoved", at);
    let tip = b.eval("document.querySelector('#success_rate .tip').innerText");
    let tip = tip.as_str().expect("tooltip text");
    for (name, rate) in ["linear", "exponential-full-jitter"].iter().zip(&rates) {
        let shown = format!("{name}: {}%", js4(100.0 * rate));
        assert!(tip.contains(&shown), "{shown} not in {tip:?}");
    }

    // Clicking linear's legend entry hides its line: no element of its
    // series, and not one pixel of its colour (#0072b2) left in the
    // chart; clicking again brings it back.
    let blue = |px: &[[u8; 3]]| px.iter().filter(|p| **p == [0x00, 0x72, 0xb2]).count();
    let series = |b: &mut Browser, s: u32| {
        b.eval(&format!(
            "document.querySelectorAll('#load_over_time .ichart .series[data-s=\"{s}\"]').length"
        ))
    };
    // The chart's box in the page's coordinates, which a screenshot's
    // clip takes.
    let chart_box = |b: &mut Browser| {
        b.centre("#load_over_time .ichart svg");
        let r = b.eval(
            "(() => { const r = document.querySelector('#load_over_time .ichart svg').getBoundingClientRect(); \
             return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; })()",
        );
        Some([0, 1, 2, 3].map(|i| r[i].as_f64().expect("a number")))
    };
    let clip = chart_box(&mut b);
    let before = b.screenshot(clip);
    assert!(
        blue(&before) > 100,
        "linear's line is drawn: {}",
        blue(&before)
    );
    b.click("#load_over_time .key[data-s=\"0\"]");
    assert_eq!(series(&mut b, 0), 0);
    assert_eq!(series(&mut b, 1), 1);
    assert_eq!(
        b.eval("document.querySelector('#load_over_time .key[data-s=\"0\"]').getAttribute('aria-pressed')"),
        "false"
    );
    let clip = chart_box(&mut b);
    assert_eq!(blue(&b.screenshot(clip)), 0);
    b.click("#load_over_time .key[data-s=\"0\"]");
    assert_eq!(series(&mut b, 0), 1);

    // The summary table sorts by a clicked header: 429s per run are
    // 4,250 for linear and 3,042.6 for exponential-full-jitter
    // (rejected_429 of summary.csv), so ascending puts the latter first.
    let rejected = column(&run_dir.join("summary.csv"), "rejected_429");
    assert!(rejected[0] > rejected[1], "{rejected:?}");
    let order = "Array.from(document.querySelector('table').tBodies[0].rows).map(r => r.cells[0].textContent)";
    assert_eq!(b.eval(order), json!(["linear", "exponential-full-jitter"]));
    let header = "Array.from(document.querySelectorAll('table')[0].tHead.rows[0].cells).findIndex(c => c.textContent === '429s')";
    let col = b.eval(header);
    let th = format!("table thead th:nth-child({})", col.as_i64().unwrap() + 1);
    b.click(&th);
    assert_eq!(b.eval(order), json!(["exponential-full-jitter", "linear"]));
    b.click(&th);
    assert_eq!(b.eval(order), json!(["linear", "exponential-full-jitter"]));

    // The page is painted: the top of the page has text, tables and
    // swatches, far more than a handful of colours.
    b.eval("window.scrollTo(0, 0)");
    let shot = b.screenshot(None);
    assert_eq!(shot.len(), 1200 * 900);
    let n = colours(&shot);
    assert!(n > 50, "{n} colours: the page looks blank");
    assert_eq!(b.problems(&url), Vec::<String>::new());

    // The sweep's page: a chart per metric drawn by the script, and the
    // success-rate chart's hover names each strategy with a confidence
    // interval.
    let url = b.open(&tmp.path().join("herd-page").join("index.html"));
    assert_eq!(b.problems(&url), Vec::<String>::new());
    assert_eq!(
        b.eval("document.querySelectorAll('.ichart svg').length"),
        b.eval("JSON.parse(document.getElementById('backsim-charts').textContent).length")
    );
    let at = b.centre("#sweep_success_rate .ichart svg");
    b.mouse("mouseMoved", at);
    let tip = b.eval("document.querySelector('#sweep_success_rate .tip').innerText");
    let tip = tip.as_str().expect("tooltip text");
    assert!(tip.starts_with("workload.clients "), "{tip}");
    assert!(
        tip.contains("linear: ") && tip.contains("exponential-full-jitter: "),
        "{tip}"
    );
    b.click("#sweep_success_rate .key[data-s=\"1\"]");
    assert_eq!(
        b.eval(
            "document.querySelectorAll('#sweep_success_rate .ichart .series[data-s=\"1\"]').length"
        ),
        0
    );
    assert_eq!(b.problems(&url), Vec::<String>::new());

    // Without scripts, the static drawings show (two per chart, the
    // wide one on this wide screen) and nothing is drawn again.
    b.call(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": true}),
    );
    let url = b.open(&run_dir.join("index.html"));
    assert_eq!(b.eval("document.querySelectorAll('.ichart').length"), 0);
    assert_eq!(
        b.eval("document.querySelectorAll('div.chart svg').length"),
        10
    );
    let h = b.eval(
        "document.querySelector('#load_over_time div.chart.wide svg').getBoundingClientRect().height",
    );
    assert!(
        h.as_f64().unwrap() > 300.0,
        "the static chart is {h} px high"
    );
    let shot = b.screenshot(None);
    assert!(colours(&shot) > 50);
    assert_eq!(b.problems(&url), Vec::<String>::new());
}
