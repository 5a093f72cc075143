//! Headless Chromium (Debian's `/usr/bin/chromium`) driven through the DevTools protocol:
//! a page loaded from disk, scripts run in it, a screenshot, and what its console and log
//! reported. Synchronous, one WebSocket on loopback, every wait bounded by a deadline.

use std::collections::VecDeque;
use std::fs::File;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long Chromium may take to start and open its DevTools port, and to load a page.
const START: Duration = Duration::from_secs(60);
/// How long one command may take to be answered.
const COMMAND: Duration = Duration::from_secs(30);
/// How long Chromium may take to exit after `Browser.close` before it is killed.
const EXIT: Duration = Duration::from_secs(10);
/// A step of the polls for a file or a process exit, which give no event to wait on.
const POLL: Duration = Duration::from_millis(20);

/// A headless Chromium with one page, attached over the DevTools protocol (flat session
/// mode: one browser-level WebSocket, the page's commands and events tagged with its
/// session id). Dropping it closes the browser, then kills and reaps the process if it
/// has not exited.
pub struct Browser {
    socket: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Events read while waiting for something else, oldest first, kept for `wait_event`.
    events: VecDeque<Value>,
    problems: Vec<String>,
    // Declared last: dropped after the socket, so the process is reaped after the close.
    process: Process,
}

