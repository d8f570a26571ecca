//! Helpers for the tool tests (tests/tools_*.rs): running `scry tool ...`
//! with bounded waits, workloads run as programs with a name of our own.
//!
//! Every wait is bounded: a tool that outlives its deadline is killed and
//! the test fails with everything it printed.

#![allow(dead_code)]

#[path = "../common/fixture.rs"]
mod fixture;

pub mod cpu;
pub mod disk;
pub mod net;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const ATTACH_TIMEOUT: Duration = Duration::from_secs(60);
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);
pub const LINE_TIMEOUT: Duration = Duration::from_secs(20);

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Returns early from the test (with a message) unless running as root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::tools_support::is_root() {
            eprintln!("skipped: needs root (loads BPF programs)");
            return;
        }
    };
}

/// Tests that load BPF programs run one at a time within a test binary.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir::under(&std::env::temp_dir(), tag)
    }

    /// On tmpfs (/dev/shm) where there is one: metadata calls on this
    /// machine's disk take milliseconds each.
    pub fn on_tmpfs(tag: &str) -> TempDir {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            TempDir::under(shm, tag)
        } else {
            TempDir::new(tag)
        }
    }

    /// On the disk that holds the build (the page cache tools need a file
    /// system that uses it: not tmpfs).
    pub fn on_disk(tag: &str) -> TempDir {
        TempDir::under(Path::new(env!("CARGO_TARGET_TMPDIR")), tag)
    }

    fn under(base: &Path, tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = base.join(format!("scry{tag}{}x{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a finished tool run printed.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Output {
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.code == Some(0) && !self.timed_out,
            "scry tool failed:\n{self}"
        );
        self
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} timed_out {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.timed_out, self.stdout, self.stderr
        )
    }
}

fn reader(mut r: impl Read + Send + 'static, buf: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
}

/// A running `scry tool ...`.
pub struct Tool {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    done: bool,
}

impl Tool {
    /// Starts `scry tool ARGS...`.
    pub fn start(args: &[&str]) -> Tool {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scry"));
        cmd.arg("tool").args(args);
        Tool::spawn(cmd)
    }

    /// Starts any command (a peer tool), its output read as a tool's.
    pub fn spawn(mut cmd: Command) -> Tool {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn scry");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        reader(child.stdout.take().unwrap(), stdout.clone());
        reader(child.stderr.take().unwrap(), stderr.clone());
        Tool {
            child,
            stdout,
            stderr,
            done: false,
        }
    }

    /// Starts a tool and waits for a stdout line starting with `first`
    /// (its header or "Tracing" line, printed once attached) or, with
    /// `--json`, for the "Tracing" line on stderr.
    pub fn attached(args: &[&str], first: &str) -> Tool {
        let mut t = Tool::start(args);
        let json = args.contains(&"--json");
        let ok = t.wait_until(ATTACH_TIMEOUT, |out, err| {
            if json {
                err.contains("Tracing")
            } else {
                out.lines().any(|l| l.starts_with(first))
            }
        });
        if !ok {
            let out = t.kill();
            panic!("scry tool {args:?} did not attach:\n{out}");
        }
        t
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits (bounded) until `pred(stdout, stderr)` holds; false when the
    /// deadline passes or the tool exits first.
    pub fn wait_until(&mut self, timeout: Duration, pred: impl Fn(&str, &str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let out = self.stdout.lock().unwrap();
                let err = self.stderr.lock().unwrap();
                if pred(&out, &err) {
                    return true;
                }
            }
            if Instant::now() > deadline || matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) for a stdout line satisfying `pred`; fails the test
    /// with everything printed otherwise.
    pub fn expect_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
        if !self.wait_until(LINE_TIMEOUT, |out, _| out.lines().any(&pred)) {
            let out = self.kill();
            panic!("no {what} line:\n{out}");
        }
    }

    fn collect(&mut self, timed_out: bool) -> Output {
        let status = self.child.wait().expect("wait");
        self.done = true;
        // Let the readers see the end of the pipes.
        std::thread::sleep(Duration::from_millis(50));
        Output {
            code: status.code(),
            stdout: self.stdout(),
            stderr: self.stderr.lock().unwrap().clone(),
            timed_out,
        }
    }

