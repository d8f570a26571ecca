//! Shared helpers for the CLI integration tests: running scry with bounded
//! waits, reading its output incrementally, generating workloads.
//!
//! Every wait here is bounded: a scry process that outlives its deadline is
//! killed (SIGKILL) and the test fails with whatever output was collected.

#![allow(dead_code)]

#[path = "fixture.rs"]
mod fixture;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a one-shot run (compile errors, BEGIN/exit, dry runs) may take.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long scry may take to print its "Attaching N probes..." line.
pub const ATTACH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long scry may take to exit after SIGINT.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub fn scry_bin() -> &'static str {
    env!("CARGO_BIN_EXE_scry")
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Returns early from the test (with a message) unless running as root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::common::is_root() {
            eprintln!("skipped: needs root (loads BPF programs)");
            return;
        }
    };
}

/// Tests that load BPF programs run one at a time within a test binary: the
/// machine is small and shared, and serial runs keep timings predictable.
/// A poisoned lock (a failed test) does not block the others.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn gettid() -> i32 {
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

pub fn getpid() -> i32 {
    std::process::id() as i32
}

/// A name no other test (or test run) uses.
pub fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "scry{tag}{}x{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos % 100_000
    )
}

/// A directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique(tag));
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

/// The result of a finished scry run.
#[derive(Debug)]
pub struct Output {
    /// The exit code, or None when killed by a signal.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Fails the test unless scry exited 0, showing everything it printed.
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.ok() && !self.timed_out,
            "scry failed: {:?} signal {:?} timed_out {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.signal,
            self.timed_out,
            self.stdout,
            self.stderr
        );
        self
    }

    /// The number in the "Attaching N probes..." line.
    pub fn attached_count(&self) -> Option<usize> {
        let line = self.stdout.lines().find(|l| l.starts_with("Attaching "))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    pub fn panicked(&self) -> bool {
        self.code == Some(101) || self.stderr.contains("panicked")
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts that stdout has this exact line.
    pub fn assert_line(&self, line: &str) -> &Self {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "no line {line:?} in stdout:\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Lines of stdout that start with a prefix.
    pub fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} signal {:?} timed_out {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.signal, self.timed_out, self.stdout, self.stderr
        )
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    mut r: R,
    tx: std::sync::mpsc::Sender<String>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        // Forward output in chunks as soon as it arrives, split on lines
        // where possible so a waiter can match whole lines.
        let mut pending = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        if tx
                            .send(String::from_utf8_lossy(&line).into_owned())
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        }
        if !pending.is_empty() {
            let _ = tx.send(String::from_utf8_lossy(&pending).into_owned());
        }
    })
}

/// A running scry process whose stdout is read incrementally.
pub struct Scry {
    child: Child,
    out_rx: Receiver<String>,
    err_rx: Receiver<String>,
    stdout: String,
    stderr: String,
    readers: Vec<JoinHandle<()>>,
    done: Option<Output>,
}

/// A builder-ish description of a scry invocation.
pub fn scry(args: &[&str]) -> Command {
    let mut c = Command::new(scry_bin());
    c.args(args);
    c.env_remove("BPFTRACE_MAX_STRLEN");
    c
}

impl Scry {
    /// Starts scry with these arguments (stdin closed).
    pub fn start(args: &[&str]) -> Scry {
        Scry::spawn(scry(args), None)
    }

