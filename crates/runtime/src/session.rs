//! A loaded script: the object loaded through aya, programs attached, maps
//! and the ring buffer at hand. Dropping it detaches everything (all
//! attachments are fd-scoped, so the kernel also cleans up after SIGKILL).

use crate::bpfsys;
use crate::error::{privileges_hint, RuntimeError};
use crate::features::{Feature, NotSupported};
use crate::sysenv::SysEnv;
use crate::timing;
use aya::maps::{Map, MapData, RingBuf};
use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy};
use aya::programs::uprobe::{UProbeAttachLocation, UProbeScope};
use aya::programs::{KProbe, PerfEvent, Program, ProgramError, RawTracePoint, TracePoint, UProbe};
use aya::{Btf, Ebpf, VerifierLogLevel};
use scry_lang::spec::{Attach, Compiled, ProgramSpec, GLOBALS_MAP, LOST_MAP, RINGBUF_MAP};
use std::num::NonZeroU32;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

pub struct Session {
    /// The programs loaded without aya (rawload.rs), with their links;
    /// dropped (detached) first.
    own: Vec<OwnProgram>,
    /// The links of the programs aya loaded, detached together on drop.
    links: Links,
    pub ebpf: Ebpf,
    pub compiled: Compiled,
    pub ringbuf: RingBuf<MapData>,
    /// Map fds of the script's maps, by map index.
    pub map_fds: Vec<RawFd>,
    pub lost_fd: Option<RawFd>,
    pub ncpus: u32,
    /// The script's file name, for messages (`stdin` for -e).
    pub file: String,
    pub source: String,
}

/// The links of attached programs, owned here rather than by aya's
/// programs so that they can be closed in parallel: closing a perf-event
/// tracepoint or kprobe waits for RCU grace periods (some 80 ms here), one
/// after the other when closed in turn, where concurrent closes share them.
#[derive(Default)]
struct Links(Vec<Box<dyn Send>>);

impl Links {
    fn keep(&mut self, link: impl Send + 'static) {
        self.0.push(Box::new(link));
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let mut links = std::mem::take(&mut self.0);
        if links.len() < 2 {
            return;
        }
        let threads = links.len().min(32);
        let per = links.len().div_ceil(threads);
        std::thread::scope(|s| {
            while !links.is_empty() {
                let chunk: Vec<_> = links.drain(..per.min(links.len())).collect();
                // A thread that cannot start closes its links here.
                if let Err(e) = std::thread::Builder::new().spawn_scoped(s, move || drop(chunk)) {
                    drop(e);
                }
            }
        });
    }
}

/// A program loaded by rawload.rs: dropping it detaches and unloads it.
struct OwnProgram {
    name: String,
    prog: OwnedFd,
    link: Option<OwnedFd>,
}

fn map_data(map: &Map) -> Option<&MapData> {
    Some(match map {
        Map::HashMap(m)
        | Map::PerCpuHashMap(m)
        | Map::Array(m)
        | Map::PerCpuArray(m)
        | Map::StackTraceMap(m)
        | Map::LruHashMap(m)
        | Map::RingBuf(m)
        | Map::Unsupported(m) => m,
        _ => return None,
    })
}

/// The fd of the object's map named `symbol`, while the object holds it.
fn map_fd_in(ebpf: &Ebpf, symbol: &str) -> Option<RawFd> {
    ebpf.map(symbol)
        .and_then(map_data)
        .map(|d| d.fd().as_fd().as_raw_fd())
}

/// The monotonic clock, in ns (what `nsecs` reads in the kernel).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec out-parameter.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Checks that the kernel supports every program's attach kind.
pub fn check_features(compiled: &Compiled, env: &SysEnv) -> Result<(), RuntimeError> {
    let f = env.features();
    for p in &compiled.programs {
        let need = match &p.attach {
            Attach::Kprobe { .. } | Attach::Kretprobe { .. } => Some(Feature::Kprobes),
            Attach::Uprobe { .. } | Attach::Usdt { .. } => Some(Feature::Uprobes),
            Attach::PerfEvent { hardware: true, .. } => Some(Feature::HardwareEvents),
            Attach::Fentry { .. } | Attach::Fexit { .. } => {
                if !env.fentry_supported() {
                    return Err(NotSupported {
                        feature: Feature::Fentry,
                    }
                    .into());
                }
                None
            }
            _ => None,
        };
        if let Some(feature) = need {
            f.require(feature)?;
        }
    }
    Ok(())
}

