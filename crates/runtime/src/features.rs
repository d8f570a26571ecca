//! What this kernel and machine support, found by cheap checks (a file's
//! existence, one perf_event_open, one map creation). Missing features are
//! reported in one line naming the feature: [`missing_message`].

use std::path::Path;

/// What the kernel and machine support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// kprobes/kretprobes (CONFIG_KPROBES).
    pub kprobes: bool,
    /// uprobes/uretprobes/USDT (CONFIG_UPROBES).
    pub uprobes: bool,
    /// fentry/fexit (BPF trampolines): `None` until a program load is tried
    /// ([`probe_fentry`]), since only a load can tell.
    pub fentry: Option<bool>,
    /// Hardware performance counters (`hardware:` probes).
    pub hardware_events: bool,
    /// BPF ring buffer maps (Linux 5.8+).
    pub ringbuf: bool,
    /// Kernel BTF at /sys/kernel/btf/vmlinux.
    pub btf: bool,
}

/// A kernel or machine feature a probe or map may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    Kprobes,
    Uprobes,
    Fentry,
    HardwareEvents,
    Ringbuf,
    Btf,
}

impl Feature {
    /// A short name: `kprobes`, `fentry`, `hardware events`.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Kprobes => "kprobes",
            Feature::Uprobes => "uprobes",
            Feature::Fentry => "fentry",
            Feature::HardwareEvents => "hardware events",
            Feature::Ringbuf => "ring buffer",
            Feature::Btf => "BTF",
        }
    }
}

/// "Not supported here", as a typed error naming the feature; its message is
/// [`missing_message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", missing_message(*.feature))]
pub struct NotSupported {
    pub feature: Feature,
}

impl Features {
    /// Whether `feature` is known to be available (`fentry` unknown counts
    /// as available: the load will tell).
    pub fn has(&self, feature: Feature) -> bool {
        match feature {
            Feature::Kprobes => self.kprobes,
            Feature::Uprobes => self.uprobes,
            Feature::Fentry => self.fentry != Some(false),
            Feature::HardwareEvents => self.hardware_events,
            Feature::Ringbuf => self.ringbuf,
            Feature::Btf => self.btf,
        }
    }

    /// `Ok` when `feature` is available, else the typed error.
    pub fn require(&self, feature: Feature) -> Result<(), NotSupported> {
        if self.has(feature) {
            Ok(())
        } else {
            Err(NotSupported { feature })
        }
    }
}

/// One line saying that `feature` is missing, and why when known.
pub fn missing_message(feature: Feature) -> String {
    match feature {
        Feature::Kprobes => {
            "kprobes are not supported by this kernel (CONFIG_KPROBES is not set)".into()
        }
        Feature::Uprobes => {
            "uprobes are not supported by this kernel (CONFIG_UPROBES is not set)".into()
        }
        Feature::Fentry => {
            "fentry/fexit are not supported by this kernel (BPF trampolines unavailable)".into()
        }
        Feature::HardwareEvents => {
            "hardware performance counters are not supported by this machine".into()
        }
        Feature::Ringbuf => {
            "BPF ring buffers are not supported by this kernel (Linux 5.8 or later is needed)"
                .into()
        }
        Feature::Btf => {
            "kernel BTF is not available (/sys/kernel/btf/vmlinux is missing; CONFIG_DEBUG_INFO_BTF is not set)"
                .into()
        }
    }
}

/// Detects the features with cheap checks; fentry is left unknown.
pub fn detect() -> Features {
    Features {
        kprobes: has_event_source("kprobe"),
        uprobes: has_event_source("uprobe"),
        fentry: None,
        hardware_events: has_hardware_events(),
        ringbuf: has_ringbuf(),
        btf: Path::new("/sys/kernel/btf/vmlinux").exists(),
    }
}

/// A dynamic PMU (`kprobe`/`uprobe`) or, on older kernels, tracefs's
/// `kprobe_events`/`uprobe_events` file (looked for without mounting).
fn has_event_source(kind: &str) -> bool {
    if Path::new("/sys/bus/event_source/devices")
        .join(kind)
        .exists()
    {
        return true;
    }
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .any(|d| Path::new(d).join(format!("{kind}_events")).exists())
}

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_COUNT_HW_CPU_CYCLES: u64 = 0;
const PERF_ATTR_SIZE_VER0: u32 = 64;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;

