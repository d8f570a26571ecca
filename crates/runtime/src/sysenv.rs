//! [`SysEnv`]: the running machine, as the compiler's [`Env`] sees it.
//! Everything is read on first use and cached: a tracepoint one-liner reads
//! one `format` file and never loads BTF.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use scry_btf::{Btf, Kind};
use scry_lang::env::{ElfSymbol, Env, TpField, UsdtProbe};

use crate::features::{self, Features};
use crate::glob::{glob_match, has_wildcard};
use crate::{elfsyms, tracefs, usdt};

const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";
const KALLSYMS: &str = "/proc/kallsyms";
const POSSIBLE_CPUS: &str = "/sys/devices/system/cpu/possible";

/// The machine scry runs on.
pub struct SysEnv {
    btf_path: PathBuf,
    btf: OnceLock<Option<Btf>>,
    features: OnceLock<Features>,
    fentry: OnceLock<bool>,
    kernel_functions: OnceLock<Vec<String>>,
    ncpus: OnceLock<u32>,
}

impl Default for SysEnv {
    fn default() -> Self {
        SysEnv::new()
    }
}

impl SysEnv {
    /// The running kernel, with BTF from `/sys/kernel/btf/vmlinux`.
    pub fn new() -> Self {
        SysEnv::with_btf_path(VMLINUX_BTF)
    }

    /// The running kernel, with BTF read from another file (tests, or a
    /// kernel whose BTF lives elsewhere).
    pub fn with_btf_path(path: impl AsRef<Path>) -> Self {
        SysEnv {
            btf_path: path.as_ref().to_path_buf(),
            btf: OnceLock::new(),
            features: OnceLock::new(),
            fentry: OnceLock::new(),
            kernel_functions: OnceLock::new(),
            ncpus: OnceLock::new(),
        }
    }

    /// Whether BTF has been loaded yet (it is loaded by the first
    /// [`Env::btf`] call only).
    pub fn btf_loaded(&self) -> bool {
        self.btf.get().is_some()
    }

    /// Features found by cheap checks ([`features::detect`]), once; `fentry`
    /// is filled in only after [`SysEnv::fentry_supported`] ran.
    pub fn features(&self) -> Features {
        let mut f = *self.features.get_or_init(features::detect);
        f.fentry = self.fentry.get().copied();
        f
    }

    /// Whether fentry/fexit programs load here: tries to load a trivial one
    /// against a kernel function (needs BTF; false without it). Cached.
    pub fn fentry_supported(&self) -> bool {
        *self.fentry.get_or_init(|| {
            let Some(btf) = self.btf() else {
                return false;
            };
            let id = ["bpf_fentry_test1", "vfs_read", "do_sys_openat2"]
                .iter()
                .find_map(|n| btf.find(n, Kind::Func))
                .or_else(|| (1..=btf.len()).find(|&id| btf.kind(id) == Some(Kind::Func)));
            id.is_some_and(features::probe_fentry)
        })
    }

    /// All traceable kernel functions, sorted and deduplicated: from
    /// tracefs `available_filter_functions`, or `/proc/kallsyms` text
    /// symbols when that file cannot be read.
    pub fn all_kernel_functions(&self) -> &[String] {
        self.kernel_functions.get_or_init(load_kernel_functions)
    }
}

fn load_kernel_functions() -> Vec<String> {
    let from_tracefs = tracefs::root()
        .ok()
        .and_then(|r| std::fs::read_to_string(r.join("available_filter_functions")).ok());
    let mut names: Vec<String> = match from_tracefs {
        Some(text) => text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| !n.contains(".part.") && !n.starts_with("__ftrace_invalid_address__"))
            .map(str::to_string)
            .collect(),
        None => std::fs::read_to_string(KALLSYMS)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let (_addr, ty, name) = (it.next()?, it.next()?, it.next()?);
                matches!(ty, "t" | "T").then_some(name)
            })
            .filter(|n| !n.contains(".part.") && !n.starts_with("__pfx_"))
            .map(str::to_string)
            .collect(),
    };
    names.sort_unstable();
    names.dedup();
    names
}