impl Session {
    /// Loads the object and creates its maps; verifies every program.
    pub fn load(
        compiled: Compiled,
        env: &SysEnv,
        file: &str,
        source: &str,
    ) -> Result<Session, RuntimeError> {
        timing::mark("load: begin");
        check_features(&compiled, env)?;
        if compiled.programs.iter().any(|p| {
            matches!(
                p.attach,
                Attach::Tracepoint { .. }
                    | Attach::RawTracepoint { .. }
                    | Attach::Kprobe { .. }
                    | Attach::Kretprobe { .. }
            )
        }) {
            crate::tracefs::root().map_err(RuntimeError::Permission)?;
        }
        timing::mark("load: checks");
        // No vmlinux BTF parse: generated code has no CO-RE relocations
        // (see loader.rs); fentry/fexit get theirs in load_program.
        let mut loader = crate::loader::ebpf_loader();
        // aya's own log on failure: the statistics only (see
        // verifier_log.rs), unless fentry/fexit, which only aya can load.
        if !compiled
            .programs
            .iter()
            .any(|p| matches!(p.attach, Attach::Fentry { .. } | Attach::Fexit { .. }))
        {
            loader.verifier_log_level(VerifierLogLevel::STATS);
        }
        timing::mark("load: loader");
        let mut ebpf = loader
            .load(&compiled.object)
            .map_err(|e| load_error(&e.to_string()))?;
        timing::mark("load: object and maps");
        let mut btf = None;
        let mut own = Vec::new();
        for spec in &compiled.programs {
            match crate::rawload::kind_of(spec) {
                Some(kind) if matches!(spec.attach, Attach::BtfTracepoint { .. }) => {
                    own.push(load_own(&ebpf, spec, kind, file, source)?);
                }
                _ => load_program(&mut ebpf, spec, file, source, &mut btf)?,
            }
        }
        drop(btf);
        timing::mark("load: programs verified");
        let mut map_fds = Vec::new();
        for m in &compiled.maps {
            let fd = map_fd_in(&ebpf, &m.symbol)
                .ok_or_else(|| RuntimeError::Load(format!("map {} was not created", m.name)))?;
            map_fds.push(fd);
        }
        let lost_fd = map_fd_in(&ebpf, LOST_MAP);
        if let Some(fd) = map_fd_in(&ebpf, GLOBALS_MAP) {
            bpfsys::map_update(fd, &0u32.to_ne_bytes(), &monotonic_ns().to_ne_bytes())
                .map_err(|e| RuntimeError::Load(format!("cannot set the start time: {e}")))?;
        }
        let rb_map = ebpf
            .take_map(RINGBUF_MAP)
            .ok_or_else(|| RuntimeError::Load("the ring buffer was not created".into()))?;
        let ringbuf = RingBuf::try_from(rb_map)
            .map_err(|e| RuntimeError::Load(format!("ring buffer: {e}")))?;
        Ok(Session {
            own,
            links: Links::default(),
            ebpf,
            compiled,
            ringbuf,
            map_fds,
            lost_fd,
            ncpus: scry_lang::env::Env::ncpus(env),
            file: file.to_string(),
            source: source.to_string(),
        })
    }

    /// Attaches every program except BEGIN and END.
    pub fn attach(&mut self) -> Result<(), RuntimeError> {
        let programs = self.compiled.programs.clone();
        for spec in &programs {
            if let Some(own) = self.own.iter_mut().find(|o| o.name == spec.name) {
                let link = crate::rawload::attach_raw_tracepoint(own.prog.as_raw_fd())
                    .map_err(|e| attach_err(spec, e))?;
                own.link = Some(link);
                continue;
            }
            attach_program(&mut self.ebpf, spec, &mut self.links)?;
        }
        timing::mark("attach");
        Ok(())
    }