/// `struct perf_event_attr` (its first 64 bytes, PERF_ATTR_SIZE_VER0, in a
/// zeroed 128-byte buffer): type, size, config, sample_period, sample_type,
/// read_format, then the flag bits (bit 0: disabled).
#[repr(C, align(8))]
struct PerfEventAttr([u8; 128]);

impl PerfEventAttr {
    fn new(type_: u32, config: u64) -> Self {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&type_.to_ne_bytes());
        b[4..8].copy_from_slice(&PERF_ATTR_SIZE_VER0.to_ne_bytes());
        b[8..16].copy_from_slice(&config.to_ne_bytes());
        // flags at offset 40: disabled = 1.
        b[40..48].copy_from_slice(&1u64.to_ne_bytes());
        PerfEventAttr(b)
    }
}

/// Opens (and closes at once) a CPU-cycles counter on CPU 0 for all tasks.
fn has_hardware_events() -> bool {
    let attr = PerfEventAttr::new(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    // SAFETY: attr outlives the call; the fd is closed right away.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr.0.as_ptr(),
            -1 as libc::pid_t,
            0 as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd >= 0 {
        // SAFETY: fd is ours.
        unsafe { libc::close(fd as libc::c_int) };
        return true;
    }
    // ENOENT/EOPNOTSUPP/ENODEV mean no PMU; anything else (EACCES...) also
    // leaves us unable to use it.
    false
}

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_MAP_TYPE_RINGBUF: u32 = 27;
const BPF_PROG_TYPE_TRACING: u32 = 26;
const BPF_TRACE_FENTRY: u32 = 24;

/// `union bpf_attr`, zeroed, large enough for the commands used here.
#[repr(C, align(8))]
struct BpfAttr([u8; 128]);

impl BpfAttr {
    fn put_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }
    fn put_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }
}

fn bpf(cmd: libc::c_long, attr: &mut BpfAttr) -> libc::c_long {
    // SAFETY: attr is a valid, writable 128-byte bpf_attr.
    unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.0.as_mut_ptr(),
            std::mem::size_of::<BpfAttr>() as libc::c_uint,
        )
    }
}

/// Creates (and closes) a 4 KiB ring buffer map.
fn has_ringbuf() -> bool {
    let mut attr = BpfAttr([0; 128]);
    attr.put_u32(0, BPF_MAP_TYPE_RINGBUF); // map_type
    attr.put_u32(12, 4096); // max_entries
    let fd = bpf(BPF_MAP_CREATE, &mut attr);
    if fd >= 0 {
        // SAFETY: fd is ours.
        unsafe { libc::close(fd as libc::c_int) };
        true
    } else {
        false
    }
}

/// Tries to load a trivial fentry program (`r0 = 0; exit`) against the
/// kernel function with BTF id `func_btf_id` (a `FUNC` of vmlinux BTF), and
/// closes it: whether BPF trampolines work here. Nothing is attached.
pub fn probe_fentry(func_btf_id: u32) -> bool {
    // mov r0, 0; exit
    let insns: [u64; 2] = [0x0000_0000_0000_00b7, 0x0000_0000_0000_0095];
    let license = b"GPL\0";
    let mut attr = BpfAttr([0; 128]);
    attr.put_u32(0, BPF_PROG_TYPE_TRACING); // prog_type
    attr.put_u32(4, insns.len() as u32); // insn_cnt
    attr.put_u64(8, insns.as_ptr() as u64); // insns
    attr.put_u64(16, license.as_ptr() as u64); // license
    attr.put_u32(68, BPF_TRACE_FENTRY); // expected_attach_type
    attr.put_u32(108, func_btf_id); // attach_btf_id
    let fd = bpf(BPF_PROG_LOAD, &mut attr);
    if fd >= 0 {
        // SAFETY: fd is ours.
        unsafe { libc::close(fd as libc::c_int) };
        true
    } else {
        false
    }
}