    /// Waits (bounded) for the tool to end by itself.
    pub fn wait(&mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.collect(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        self.collect(true)
    }

    /// Ctrl-C, then a bounded wait for the exit.
    pub fn stop(&mut self) -> Output {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        self.wait(STOP_TIMEOUT)
    }

    pub fn kill(&mut self) -> Output {
        let _ = self.child.kill();
        self.collect(true)
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `scry tool ARGS...` to its end (bounded).
pub fn run_tool(args: &[&str]) -> Output {
    Tool::start(args).wait(ATTACH_TIMEOUT)
}

/// A copy of a system program under a name of our own, so that its comm
/// is known (and unique) in the tool's output.
pub fn named_program(dir: &TempDir, src: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(src, &path).expect("copy program");
    path
}

/// Compiles a C fixture from tests/fixtures into `dir` (None, with a
/// message, when there is no C compiler).
pub fn compile_fixture(dir: &TempDir, source: &str, extra: &[&str]) -> Option<PathBuf> {
    fixture::compile_c(&dir.path, source, extra)
}

/// Runs a program to its end (bounded), returning its pid and exit status.
pub fn run_program(path: &Path, args: &[&str]) -> (u32, std::process::ExitStatus) {
    let mut child = Command::new(path)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn workload");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            return (pid, st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("workload {} did not end", path.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A C fixture of tests/fixtures compiled into `dir` (with frame pointers
/// and symbols); `None`, with a note, when there is no C compiler.
pub fn compile_c(dir: &TempDir, source: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(source);
    let bin = dir.join(source.trim_end_matches(".c"));
    match Command::new("cc")
        .args(["-g", "-O0", "-fno-omit-frame-pointer", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
    {
        Ok(o) if o.status.success() => Some(bin),
        Ok(o) => panic!("cc {source}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("skipped: no C compiler ({e})");
            None
        }
    }
}

/// Starts a program in the background (its output discarded); killed and
/// reaped when dropped.
pub struct Program(pub Child);

impl Program {
    pub fn start(path: &Path, args: &[&str]) -> Program {
        let child = Command::new(path)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn workload");
        Program(child)
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits (bounded) for the program to end.
    pub fn wait(&mut self) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.0.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Whether this kernel has kprobes or fentry (`scry --info`).
pub fn kernel_functions_traceable() -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_scry"))
        .arg("--info")
        .output()
        .expect("scry --info");
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("kprobes: yes") || text.contains("fentry/fexit: yes")
}

/// A libbpf-tools program, if installed (/usr/sbin/NAME).
pub fn libbpf_tool(name: &str) -> Option<PathBuf> {
    let p = Path::new("/usr/sbin").join(name);
    p.exists().then_some(p)
}

/// A strict JSON value parsed from one line (objects keep key order).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Parses one complete JSON text; `Err` on anything RFC 8259 rejects.
    pub fn parse(s: &str) -> Result<Json, String> {
        let mut p = JsonParser {
            b: s.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.b.len() {
            return Err(format!("trailing text at {}", p.i));
        }
        Ok(v)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn keys(&self) -> Vec<&str> {
        match self {
            Json::Obj(kv) => kv.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", c as char, self.i))
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    kv.push((k, self.value()?));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(kv));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                if self.b[self.i] == b'-' {
                    self.i += 1;
                }
                let digits = self.i;
                while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                if self.i == digits || (self.b[digits] == b'0' && self.i - digits > 1) {
                    return Err(format!("bad number at {start}"));
                }
                if self.b.get(self.i) == Some(&b'.') {
                    self.i += 1;
                    let f = self.i;
                    while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                    if self.i == f {
                        return Err(format!("bad fraction at {start}"));
                    }
                }
                let text = std::str::from_utf8(&self.b[start..self.i]).unwrap();
                text.parse()
                    .map(Json::Num)
                    .map_err(|e| format!("{text}: {e}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err(format!("expected a string at {}", self.i));
        }
        self.i += 1;
        let mut out = Vec::new();
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4).ok_or("short \\u")?;
                            let n = u32::from_str_radix(std::str::from_utf8(hex).unwrap(), 16)
                                .map_err(|e| e.to_string())?;
                            self.i += 4;
                            let ch = char::from_u32(n).unwrap_or('\u{fffd}');
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        _ => return Err(format!("bad escape at {}", self.i)),
                    }
                }
                c if c < 0x20 => return Err(format!("control character at {}", self.i)),
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
}
