//! What the tests of `jdy-member ui`'s server share: the server in its own process (with
//! an in-process sandbox gateway), and raw HTTP requests to it, headers and all.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jdy-member");

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-ui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The command line, without the developer's JDY_* variables or settings file.
pub fn jdy(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("JDY_") {
            command.env_remove(key);
        }
    }
    let nowhere = std::env::temp_dir().join(format!("jdy-ui-{}-no-config", std::process::id()));
    command.env("XDG_CONFIG_HOME", nowhere);
    command
}

/// `jdy-member --sandbox ui --no-browser` in its own process, and how to reach it.
pub struct Ui {
    pub child: Child,
    pub port: u16,
    pub token: String,
    /// The in-process sandbox gateway's address, for its controls.
    pub sandbox: String,
}

impl Ui {
    pub fn start(data: &Path, extra: &[&str]) -> Ui {
        let data = data.display().to_string();
        let mut args = vec!["--sandbox", "ui", "--no-browser", "--data-dir", &data];
        args.extend_from_slice(extra);
        Ui::spawn(jdy(&args), true)
    }

    /// `jdy-member ui --no-browser` with `home` as HOME and the XDG folders under it (the
    /// settings in `home/config`), and no configuration but what the settings file holds.
    pub fn start_at_home(home: &Path) -> Ui {
        let data = home.join("data").display().to_string();
        Ui::spawn(
            at_home(jdy(&["ui", "--no-browser", "--data-dir", &data]), home),
            false,
        )
    }

    /// Starts `command`; with `sandbox`, reads the in-process sandbox's address it notes.
    fn spawn(mut command: Command, sandbox: bool) -> Ui {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let address = first
            .trim()
            .strip_prefix("ui: ")
            .expect("the address first");
        let rest = address.strip_prefix("http://127.0.0.1:").unwrap();
        let (port, token) = rest.split_once("/?token=").unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut address = String::new();
        if sandbox {
            for line in lines.by_ref() {
                let line = line.unwrap();
                if let Some(at) = line.strip_prefix("sandbox gateway running at ") {
                    address = at.split(' ').next().unwrap().to_string();
                    break;
                }
            }
        }
        // Read on, so the server never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ui {
            child,
            port: port.parse().unwrap(),
            token: token.to_string(),
            sandbox: address,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A request as the page makes it: the token, its Host and Origin.
    pub fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let origin = format!("http://{}", self.host());
        let headers = [
            ("Host", self.host()),
            ("X-JDY-Token", self.token.clone()),
            ("Origin", origin),
        ];
        raw(self.port, method, path, &headers, body)
    }

    pub fn json(&self, method: &str, path: &str) -> Value {
        let (status, body) = self.call(method, path, b"");
        assert!(
            status < 300,
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }

    /// Uploads `body` as a file named `name` (percent-encoded), waits for its column step,
    /// which must be settled by the header table alone, and confirms it: the check starts.
    pub fn upload_checked(&self, name: &str, body: &[u8]) -> String {
        let (status, answer) = self.call("POST", &format!("/api/jobs?name={name}"), body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        let id = serde_json::from_slice::<Value>(&answer).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let job = self.wait(&id, &["waiting", "reading"]);
        assert_eq!(job["phase"], "columns", "{job}");
        assert_eq!(job["columns"]["settled"], true, "{job}");
        self.json("POST", &format!("/api/jobs/{id}/check"));
        id
    }

    /// The job once its phase is no longer `passing`.
    pub fn wait(&self, id: &str, passing: &[&str]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let job = self.json("GET", &format!("/api/jobs/{id}"));
            if !passing.contains(&job["phase"].as_str().unwrap()) {
                return job;
            }
            assert!(Instant::now() < deadline, "still {}", job["phase"]);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Peak resident memory of the server, in MB (Linux).
    pub fn peak_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the status and the body.
pub fn raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    // A request without a Host header is not HTTP/1.1: tiny_http may close the connection
    // without an answer (status 0 here).
    if stream.read_to_end(&mut answer).is_err() {
        return (0, Vec::new());
    }
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, Vec::new());
    };
    let status_line = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    (status, answer[split + 4..].to_vec())
}

/// `command` with `home` as HOME and its XDG folders (config, cache, data) under it.
pub fn at_home(mut command: Command, home: &Path) -> Command {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"));
    command
}

/// `jdy-member sandbox` in its own process, and the configuration it printed (authorization
/// mode: client id and secret, outer instance id, its address).
pub struct SandboxProcess {
    child: Child,
    pub config: Value,
}

impl SandboxProcess {
    pub fn start() -> SandboxProcess {
        SandboxProcess::with(r#"{"token_limit": null}"#)
    }

    /// The sandbox with the behaviour switches of `behaviour` (JSON).
    pub fn with(behaviour: &str) -> SandboxProcess {
        let mut child = jdy(&["sandbox", "--port", "0", "--behaviour", behaviour])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let announced: Value = serde_json::from_str(&first).unwrap();
        SandboxProcess {
            child,
            config: announced["config_outer"].clone(),
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn get(url: &str) -> Value {
    let mut response = ureq::get(url).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}
