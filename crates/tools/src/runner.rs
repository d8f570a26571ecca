//! The event loop every tool shares: events from the ring buffer handed to
//! the output plan, interval ticks (`interval count`), `-d DURATION`, and a
//! clean end on Ctrl-C, SIGTERM or SIGHUP.

use crate::params::Params;
use crate::select::Chosen;
use scry_lang::spec::EventSpec;
use scry_output::Value;
use scry_runtime::decode::Decoder;
use scry_runtime::session::Session;
use scry_runtime::symbols::Symbols;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// What an output plan does with the run.
pub trait Printer {
    /// Once attached: the "Tracing ..." line, the header.
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()>;
    /// One `printf()` event: its index among the script's printfs, and its
    /// arguments.
    fn event(&mut self, index: usize, args: &[Value], out: &mut dyn Write) -> std::io::Result<()>;
    /// An interval has passed (or the run ends): the text to print; the
    /// maps are reset.
    fn tick(&mut self, _session: &Session) -> Result<String, String> {
        Ok(String::new())
    }
    /// Whether [`Printer::tick`] prints anything (histograms, counts).
    fn ticks(&self) -> bool {
        false
    }
    /// Whether the printer has printed all it was asked to (trace `-M`):
    /// the run then ends.
    fn done(&self) -> bool {
        false
    }
    /// The text printed last, after the final tick ("Detaching...").
    fn end(&mut self) -> String {
        String::new()
    }
    /// The interval used when none is given (argdist prints every second).
    fn default_interval(&self) -> Option<Duration> {
        None
    }
}

static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The local time of day, `HH:MM:SS`. (Rows call it for every event: the
/// text is made once per second.)
pub fn clock_time() -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs {
            *last = (secs, local_time(secs as libc::time_t));
        }
        last.1.clone()
    })
}

/// `HH:MM:SS` of a time in seconds since the epoch, in local time.
fn local_time(t: libc::time_t) -> String {
    // SAFETY: localtime_r() with valid in and out parameters.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}

/// The local time as HH:MM:SS.mmm (biosnoop's TIMESTAMP).
pub fn clock_time_ms() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // SAFETY: localtime_r() with valid in and out parameters.
    unsafe {
        let t = now.as_secs() as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            now.subsec_millis()
        )
    }
}

/// When the run stops on its own.
struct Schedule {
    interval: Option<Duration>,
    count: Option<u64>,
    deadline: Option<Instant>,
}

impl Schedule {
    fn new(params: &Params, printer: &dyn Printer) -> Schedule {
        let secs = |name: &str| {
            params
                .get_int(name)
                .filter(|&v| v > 0)
                .map(|v| Duration::from_secs(v as u64))
        };
        Schedule {
            interval: secs("interval").or(printer.default_interval()),
            // argdist spells the number of outputs `-n` (`--number`).
            count: params
                .get_int("count")
                .or(params.get_int("number"))
                .filter(|&c| c > 0)
                .map(|c| c as u64),
            deadline: secs("duration").map(|d| Instant::now() + d),
        }
    }
}

/// Maps an event id to its `printf()` in the script: the index of its
/// format among the distinct formats, in order. (A probe with several
/// attach points is compiled into one program per point, each with its
/// own event ids; the tools give each of their printfs its own format.)
pub fn printf_indexes(events: &[EventSpec]) -> Vec<Option<usize>> {
    let mut formats: Vec<&str> = Vec::new();
    events
        .iter()
        .map(|e| match e {
            EventSpec::Printf { format, .. } => {
                Some(formats.iter().position(|f| f == format).unwrap_or_else(|| {
                    formats.push(format);
                    formats.len() - 1
                }))
            }
            _ => None,
        })
        .collect()
}

/// Handles every event waiting in the ring buffer; false once the script
/// called `exit()`. `count` is increased by the number of events; `bytes`
/// holds one event at a time.
fn drain(
    session: &mut Session,
    indexes: &[Option<usize>],
    symbols: &Symbols,
    printer: &mut dyn Printer,
    out: &mut dyn Write,
    bytes: &mut Vec<u8>,
    count: &mut usize,
) -> std::io::Result<bool> {
    let mut go_on = true;
    let stacks_fd = session.stacks_fd();
    while session.next_event(bytes) {
        *count += 1;
        let id = bytes
            .get(..8)
            .map_or(u64::MAX, |b| u64::from_ne_bytes(b.try_into().unwrap()))
            as usize;
        match session.compiled.events.get(id) {
            Some(EventSpec::Printf { args, .. }) => {
                let d = Decoder {
                    probe_names: &session.compiled.probe_names,
                    events: &session.compiled.events,
                    symbols,
                    stacks_fd,
                };
                let vals: Vec<Value> = args
                    .iter()
                    .map(|(t, off)| d.value(t, bytes.get(8 + *off as usize..).unwrap_or(&[])))
                    .collect();
                if let Some(Some(i)) = indexes.get(id) {
                    printer.event(*i, &vals, out)?;
                }
            }
            Some(EventSpec::Exit) => go_on = false,
            _ => {}
        }
    }
    Ok(go_on)
}