    fn run_special(&mut self, which: Attach) -> Result<(), RuntimeError> {
        let names: Vec<String> = self
            .compiled
            .programs
            .iter()
            .filter(|p| p.attach == which)
            .map(|p| p.name.clone())
            .collect();
        for name in names {
            let prog = self
                .ebpf
                .program(&name)
                .ok_or_else(|| RuntimeError::Load(format!("no program {name}")))?;
            let fd = prog
                .fd()
                .map_err(|e| RuntimeError::Load(e.to_string()))?
                .as_fd()
                .as_raw_fd();
            bpfsys::test_run(fd)
                .map_err(|e| RuntimeError::Load(format!("cannot run {which:?}: {e}")))?;
        }
        Ok(())
    }

    pub fn run_begin(&mut self) -> Result<(), RuntimeError> {
        self.run_special(Attach::Begin)
    }

    pub fn run_end(&mut self) -> Result<(), RuntimeError> {
        self.run_special(Attach::End)
    }

    /// Copies the next event waiting in the ring buffer into `into`
    /// (reusing its memory); false when none is waiting.
    pub fn next_event(&mut self, into: &mut Vec<u8>) -> bool {
        let Some(item) = self.ringbuf.next() else {
            return false;
        };
        into.clear();
        into.extend_from_slice(&item);
        true
    }

    /// The fd of a loaded program, by symbol.
    pub fn program_fd(&self, name: &str) -> Option<RawFd> {
        if let Some(own) = self.own.iter().find(|o| o.name == name) {
            return Some(own.prog.as_raw_fd());
        }
        Some(self.ebpf.program(name)?.fd().ok()?.as_fd().as_raw_fd())
    }

    /// The fd of a map of the object, by symbol.
    pub fn map_fd(&self, symbol: &str) -> Option<RawFd> {
        map_fd_in(&self.ebpf, symbol)
    }

    /// The stack-trace map, when the script records stacks.
    pub fn stacks_fd(&self) -> Option<RawFd> {
        map_fd_in(&self.ebpf, scry_lang::spec::STACKS_MAP)
    }

    /// Reads a map of the script by its name (`@`, `@x`) into the output
    /// model: per-CPU values combined, keys and values decoded.
    pub fn read_map(&self, name: &str) -> Result<scry_output::MapDump, RuntimeError> {
        let i = self
            .compiled
            .maps
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| RuntimeError::Io(format!("the script has no map {name}")))?;
        let symbols = crate::symbols::Symbols::new();
        let d = crate::decode::Decoder {
            probe_names: &self.compiled.probe_names,
            events: &self.compiled.events,
            symbols: &symbols,
            stacks_fd: self.stacks_fd(),
        };
        crate::mapread::read_map(&d, &self.compiled.maps[i], self.map_fds[i], self.ncpus)
            .map_err(|e| RuntimeError::Io(format!("reading {name}: {e}")))
    }

    /// Events dropped because the ring buffer was full, summed over CPUs.
    pub fn lost_events(&self) -> u64 {
        self.counter(0)
    }

    /// Updates of map `i` refused because it was full.
    pub fn map_full_drops(&self, i: usize) -> u64 {
        self.counter(2 + i as u32)
    }

    /// Whether a program called exit().
    pub fn exit_requested(&self) -> bool {
        self.counter(1) > 0
    }

    fn counter(&self, index: u32) -> u64 {
        let Some(fd) = self.lost_fd else { return 0 };
        let mut buf = vec![0u8; 8 * self.ncpus as usize];
        match bpfsys::map_lookup(fd, &index.to_ne_bytes(), &mut buf) {
            Ok(true) => buf
                .chunks(8)
                .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
                .sum(),
            _ => 0,
        }
    }
}

fn load_error(msg: &str) -> RuntimeError {
    RuntimeError::Load(format!("cannot load the BPF object: {msg}"))
}