/// Parses a CPU list like `0-3,5,7-8` into the number of CPUs it spans
/// (highest index + 1).
pub fn parse_cpu_count(list: &str) -> Option<u32> {
    list.trim()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|part| {
            let last = part.rsplit('-').next()?;
            last.trim().parse::<u32>().ok()
        })
        .try_fold(0u32, |max, v| Some(max.max(v? + 1)))
        .filter(|&n| n > 0)
}

/// Maps the BTF file read-only (private: /sys/kernel/btf refuses shared
/// mappings) so that only the pages a lookup touches become resident;
/// falls back to reading it.
fn load_btf(path: &Path) -> Option<Btf> {
    let mapped = std::fs::File::open(path).ok().and_then(|f| {
        // SAFETY: a private read-only mapping of a file nobody rewrites
        // while we run (kernel BTF is immutable).
        unsafe { memmap2::MmapOptions::new().map_copy_read_only(&f) }.ok()
    });
    match mapped {
        Some(m) if !m.is_empty() => Btf::parse_bytes(m).ok(),
        _ => Btf::from_file(path).ok(),
    }
}

impl Env for SysEnv {
    fn btf(&self) -> Option<&Btf> {
        self.btf.get_or_init(|| load_btf(&self.btf_path)).as_ref()
    }

    fn tracepoints(&self, category: &str, event: &str) -> Vec<(String, String)> {
        tracefs::tracepoints(category, event)
    }

    fn tracepoint_fields(&self, category: &str, event: &str) -> Option<Vec<TpField>> {
        tracefs::format(category, event)
    }

    fn kernel_functions(&self, pattern: &str) -> Vec<String> {
        let all = self.all_kernel_functions();
        if !has_wildcard(pattern) {
            return match all.binary_search_by(|n| n.as_str().cmp(pattern)) {
                Ok(i) => vec![all[i].clone()],
                Err(_) => Vec::new(),
            };
        }
        all.iter()
            .filter(|n| glob_match(pattern, n))
            .cloned()
            .collect()
    }

    fn resolve_binary(&self, target: &str) -> Result<String, String> {
        elfsyms::resolve_binary(target)
    }

    fn elf_symbols(&self, path: &str, pattern: &str) -> Result<Vec<ElfSymbol>, String> {
        elfsyms::symbols(path, pattern)
    }

    fn usdt_probes(&self, path: &str) -> Result<Vec<UsdtProbe>, String> {
        usdt::probes(path)
    }

    fn unsupported(&self, provider: scry_lang::ast::Provider) -> Option<String> {
        use scry_lang::ast::Provider as P;
        let f = self.features();
        let feature = match provider {
            P::Kprobe | P::Kretprobe if !f.kprobes => features::Feature::Kprobes,
            P::Uprobe | P::Uretprobe | P::Usdt if !f.uprobes => features::Feature::Uprobes,
            P::Hardware if !f.hardware_events => features::Feature::HardwareEvents,
            _ => return None,
        };
        Some(features::missing_message(feature))
    }

    fn elf_symbol_address(&self, path: &str, name: &str) -> Option<u64> {
        elfsyms::symbol_address(path, name)
    }

    fn cgroup_id(&self, path: &str) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| m.ino())
    }

    fn kernel_symbol(&self, name: &str) -> Option<u64> {
        let text = std::fs::read_to_string(KALLSYMS).ok()?;
        text.lines().find_map(|l| {
            let mut it = l.split_whitespace();
            let addr = it.next()?;
            let _kind = it.next()?;
            (it.next()? == name).then(|| u64::from_str_radix(addr, 16).ok())?
        })
    }

    fn ncpus(&self) -> u32 {
        *self.ncpus.get_or_init(|| {
            std::fs::read_to_string(POSSIBLE_CPUS)
                .ok()
                .and_then(|s| parse_cpu_count(&s))
                .unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cpu_count;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_count("0-1\n"), Some(2));
        assert_eq!(parse_cpu_count("0"), Some(1));
        assert_eq!(parse_cpu_count("0-3,5,7-8"), Some(9));
        assert_eq!(parse_cpu_count(""), None);
    }
}