    pub fn spawn(mut cmd: Command, stdin: Option<&str>) -> Scry {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("spawn scry");
        if let Some(input) = stdin {
            let mut w = child.stdin.take().unwrap();
            let input = input.to_string();
            // A writer thread: the script may be larger than a pipe buffer.
            std::thread::spawn(move || {
                let _ = w.write_all(input.as_bytes());
            });
        }
        let (otx, orx) = channel();
        let (etx, erx) = channel();
        let r1 = spawn_reader(child.stdout.take().unwrap(), otx);
        let r2 = spawn_reader(child.stderr.take().unwrap(), etx);
        Scry {
            child,
            out_rx: orx,
            err_rx: erx,
            stdout: String::new(),
            stderr: String::new(),
            readers: vec![r1, r2],
            done: None,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn drain(&mut self) {
        while let Ok(s) = self.out_rx.try_recv() {
            self.stdout.push_str(&s);
        }
        while let Ok(s) = self.err_rx.try_recv() {
            self.stderr.push_str(&s);
        }
    }

    /// Waits (bounded) for a stdout line satisfying `pred`. Returns false if
    /// scry exited or the deadline passed first.
    pub fn wait_for_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        // Lines already collected count too.
        if self.stdout.lines().any(&pred) {
            return true;
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            match self
                .out_rx
                .recv_timeout((deadline - now).min(Duration::from_millis(50)))
            {
                Ok(s) => {
                    let hit = pred(s.trim_end_matches('\n'));
                    self.stdout.push_str(&s);
                    if hit {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    while let Ok(s) = self.err_rx.try_recv() {
                        self.stderr.push_str(&s);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Waits for "Attaching N probe(s)...", panicking (after killing scry)
    /// if it does not come.
    pub fn wait_attached(&mut self) -> &mut Self {
        if !self.wait_for_line(ATTACH_TIMEOUT, |l| {
            l.starts_with("Attaching ") || l.starts_with(r#"{"type": "attached_probes""#)
        }) {
            let out = self.kill_and_collect();
            panic!("scry did not attach:\n{out}");
        }
        self
    }

    pub fn stdout_so_far(&mut self) -> &str {
        self.drain();
        &self.stdout
    }

    fn collect(&mut self, timed_out: bool, status: std::process::ExitStatus) -> Output {
        use std::os::unix::process::ExitStatusExt;
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        self.drain();
        let out = Output {
            code: status.code(),
            signal: status.signal(),
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
            timed_out,
        };
        self.done = Some(Output {
            code: out.code,
            signal: out.signal,
            stdout: out.stdout.clone(),
            stderr: out.stderr.clone(),
            timed_out,
        });
        out
    }

    /// Waits (bounded) for scry to exit by itself; kills it on timeout.
    pub fn wait(&mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return self.collect(false, status),
                Ok(None) => {}
                Err(e) => panic!("wait: {e}"),
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let status = self.child.wait().expect("wait after kill");
                return self.collect(true, status);
            }
            self.drain();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT (as Ctrl-C would) and waits, bounded, for the exit.
    pub fn stop(&mut self) -> Output {
        self.signal(libc::SIGINT);
        self.wait(STOP_TIMEOUT)
    }

    pub fn signal(&self, sig: i32) {
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    pub fn kill_and_collect(&mut self) -> Output {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait after kill");
        self.collect(true, status)
    }

    /// Whether scry is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Scry {
    fn drop(&mut self) {
        if self.done.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs scry to completion (bounded by RUN_TIMEOUT).
pub fn run(args: &[&str]) -> Output {
    Scry::start(args).wait(RUN_TIMEOUT)
}

/// Runs scry with this text on stdin.
pub fn run_stdin(args: &[&str], input: &str) -> Output {
    Scry::spawn(scry(args), Some(input)).wait(RUN_TIMEOUT)
}

/// Runs `-e PROGRAM` (plus extra args) to completion.
pub fn run_e(prog: &str, extra: &[&str]) -> Output {
    let mut args = vec!["-e", prog];
    args.extend_from_slice(extra);
    run(&args)
}

/// Starts `-e PROGRAM extra...`, waits for the attach line, runs the
/// workload, stops scry with SIGINT and returns its output.
pub fn trace(prog: &str, extra: &[&str], workload: impl FnOnce()) -> Output {
    let mut args = vec!["-e", prog];
    args.extend_from_slice(extra);
    let mut s = Scry::start(&args);
    s.wait_attached();
    workload();
    let out = s.stop();
    assert!(!out.timed_out, "scry did not exit after SIGINT:\n{out}");
    out
}

/// Creates a file of `len` bytes at `path`.
pub fn make_file(path: &Path, len: usize) {
    std::fs::write(path, vec![b'x'; len]).expect("write file");
}

/// Reads `path` once per size in `sizes`, each `read(2)` with exactly that
/// count (the file is large enough to satisfy all of them).
pub fn read_sizes(path: &Path, sizes: &[usize]) {
    let mut f = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; sizes.iter().copied().max().unwrap_or(1)];
    for &n in sizes {
        let got = f.read(&mut buf[..n]).expect("read");
        assert!(got <= n);
    }
}

/// Compiles a C fixture from tests/fixtures into `dir`, returning the binary
/// path, or None (with a message) if no C compiler is available.
pub fn compile_fixture(dir: &TempDir, source: &str, extra: &[&str]) -> Option<PathBuf> {
    fixture::compile_c(&dir.path, source, extra)
}

/// Map output lines (`@...: ...`) of a text run, in order.
pub fn map_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with('@')).collect()
}

/// The uprobe_events lines (tracefs) mentioning any of `needles`.
pub fn uprobe_events_matching(needles: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string("/sys/kernel/tracing/uprobe_events")
        .or_else(|_| std::fs::read_to_string("/sys/kernel/debug/tracing/uprobe_events"))
        .unwrap_or_default();
    text.lines()
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(str::to_string)
        .collect()
}

/// Names of loaded BPF programs (via bpftool), or None if bpftool is absent.
pub fn bpf_prog_names() -> Option<Vec<String>> {
    let out = Command::new("bpftool")
        .args(["prog", "show"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Lines look like: "42: tracepoint  name p0_foo  tag ...".
    Some(
        text.lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                while let Some(w) = it.next() {
                    if w == "name" {
                        return it.next().map(str::to_string);
                    }
                }
                None
            })
            .collect(),
    )
}

type Job = Box<dyn FnOnce() + Send>;

/// A named thread that runs workloads on request, so that a probe can be
/// filtered by its tid and its comm (the thread name) is known in advance.
pub struct Worker {
    pub tid: i32,
    pub name: String,
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    done: Receiver<()>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// `name` is at most 15 bytes (the kernel's comm length).
    pub fn new(name: &str) -> Worker {
        assert!(name.len() <= 15);
        let (jtx, jrx) = channel::<Job>();
        let (dtx, drx) = channel();
        let (ttx, trx) = channel();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let _ = ttx.send(gettid());
                while let Ok(job) = jrx.recv() {
                    job();
                    if dtx.send(()).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn worker");
        let tid = trx
            .recv_timeout(Duration::from_secs(10))
            .expect("worker tid");
        Worker {
            tid,
            name: name.to_string(),
            jobs: Some(jtx),
            done: drx,
            handle: Some(handle),
        }
    }

    pub fn tid_str(&self) -> String {
        self.tid.to_string()
    }

    /// Runs `f` on the worker thread and waits (bounded) for it.
    pub fn run(&self, f: impl FnOnce() + Send + 'static) {
        self.jobs
            .as_ref()
            .unwrap()
            .send(Box::new(f))
            .expect("worker gone");
        self.done
            .recv_timeout(Duration::from_secs(60))
            .expect("workload did not finish (or panicked)");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Waits (bounded) for a child process, killing it on timeout.
pub fn wait_child(c: &mut std::process::Child, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(s)) = c.try_wait() {
            return s.code();
        }
        if Instant::now() >= deadline {
            let _ = c.kill();
            let _ = c.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