fn load_program(
    ebpf: &mut Ebpf,
    spec: &ProgramSpec,
    file: &str,
    source: &str,
    btf: &mut Option<Btf>,
) -> Result<(), RuntimeError> {
    let prog = ebpf.program_mut(&spec.name).ok_or_else(|| {
        RuntimeError::Load(format!("program {} missing from the object", spec.name))
    })?;
    let r = match prog {
        Program::TracePoint(p) => p.load(),
        Program::RawTracePoint(p) => p.load(),
        Program::KProbe(p) => p.load(),
        Program::UProbe(p) => p.load(),
        Program::PerfEvent(p) => p.load(),
        Program::FEntry(p) => {
            let btf = kernel_btf(btf)?;
            let Attach::Fentry { function } = &spec.attach else {
                unreachable!()
            };
            p.load(function, btf)
        }
        Program::FExit(p) => {
            let btf = kernel_btf(btf)?;
            let Attach::Fexit { function } = &spec.attach else {
                unreachable!()
            };
            p.load(function, btf)
        }
        other => {
            return Err(RuntimeError::Load(format!(
                "unexpected program type {:?} for {}",
                other.prog_type(),
                spec.probe
            )))
        }
    };
    r.map_err(|e| {
        // The instruction trace, for the script line (1 MiB of its tail).
        let map_fd = |name: &str| map_fd_in(ebpf, name);
        let trace = match crate::verifier_log::load_for_log(spec, map_fd, 1, 1 << 20) {
            Ok((false, log)) => Some(log),
            _ => None,
        };
        program_error(e, trace, spec, file, source)
    })
}

/// Loads a program aya would load only with its own model of the kernel's
/// BTF (see rawload.rs).
fn load_own(
    ebpf: &Ebpf,
    spec: &ProgramSpec,
    kind: crate::rawload::Kind,
    file: &str,
    source: &str,
) -> Result<OwnProgram, RuntimeError> {
    let map_fd = |name: &str| map_fd_in(ebpf, name);
    match crate::rawload::load(spec, kind, map_fd, 0, &mut []) {
        Ok(prog) => Ok(OwnProgram {
            name: spec.name.clone(),
            prog,
            link: None,
        }),
        Err(e) => {
            let log = match crate::verifier_log::load_for_log(spec, map_fd, 1, 1 << 20) {
                Ok((_, log)) => log,
                Err(why) => format!("(no log: {why})"),
            };
            Err(verifier_error(&e, log, spec, file, source))
        }
    }
}

/// aya's view of the kernel BTF, which fentry/fexit loads need: parsed on
/// the first such program, shared by the rest of the load.
fn kernel_btf(btf: &mut Option<Btf>) -> Result<&Btf, RuntimeError> {
    if btf.is_none() {
        let parsed =
            Btf::from_sys_fs().map_err(|e| RuntimeError::Load(format!("kernel BTF: {e}")))?;
        *btf = Some(parsed);
    }
    Ok(btf.as_ref().expect("just set"))
}

/// A program load failure: the verifier's verdict mapped to a script line.
/// `trace` is the verifier's instruction log when we could load the program
/// for it; aya's log (statistics only) otherwise.
fn program_error(
    e: ProgramError,
    trace: Option<String>,
    spec: &ProgramSpec,
    file: &str,
    source: &str,
) -> RuntimeError {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = trace.unwrap_or_else(|| verifier_log.to_string());
            verifier_error(&io_error, log, spec, file, source)
        }
        other => RuntimeError::Load(format!("{}: {other}", spec.probe)),
    }
}

/// A program the kernel refused: the verifier's verdict on its script line.
fn verifier_error(
    io_error: &std::io::Error,
    log: String,
    spec: &ProgramSpec,
    file: &str,
    source: &str,
) -> RuntimeError {
    if let Some(hint) = privileges_hint(io_error) {
        return RuntimeError::Permission(hint);
    }
    let ex = scry_asm::verifier::explain(&log);
    let line = ex
        .insn
        .and_then(|i| spec.lines.get(i))
        .copied()
        .unwrap_or(0);
    let mut message = if line > 0 {
        let text = source.lines().nth(line as usize - 1).unwrap_or("").trim();
        format!(
            "{file}:{line}: error: the BPF verifier rejected {}: {}\n{text}",
            spec.probe, ex.message
        )
    } else {
        format!(
            "error: the BPF verifier rejected {}: {} ({io_error})",
            spec.probe, ex.message
        )
    };
    if let Some(h) = ex.hint {
        message.push_str(&format!("\nHINT: {h}"));
    }
    RuntimeError::Verifier { message, log }
}

