//! The event loop: BEGIN, events from the ring buffer until exit() or a
//! signal (or the traced command's end), END, then the maps.

use crate::decode::Decoder;
use crate::error::RuntimeError;
use crate::session::Session;
use crate::symbols::Symbols;
use scry_lang::spec::EventSpec;
use scry_output::{Printf, Value};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct RunConfig {
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
}

/// The signal that asked us to stop, or 0.
static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

/// Ctrl-C, SIGTERM and SIGHUP end the run cleanly (maps printed, probes
/// detached).
pub fn install_signal_handlers() {
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

/// Something that ends the run when it ends (the `-c` command).
pub trait Watched {
    /// Called once the probes are attached and announced.
    fn start(&mut self) {}
    /// True once it has ended.
    fn ended(&mut self) -> bool;
}

enum Flow {
    Continue,
    Exit,
}

struct Printer<'a> {
    out: &'a mut dyn Write,
    cfg: &'a RunConfig,
}

impl Printer<'_> {
    fn text(&mut self, s: &str) -> std::io::Result<()> {
        if self.cfg.format == Format::Json {
            writeln!(self.out, "{}", scry_output::printf_json(s))
        } else {
            self.out.write_all(s.as_bytes())
        }
    }

    /// Formatted bytes, printed as text (invalid UTF-8 replaced, as
    /// [`scry_output::format_printf`] does; no copy when it is valid).
    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.text(&String::from_utf8_lossy(b))
    }
}

/// What the event loop keeps from one event to the next, so that an event
/// costs no parsing and no allocation of its own: the printf formats
/// parsed (by event id), the stack map's descriptor, and buffers for the
/// event's bytes and its formatted text.
struct Events {
    printfs: Vec<Option<Printf>>,
    stacks_fd: Option<RawFd>,
    bytes: Vec<u8>,
    text: Vec<u8>,
    /// Events handled so far.
    count: usize,
}

impl Events {
    fn new(session: &Session) -> Events {
        Events {
            printfs: session
                .compiled
                .events
                .iter()
                .map(|e| match e {
                    EventSpec::Printf { format, .. } => Some(Printf::new(format)),
                    _ => None,
                })
                .collect(),
            stacks_fd: session.stacks_fd(),
            bytes: Vec::new(),
            text: Vec::new(),
            count: 0,
        }
    }
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .map(|s| u64::from_ne_bytes(s.try_into().unwrap()))
        .unwrap_or(0)
}

fn io_err(e: std::io::Error) -> RuntimeError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return RuntimeError::OutputClosed;
    }
    RuntimeError::Io(format!("output: {e}"))
}

/// Runs an attached session to its end; returns the exit code.
pub fn run(
    session: &mut Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
    mut watched: Option<&mut dyn Watched>,
) -> Result<i32, RuntimeError> {
    let symbols = Symbols::new();
    let mut events = Events::new(session);
    if !cfg.quiet {
        let n = session.compiled.programs.len() as u64;
        let line = match cfg.format {
            Format::Text => scry_output::attached_probes_text(n),
            Format::Json => scry_output::attached_probes_json(n) + "\n",
        };
        out.write_all(line.as_bytes()).map_err(io_err)?;
        out.flush().map_err(io_err)?;
    }
    session.run_begin()?;
    let mut exit = matches!(drain(session, cfg, out, &symbols, &mut events)?, Flow::Exit);
    out.flush().map_err(io_err)?;
    // The traced command starts after BEGIN's output.
    if let Some(w) = watched.as_deref_mut() {
        w.start();
    }
    let fd = session.ringbuf.as_fd().as_raw_fd();
    let mut pacer = crate::pace::Pacer::new();
    while !exit {
        if STOP.load(Ordering::SeqCst) != 0 {
            break;
        }
        if let Some(w) = watched.as_deref_mut() {
            if w.ended() {
                break;
            }
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, 100) };
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Err(RuntimeError::Io(format!(
                "poll: {}",
                std::io::Error::last_os_error()
            )));
        }
        let before = events.count;
        exit = matches!(drain(session, cfg, out, &symbols, &mut events)?, Flow::Exit);
        out.flush().map_err(io_err)?;
        // exit() whose event the full ring buffer dropped.
        if !exit && session.compiled.has_end && session.exit_requested() {
            break;
        }
        if !exit {
            pacer.after_drain(events.count - before);
        }
    }
    session.run_end()?;
    drain(session, cfg, out, &symbols, &mut events)?;
    print_all_maps(session, cfg, out, &symbols)?;
    out.flush().map_err(io_err)?;
    report_losses(session, cfg, out)?;
    Ok(0)
}