/// A closed pipe (`| head`) ends the run quietly.
fn io_end(e: std::io::Error) -> Result<i32, String> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(0)
    } else {
        Err(format!("output: {e}"))
    }
}

/// Runs an attached tool to its end; returns the exit code.
pub fn run(
    chosen: &mut Chosen,
    params: &Params,
    printer: &mut dyn Printer,
    out: &mut dyn Write,
) -> Result<i32, String> {
    install_signal_handlers();
    let session = &mut chosen.session;
    let indexes = printf_indexes(&session.compiled.events);
    let symbols = Symbols::new();
    let sched = Schedule::new(params, printer);
    if let Err(e) = printer.start(out).and_then(|_| out.flush()) {
        return io_end(e);
    }
    session.run_begin().map_err(|e| e.to_string())?;
    let fd = session.ringbuf.as_fd().as_raw_fd();
    let (mut bytes, mut count) = (Vec::new(), 0usize);
    let mut pacer = scry_runtime::pace::Pacer::new();
    let mut next_tick = sched.interval.map(|i| Instant::now() + i);
    let mut ticks = 0u64;
    let mut printed_last;
    loop {
        let now = Instant::now();
        let wake = [next_tick, sched.deadline].into_iter().flatten().min();
        let wait = wake.map_or(Duration::from_millis(200), |w| {
            w.saturating_duration_since(now)
                .min(Duration::from_millis(200))
        });
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, wait.as_millis() as libc::c_int) };
        let before = count;
        let go_on = match drain(
            session, &indexes, &symbols, printer, out, &mut bytes, &mut count,
        ) {
            Ok(g) => g,
            Err(e) => return io_end(e),
        };
        if let Err(e) = out.flush() {
            return io_end(e);
        }
        printed_last = false;
        if !go_on || printer.done() || STOP.load(Ordering::SeqCst) != 0 {
            break;
        }
        let now = Instant::now();
        if let (Some(t), Some(every)) = (next_tick, sched.interval) {
            if now >= t {
                let text = printer.tick(session)?;
                if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    return io_end(e);
                }
                printed_last = true;
                ticks += 1;
                if sched.count.is_some_and(|c| ticks >= c) {
                    break;
                }
                next_tick = Some(t + every);
            }
        }
        if sched.deadline.is_some_and(|d| now >= d) {
            break;
        }
        pacer.after_drain(count - before);
    }
    session.run_end().map_err(|e| e.to_string())?;
    if let Err(e) = drain(
        session, &indexes, &symbols, printer, out, &mut bytes, &mut count,
    ) {
        return io_end(e);
    }
    // Histograms and counts are printed at the end too (Ctrl-C, -d), as
    // BCC does, unless the last interval was just printed.
    if printer.ticks() && !printed_last {
        let text = printer.tick(session)?;
        if let Err(e) = out.write_all(text.as_bytes()) {
            return io_end(e);
        }
    }
    if let Err(e) = out.write_all(printer.end().as_bytes()) {
        return io_end(e);
    }
    if let Err(e) = out.flush() {
        return io_end(e);
    }
    for w in scry_runtime::losses::Losses::of(session).warnings(false) {
        eprintln!("{w}");
    }
    Ok(0)
}

/// Clears a map of the script by name (histograms and counts are reset
/// after every interval).
pub fn clear_map(session: &Session, name: &str) -> Result<(), String> {
    let Some(i) = session.compiled.maps.iter().position(|m| m.name == name) else {
        return Ok(());
    };
    let m = &session.compiled.maps[i];
    scry_runtime::mapread::clear_map(m, session.map_fds[i], session.ncpus, false)
        .map_err(|e| format!("clearing {name}: {e}"))
}

/// Reads a map of the script by name; an absent map reads as empty.
pub fn read_map(session: &Session, name: &str) -> Result<scry_output::MapDump, String> {
    if !session.compiled.maps.iter().any(|m| m.name == name) {
        return Ok(scry_output::MapDump::new(name, scry_output::MapKind::Count));
    }
    session.read_map(name).map_err(|e| e.to_string())
}
