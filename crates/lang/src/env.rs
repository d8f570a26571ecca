//! What the compiler needs to know about the machine it compiles for. The
//! runtime implements [`Env`] (it reads tracefs, BTF, ELF files); the
//! compiler only asks, so it stays free of syscalls and deterministic.

/// One field of a tracepoint's `format` file, e.g.
/// `field:const char * filename; offset:24; size:8; signed:0;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpField {
    pub name: String,
    /// The C declaration's type as written, without the name:
    /// `const char *`, `int`, `char[16]`, `__data_loc char[]`, `u64`.
    pub c_type: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

/// A function symbol of an ELF binary, for uprobes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfSymbol {
    pub name: String,
    /// Virtual address in the ELF file.
    pub address: u64,
    /// Offset in the file where the function's code starts.
    pub file_offset: u64,
    pub size: u64,
}

/// A USDT probe from a binary's `.note.stapsdt` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtProbe {
    pub provider: String,
    pub name: String,
    /// File offset of the probe's instruction (what a uprobe attaches to).
    pub file_offset: u64,
    /// Semaphore's file offset, or 0 when the probe has none.
    pub semaphore_offset: u64,
    /// Argument specs as written in the note: `-4@%edi`, `8@-16(%rbp)`, `4@$5`.
    pub args: Vec<String>,
}

pub trait Env {
    /// The kernel's BTF, when it has one.
    fn btf(&self) -> Option<&scry_btf::Btf>;
    /// Tracepoints matching `category:event` where both may hold `*`/`?`
    /// wildcards, as (category, event) pairs, sorted.
    fn tracepoints(&self, category: &str, event: &str) -> Vec<(String, String)>;
    /// The fields of one tracepoint (common_* fields left out), or `None`
    /// when there is no such tracepoint.
    fn tracepoint_fields(&self, category: &str, event: &str) -> Option<Vec<TpField>>;
    /// Kernel functions that can be traced (kprobes, fentry) matching a
    /// wildcard pattern, sorted.
    fn kernel_functions(&self, pattern: &str) -> Vec<String>;
    /// Resolves a uprobe target (`/bin/bash`, `bash`, `libc`) to the path of
    /// the file, or an error message.
    fn resolve_binary(&self, target: &str) -> Result<String, String>;
    /// Function symbols of an ELF file matching a wildcard pattern.
    fn elf_symbols(&self, path: &str, pattern: &str) -> Result<Vec<ElfSymbol>, String>;
    /// USDT probes of an ELF file.
    fn usdt_probes(&self, path: &str) -> Result<Vec<UsdtProbe>, String>;
    /// The number of possible CPUs (sizes per-CPU values).
    fn ncpus(&self) -> u32;
    /// When this kernel cannot attach a probe kind at all, the one-line
    /// reason; its wildcards are then left unexpanded and the runtime
    /// reports the missing feature.
    fn unsupported(&self, _provider: crate::ast::Provider) -> Option<String> {
        None
    }
    /// The id of a cgroup v2 directory (`cgroupid()`): its inode number.
    fn cgroup_id(&self, _path: &str) -> Option<u64> {
        None
    }
    /// The address of any symbol (function or data) of an ELF file
    /// (`uaddr()`).
    fn elf_symbol_address(&self, _path: &str, _name: &str) -> Option<u64> {
        None
    }
    /// The address of a kernel symbol (`kaddr()`).
    fn kernel_symbol(&self, _name: &str) -> Option<u64> {
        None
    }
}