fn attach_err(spec: &ProgramSpec, e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Attach {
        probe: spec.probe.clone(),
        message: format!("cannot attach: {e}"),
    }
}

fn software_config(hardware: bool, config: u64) -> PerfEventConfig {
    PerfEventConfig::Pmu {
        pmu_type: if hardware { 0 } else { 1 },
        config,
    }
}

/// Attaches one program; its links go to `links` (see [`Links`]).
fn attach_program(
    ebpf: &mut Ebpf,
    spec: &ProgramSpec,
    links: &mut Links,
) -> Result<(), RuntimeError> {
    let prog = ebpf.program_mut(&spec.name).expect("loaded program");
    let e = |err: ProgramError| attach_err(spec, source_chain(&err));
    match (&spec.attach, prog) {
        (Attach::Begin | Attach::End, _) => {}
        (Attach::Tracepoint { category, event }, Program::TracePoint(p)) => {
            let p: &mut TracePoint = p;
            let id = p.attach(category, event).map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (Attach::RawTracepoint { event }, Program::RawTracePoint(p)) => {
            let p: &mut RawTracePoint = p;
            let id = p.attach(event).map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (Attach::Kprobe { function, offset }, Program::KProbe(p)) => {
            let p: &mut KProbe = p;
            let id = p.attach(function, *offset).map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (Attach::Kretprobe { function }, Program::KProbe(p)) => {
            let id = p.attach(function, 0).map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (Attach::Fentry { .. }, Program::FEntry(p)) => {
            let id = p.attach().map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (Attach::Fexit { .. }, Program::FExit(p)) => {
            let id = p.attach().map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (
            Attach::Uprobe {
                path, offset, pid, ..
            },
            Program::UProbe(p),
        )
        | (
            Attach::Usdt {
                path, offset, pid, ..
            },
            Program::UProbe(p),
        ) => {
            let p: &mut UProbe = p;
            let scope = match pid.and_then(|p| NonZeroU32::new(p as u32)) {
                Some(pid) => UProbeScope::OneProcess(pid),
                None => UProbeScope::AllProcesses,
            };
            let id = p
                .attach(UProbeAttachLocation::AbsoluteOffset(*offset), path, scope)
                .map_err(e)?;
            links.keep(p.take_link(id).map_err(e)?);
        }
        (
            Attach::Timer {
                freq,
                period_ns,
                all_cpus,
            },
            Program::PerfEvent(p),
        ) => {
            let p: &mut PerfEvent = p;
            let policy = match (freq, period_ns) {
                (Some(f), _) => SamplePolicy::Frequency(*f),
                (_, Some(ns)) => SamplePolicy::Period(*ns),
                _ => SamplePolicy::Frequency(99),
            };
            let cpus: Vec<u32> = if *all_cpus { online_cpus() } else { vec![0] };
            for cpu in cpus {
                let id = p
                    .attach(
                        software_config(false, 0),
                        PerfEventScope::AllProcessesOneCpu { cpu },
                        policy,
                        false,
                    )
                    .map_err(e)?;
                links.keep(p.take_link(id).map_err(e)?);
            }
        }
        (
            Attach::PerfEvent {
                hardware,
                config,
                period,
            },
            Program::PerfEvent(p),
        ) => {
            for cpu in online_cpus() {
                let id = p
                    .attach(
                        software_config(*hardware, *config),
                        PerfEventScope::AllProcessesOneCpu { cpu },
                        SamplePolicy::Period(*period),
                        false,
                    )
                    .map_err(e)?;
                links.keep(p.take_link(id).map_err(e)?);
            }
        }
        (a, p) => {
            return Err(attach_err(
                spec,
                format!("program type {:?} does not match {a:?}", p.prog_type()),
            ));
        }
    }
    Ok(())
}

/// The error with its causes, on one line.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// Online CPUs, from /sys/devices/system/cpu/online.
pub fn online_cpus() -> Vec<u32> {
    let text =
        std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_else(|_| "0".into());
    let mut cpus = Vec::new();
    for part in text.trim().split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    cpus.extend(a..=b);
                }
            }
            None => {
                if let Ok(c) = part.parse() {
                    cpus.push(c);
                }
            }
        }
    }
    if cpus.is_empty() {
        cpus.push(0);
    }
    cpus
}