/// Says what was lost (see [`crate::losses`]): never silent.
fn report_losses(
    session: &Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
) -> Result<(), RuntimeError> {
    let losses = crate::losses::Losses::of(session);
    for w in losses.warnings(true) {
        eprintln!("{w}");
    }
    if cfg.format == Format::Json {
        if losses.events > 0 {
            writeln!(out, "{}", scry_output::lost_events_json(losses.events)).map_err(io_err)?;
        }
        for (probe, n) in &losses.skipped {
            writeln!(out, "{}", scry_output::skipped_runs_json(probe, *n)).map_err(io_err)?;
        }
    }
    Ok(())
}

/// Handles every event waiting in the ring buffer.
fn drain(
    session: &mut Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
    symbols: &Symbols,
    events: &mut Events,
) -> Result<Flow, RuntimeError> {
    let mut flow = Flow::Continue;
    let mut bytes = std::mem::take(&mut events.bytes);
    while session.next_event(&mut bytes) {
        events.count += 1;
        crate::fault::point("event");
        match handle(session, cfg, out, symbols, events, &bytes) {
            Ok(Flow::Exit) => flow = Flow::Exit,
            Ok(Flow::Continue) => {}
            Err(e) => {
                events.bytes = bytes;
                return Err(e);
            }
        }
    }
    events.bytes = bytes;
    Ok(flow)
}

fn decoder<'a>(session: &'a Session, symbols: &'a Symbols) -> Decoder<'a> {
    decoder_with(session, symbols, session.stacks_fd())
}

fn decoder_with<'a>(
    session: &'a Session,
    symbols: &'a Symbols,
    stacks_fd: Option<RawFd>,
) -> Decoder<'a> {
    Decoder {
        probe_names: &session.compiled.probe_names,
        events: &session.compiled.events,
        symbols,
        stacks_fd,
    }
}

fn args(d: &Decoder, args: &[(scry_lang::types::Type, u32)], bytes: &[u8]) -> Vec<Value> {
    args.iter()
        .map(|(t, off)| d.value(t, bytes.get(8 + *off as usize..).unwrap_or(&[])))
        .collect()
}

