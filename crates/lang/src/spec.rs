//! What the compiler hands to the runtime: the object, and for each
//! program, map and event what the runtime needs to attach, read and print.

use crate::types::{Agg, Type};

/// Where a program is attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attach {
    /// Run once at start (`BEGIN`), through `BPF_PROG_TEST_RUN`.
    Begin,
    /// Run once at exit (`END`).
    End,
    Tracepoint {
        category: String,
        event: String,
    },
    RawTracepoint {
        event: String,
    },
    /// A raw tracepoint whose arguments the kernel types by BTF (`tp_btf`):
    /// loaded as a tracing program against the `btf_trace_EVENT` typedef
    /// (`btf_id`, in vmlinux BTF), so pointer arguments are kernel
    /// pointers the program may read directly.
    BtfTracepoint {
        event: String,
        btf_id: u32,
    },
    Kprobe {
        function: String,
        offset: u64,
    },
    Kretprobe {
        function: String,
    },
    Fentry {
        function: String,
    },
    Fexit {
        function: String,
    },
    Uprobe {
        path: String,
        /// File offset of the probed instruction.
        offset: u64,
        retprobe: bool,
        pid: Option<i32>,
    },
    Usdt {
        path: String,
        offset: u64,
        semaphore: u64,
        pid: Option<i32>,
    },
    /// `profile:hz:N` (all CPUs) and `interval:...` (one CPU): a cpu-clock
    /// perf event.
    Timer {
        /// Sampling frequency (`hz`) or period in nanoseconds.
        freq: Option<u64>,
        period_ns: Option<u64>,
        all_cpus: bool,
    },
    /// `software:EVENT:N` / `hardware:EVENT:N`
    PerfEvent {
        hardware: bool,
        config: u64,
        period: u64,
    },
}

#[derive(Clone, Debug)]
pub struct ProgramSpec {
    /// Symbol name in the object.
    pub name: String,
    /// ELF section name (aya derives the program type from it).
    pub section: String,
    pub attach: Attach,
    /// The probe as a user would write it (`tracepoint:syscalls:sys_enter_openat`).
    pub probe: String,
    /// Instruction index → script line, for verifier messages.
    pub lines: Vec<u32>,
    /// The encoded instructions and their map relocations (as in the
    /// object), for tools that load the program themselves (`-d verifier`).
    pub code: Vec<u8>,
    pub map_relocs: Vec<(usize, String)>,
    pub insn_count: usize,
}

/// How a map's values are read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapValue {
    /// `@x = expr`: the value as stored.
    Scalar(Type),
    /// An aggregation; per-CPU slots are summed (or min/max'ed) in user space.
    Agg(Agg),
}

#[derive(Clone, Debug)]
pub struct MapSpec {
    /// The script's name, `@x` or `@`.
    pub name: String,
    /// Symbol name in the object.
    pub symbol: String,
    /// The key's types: empty for `@x`, one per key expression otherwise.
    pub key: Vec<Type>,
    pub key_size: u32,
    pub value: MapValue,
    pub value_size: u32,
    pub bpf_type: u32,
    pub max_entries: u32,
    pub percpu: bool,
}

/// A record sent through the ring buffer: its first 8 bytes are the event id.
#[derive(Clone, Debug)]
pub enum EventSpec {
    Printf {
        format: String,
        args: Vec<(Type, u32)>,
    },
    /// `print(@m)` / `print(@m, top, div)`
    PrintMap {
        map: usize,
        top: u64,
        div: u64,
    },
    /// `print(expr)`
    PrintValue {
        ty: Type,
    },
    Clear {
        map: usize,
    },
    Zero {
        map: usize,
    },
    Delete {
        map: usize,
    },
    /// `time(fmt)`
    Time {
        format: String,
    },
    /// `system(fmt, args)`
    System {
        format: String,
        args: Vec<(Type, u32)>,
    },
    /// `cat(fmt, args)`
    Cat {
        format: String,
        args: Vec<(Type, u32)>,
    },
    /// `join(array, sep)`
    Join {
        sep: String,
        elems: u32,
        elem_size: u32,
    },
    /// A `strftime()` format, referenced by Timestamp values.
    TimeFormat {
        format: String,
    },
    Exit,
}

/// Names of maps the runtime itself uses.
pub const RINGBUF_MAP: &str = "events";
/// Counters (PERCPU_ARRAY of u64): index 0 counts events dropped by a full
/// ring buffer, 1 exit() calls (so that exit works even when its event is
/// lost), 2 + i updates refused by map i.
pub const LOST_MAP: &str = "lost";
pub const SCRATCH_MAP: &str = "scratch";
pub const STACKS_MAP: &str = "stacks";
/// An ARRAY of one u64: the start time (`elapsed`), written by the runtime.
pub const GLOBALS_MAP: &str = "globals";

/// BPF map types.
pub mod map_type {
    pub const HASH: u32 = 1;
    pub const ARRAY: u32 = 2;
    pub const PERCPU_HASH: u32 = 5;
    pub const PERCPU_ARRAY: u32 = 6;
    pub const STACK_TRACE: u32 = 7;
    pub const LRU_HASH: u32 = 9;
    pub const RINGBUF: u32 = 27;
}

/// The result of compiling a script.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub object: Vec<u8>,
    pub programs: Vec<ProgramSpec>,
    pub maps: Vec<MapSpec>,
    pub events: Vec<EventSpec>,
    /// Names of the probes, for the `probe` builtin (indexed by its value).
    pub probe_names: Vec<String>,
    pub ringbuf_size: u32,
    /// Has an `exit()` or a `-c` command to stop at; else run until signalled.
    pub has_end: bool,
    /// Text dumps requested in [`Options::dump`].
    pub dumps: Vec<(String, String)>,
}

/// Compiler options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Positional parameters `$1`.. as given on the command line.
    pub params: Vec<String>,
    /// Maximum string length (BPFTRACE_MAX_STRLEN).
    pub max_strlen: u32,
    pub ringbuf_size: u32,
    /// Default `max_entries` of hash maps.
    pub map_entries: u32,
    /// `-p PID`: scope uprobes/usdt (and filter) to this process.
    pub pid: Option<i32>,
    /// The pid of the `-c` command (`cpid`).
    pub child_pid: Option<i32>,
    pub unsafe_ok: bool,
    /// Stages to dump: "ast", "types", "ir", "asm".
    pub dump: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            params: Vec::new(),
            max_strlen: 64,
            ringbuf_size: 1 << 20,
            map_entries: 4096,
            pid: None,
            child_pid: None,
            unsafe_ok: false,
            dump: Vec::new(),
        }
    }
}