impl Browser {
    /// Starts Chromium with a `width`×`height` window, loads `page` (an absolute path)
    /// and waits for its load event. Runtime, Log and Page events are collected from
    /// before the navigation on.
    pub fn open(page: &Path, width: u32, height: u32) -> Self {
        assert!(page.is_absolute(), "{} is not absolute", page.display());
        let mut process = Process::start(width, height);
        let (port, path) = process.active_port();
        let address = format!("127.0.0.1:{port}");
        let stream =
            TcpStream::connect(&address).unwrap_or_else(|e| panic!("DevTools port {address}: {e}"));
        // Bounds the opening handshake; `read` sets it again before each later read.
        stream.set_read_timeout(Some(COMMAND)).unwrap();
        stream.set_write_timeout(Some(COMMAND)).unwrap();
        let (socket, _) = tungstenite::client(format!("ws://{address}{path}"), stream)
            .unwrap_or_else(|e| panic!("DevTools WebSocket handshake: {e}"));
        let mut browser = Self {
            socket,
            session: String::new(),
            next_id: 0,
            events: VecDeque::new(),
            problems: Vec::new(),
            process,
        };
        let target = browser.page_target();
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("Target.attachToTarget without a sessionId")
            .to_owned();
        for domain in ["Runtime", "Log", "Page"] {
            browser.command(&format!("{domain}.enable"), json!({}));
        }
        // The window size alone leaves the viewport to the headless shell's idea of its
        // frame; the override makes the layout and screenshot width exactly `width`.
        browser.command(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        browser
            .events
            .retain(|e| e["method"] != "Page.loadEventFired");
        let url = format!("file://{}", page.display());
        let navigated = browser.command("Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated.get("errorText") {
            panic!("loading {url}: {error}");
        }
        browser.wait_event("Page.loadEventFired", START);
        browser
    }

    /// Evaluates `js` in the page (`Runtime.evaluate`, promises awaited) and returns its
    /// value as JSON (`null` for `undefined`). Panics with the exception if it throws.
    pub fn eval(&mut self, js: &str) -> Value {
        let reply = self.command(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(details) = reply.get("exceptionDetails") {
            panic!(
                "script threw: {}\n{js}",
                exception_text(details).escape_debug()
            );
        }
        reply["result"].get("value").cloned().unwrap_or(Value::Null)
    }

    /// Writes a PNG screenshot of the viewport to `png`.
    pub fn screenshot(&mut self, png: &Path) {
        let reply = self.command("Page.captureScreenshot", json!({"format": "png"}));
        let data = reply["data"]
            .as_str()
            .expect("Page.captureScreenshot without data");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("screenshot data is not base64");
        std::fs::write(png, bytes).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    }

    /// Everything the page reported as going wrong so far: console errors, warnings and
    /// failed asserts, uncaught exceptions, and log entries of level error or warning
    /// (where Chromium reports what the Content-Security-Policy blocked and failed
    /// loads). The text is the page's and Chromium's, unescaped: print it with `{:?}`.
    pub fn problems(&mut self) -> Vec<String> {
        // A round trip on the page's session: what the page reported before it is then
        // read, since the session's messages arrive in order.
        self.command("Runtime.evaluate", json!({"expression": "0"}));
        self.problems.clone()
    }

    /// Sends a command to the page's session and returns its result.
    fn command(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    /// Sends a command (to the browser, or to a session) and reads until its reply,
    /// keeping the events read meanwhile. Panics on a protocol error.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        self.socket
            .send(Message::text(message.to_string()))
            .unwrap_or_else(|e| panic!("sending {method}: {e}"));
        let deadline = Instant::now() + COMMAND;
        loop {
            let message = self.read(deadline, method);
            if message["id"] != id {
                continue;
            }
            if let Some(error) = message.get("error") {
                panic!("{method}: {error}");
            }
            return message["result"].clone();
        }
    }

    /// Waits at most `limit` for an event `method` of the page's session, taking it from
    /// those already read if one is there.
    fn wait_event(&mut self, method: &str, limit: Duration) -> Value {
        let mine = |e: &Value, session: &str| e["method"] == method && e["sessionId"] == session;
        if let Some(at) = self.events.iter().position(|e| mine(e, &self.session)) {
            return self.events.remove(at).unwrap();
        }
        let deadline = Instant::now() + limit;
        loop {
            let message = self.read(deadline, method);
            if mine(&message, &self.session) {
                self.events.pop_back();
                return message;
            }
        }
    }

    /// Reads one JSON message before `deadline`, noting it if it is an event; panics
    /// when the deadline passes (`waiting_for` names what for) or the socket fails.
    fn read(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        // Each read may take several socket reads (a frame in pieces, pings); the bound
        // is on the whole, through the read timeout set to what is left of it.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no answer to {waiting_for} within its deadline"
            );
            self.socket.get_mut().set_read_timeout(Some(left)).unwrap();
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    let message: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("DevTools message is not JSON: {e}"));
                    if message.get("method").is_some() {
                        self.note(&message);
                        self.events.push_back(message.clone());
                    }
                    return message;
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("DevTools WebSocket, waiting for {waiting_for}: {e}"),
            }
        }
    }

    /// Adds `event` to the problems if it reports one.
    fn note(&mut self, event: &Value) {
        let params = &event["params"];
        let problem = match event["method"].as_str().unwrap_or_default() {
            "Runtime.consoleAPICalled" => {
                let kind = params["type"].as_str().unwrap_or_default();
                matches!(kind, "error" | "warning" | "assert").then(|| {
                    let words: Vec<String> = params["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(remote_object_text)
                        .collect();
                    format!("console.{kind}: {}", words.join(" "))
                })
            }
            "Runtime.exceptionThrown" => Some(format!(
                "uncaught exception: {}",
                exception_text(&params["exceptionDetails"])
            )),
            "Log.entryAdded" => {
                let entry = &params["entry"];
                let level = entry["level"].as_str().unwrap_or_default();
                matches!(level, "error" | "warning").then(|| {
                    format!(
                        "log {level} ({}): {} {}",
                        entry["source"].as_str().unwrap_or_default(),
                        entry["text"].as_str().unwrap_or_default(),
                        entry["url"].as_str().unwrap_or_default(),
                    )
                })
            }
            _ => None,
        };
        self.problems.extend(problem);
    }

    /// The id of the page Chromium opened with (`about:blank`), which may show up a
    /// moment after the DevTools port does.
    fn page_target(&mut self) -> String {
        let deadline = Instant::now() + START;
        loop {
            let targets = self.call(None, "Target.getTargets", json!({}));
            let page = targets["targetInfos"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["type"] == "page");
            if let Some(id) = page.and_then(|t| t["targetId"].as_str()) {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "Chromium opened no page");
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Asked to close, Chromium takes its renderer and helper processes down with it;
        // no reply is awaited (the socket closes as it exits), the process wait is bounded.
        self.next_id += 1;
        let close = json!({"id": self.next_id, "method": "Browser.close"});
        self.process.closing = self.socket.send(Message::text(close.to_string())).is_ok();
    }
}

/// The Chromium process and its profile directory; dropping it waits for the process
/// (a bounded time, if it was asked to close), kills it if still running, and reaps it.
struct Process {
    child: Child,
    profile: PathBuf,
    closing: bool,
    // Dropped after the process is reaped: it holds the profile and the log.
    dir: tempfile::TempDir,
}

impl Process {
    fn start(width: u32, height: u32) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for chromium");
        let profile = dir.path().join("profile");
        let log = File::create(dir.path().join("chromium.stderr")).expect("chromium log file");
        let child = Command::new("/usr/bin/chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &format!("--user-data-dir={}", profile.display()),
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting /usr/bin/chromium");
        Self {
            child,
            profile,
            closing: false,
            dir,
        }
    }

    /// The DevTools port Chromium chose and its browser endpoint's path, from the
    /// `DevToolsActivePort` file it writes into the profile once it listens.
    fn active_port(&mut self) -> (u16, String) {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = Instant::now() + START;
        loop {
            // Written in one go, but possibly read between its creation and its write:
            // only a file with both lines counts.
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                let port = port.parse().expect("DevToolsActivePort: port");
                return (port, path.to_owned());
            }
            if let Some(status) = self.child.try_wait().expect("waiting for chromium") {
                panic!("chromium exited: {status}\n{}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "chromium wrote no DevToolsActivePort within {START:?}\n{}",
                self.stderr()
            );
            std::thread::sleep(POLL);
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromium.stderr")).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let deadline = Instant::now() + if self.closing { EXIT } else { Duration::ZERO };
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(POLL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The words of a console call's argument: its value, or the description of an object.
fn remote_object_text(object: &Value) -> String {
    match &object["value"] {
        Value::String(s) => s.clone(),
        Value::Null => object["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        other => other.to_string(),
    }
}

/// An exception's description (message and stack), or the bare text of its details.
fn exception_text(details: &Value) -> String {
    details["exception"]["description"]
        .as_str()
        .or_else(|| details["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}