fn handle(
    session: &Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
    symbols: &Symbols,
    events: &mut Events,
    bytes: &[u8],
) -> Result<Flow, RuntimeError> {
    let id = u64_at(bytes, 0) as usize;
    let Some(spec) = session.compiled.events.get(id) else {
        return Ok(Flow::Continue);
    };
    let mut p = Printer { out, cfg };
    match spec {
        EventSpec::Printf { format, args: a } => {
            let vals = args(&decoder_with(session, symbols, events.stacks_fd), a, bytes);
            let text = &mut events.text;
            text.clear();
            match events.printfs.get(id) {
                Some(Some(f)) => f.format_into(&vals, text),
                _ => text.extend(scry_output::format_printf_bytes(format, &vals)),
            }
            p.bytes(text).map_err(io_err)?;
        }
        EventSpec::Cat { format, args: a } => {
            let vals = args(&decoder(session, symbols), a, bytes);
            let path = scry_output::format_printf(format, &vals);
            match std::fs::read_to_string(&path) {
                Ok(s) => p.text(&s).map_err(io_err)?,
                Err(e) => eprintln!("cat(\"{path}\"): {e}"),
            }
        }
        EventSpec::System { format, args: a } => {
            let vals = args(&decoder(session, symbols), a, bytes);
            let cmd = scry_output::format_printf(format, &vals);
            p.out.flush().map_err(io_err)?;
            match std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&cmd)
                .output()
            {
                Ok(o) => p
                    .text(&String::from_utf8_lossy(&o.stdout))
                    .map_err(io_err)?,
                Err(e) => eprintln!("system(\"{cmd}\"): {e}"),
            }
        }
        EventSpec::PrintValue { ty } => {
            let v = decoder(session, symbols).value(ty, bytes.get(8..).unwrap_or(&[]));
            if cfg.format == Format::Json {
                writeln!(p.out, "{}", scry_output::value_json(&v)).map_err(io_err)?;
            } else {
                p.text(&format!("{}\n", scry_output::format_value(&v)))
                    .map_err(io_err)?;
            }
        }
        EventSpec::PrintMap { map, top, div } => {
            print_map(session, cfg, p.out, symbols, *map, *top as usize, *div)?;
        }
        EventSpec::Clear { map } | EventSpec::Zero { map } => {
            let zero = matches!(spec, EventSpec::Zero { .. });
            let m = &session.compiled.maps[*map];
            crate::mapread::clear_map(m, session.map_fds[*map], session.ncpus, zero)
                .map_err(|e| RuntimeError::Io(format!("clearing {}: {e}", m.name)))?;
        }
        EventSpec::Time { format } => {
            let now = crate::symbols::boot_to_unix_ns(crate::session::monotonic_ns());
            let text = scry_output::format_time(format, now);
            if cfg.format == Format::Json {
                writeln!(p.out, "{}", scry_output::time_json(&text)).map_err(io_err)?;
            } else {
                p.text(&text).map_err(io_err)?;
            }
        }
        EventSpec::Exit => return Ok(Flow::Exit),
        EventSpec::Join {
            sep,
            elems,
            elem_size,
        } => {
            let parts: Vec<String> = (0..*elems as usize)
                .map(|i| {
                    let at = 8 + i * *elem_size as usize;
                    crate::decode::c_string(bytes.get(at..at + *elem_size as usize).unwrap_or(&[]))
                })
                .take_while(|s| !s.is_empty())
                .collect();
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            let text = match cfg.format {
                Format::Text => scry_output::join_text(&refs, sep),
                Format::Json => scry_output::join_json(&refs, sep) + "\n",
            };
            p.out.write_all(text.as_bytes()).map_err(io_err)?;
        }
        EventSpec::Delete { .. } | EventSpec::TimeFormat { .. } => {}
    }
    Ok(Flow::Continue)
}

fn print_map(
    session: &Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
    symbols: &Symbols,
    i: usize,
    top: usize,
    div: u64,
) -> Result<(), RuntimeError> {
    let m = &session.compiled.maps[i];
    let dump = crate::mapread::read_map(
        &decoder(session, symbols),
        m,
        session.map_fds[i],
        session.ncpus,
    )
    .map_err(|e| RuntimeError::Io(format!("reading {}: {e}", m.name)))?;
    let text = match cfg.format {
        Format::Text => scry_output::print_map_text(&dump, top, div),
        Format::Json => scry_output::map_json(&dump, top, div)
            .map(|l| l + "\n")
            .unwrap_or_default(),
    };
    out.write_all(text.as_bytes()).map_err(io_err)
}

/// At exit, bpftrace prints every map, in name order.
fn print_all_maps(
    session: &Session,
    cfg: &RunConfig,
    out: &mut dyn Write,
    symbols: &Symbols,
) -> Result<(), RuntimeError> {
    let d = decoder(session, symbols);
    let mut dumps = Vec::new();
    for (i, m) in session.compiled.maps.iter().enumerate() {
        let dump = crate::mapread::read_map(&d, m, session.map_fds[i], session.ncpus)
            .map_err(|e| RuntimeError::Io(format!("reading {}: {e}", m.name)))?;
        dumps.push(dump);
    }
    let text = match cfg.format {
        Format::Text => scry_output::end_of_run_text(&dumps),
        Format::Json => scry_output::end_of_run_json(&dumps),
    };
    out.write_all(text.as_bytes()).map_err(io_err)
}
