//! ELF files for uprobes: finding the binary a target names (`/bin/bash`,
//! `bash`, `libc`), and its function symbols with the file offsets a uprobe
//! attaches to.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind, SymbolSection};
use scry_lang::env::ElfSymbol;

use crate::glob::{glob_match, has_wildcard};

const LD_SO_CACHE: &str = "/etc/ld.so.cache";
const LIB_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// An I/O error as one sentence naming the file: `/x: No such file or directory`.
pub(crate) fn io_error(path: &str, err: &std::io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    format!("{path}: {text}")
}

/// Maps an ELF file into memory, checking that it is a regular file with
/// the ELF magic.
pub(crate) fn map_elf(path: &str) -> Result<Mmap, String> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    let meta = file.metadata().map_err(|e| io_error(path, &e))?;
    if meta.is_dir() {
        return Err(format!("{path}: Is a directory"));
    }
    if !meta.is_file() {
        return Err(format!("{path}: not a regular file"));
    }
    if meta.len() < 4 {
        return Err(format!("{path}: not an ELF file"));
    }
    // SAFETY: the mapping is read-only; a file truncated underneath us is the
    // accepted risk of every mmap-based ELF reader.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error(path, &e))?;
    if &map[..4] != b"\x7fELF" {
        return Err(format!("{path}: not an ELF file"));
    }
    Ok(map)
}

/// Parses mapped bytes as an ELF object.
pub(crate) fn parse_elf<'a>(path: &str, data: &'a [u8]) -> Result<object::File<'a>, String> {
    let file =
        object::File::parse(data).map_err(|e| format!("{path}: malformed ELF file ({e})"))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(format!("{path}: not an ELF file"));
    }
    Ok(file)
}

/// The PT_LOAD segments of a file as (vaddr, memsz, file offset).
pub(crate) struct Segments(Vec<(u64, u64, u64)>);

impl Segments {
    pub(crate) fn of(file: &object::File) -> Self {
        Segments(
            file.segments()
                .map(|s| (s.address(), s.size(), s.file_range().0))
                .collect(),
        )
    }

    /// The file offset of virtual address `addr`, through the PT_LOAD
    /// segment that contains it.
    pub(crate) fn file_offset(&self, addr: u64) -> Option<u64> {
        self.0
            .iter()
            .find(|&&(vaddr, memsz, _)| addr >= vaddr && addr - vaddr < memsz.max(1))
            .map(|&(vaddr, _, off)| addr - vaddr + off)
    }
}

/// Function symbols of `path` (from `.symtab` and `.dynsym`, and from its
/// separate debug file when there is one, deduplicated) whose names match
/// the wildcard `pattern`, sorted by name then address.
pub fn symbols(path: &str, pattern: &str) -> Result<Vec<ElfSymbol>, String> {
    let map = map_elf(path)?;
    let file = parse_elf(path, &map)?;
    let segments = Segments::of(&file);
    let mut out = Vec::new();
    collect_functions(&file, &segments, pattern, &mut out);
    // Stripped binaries (libc...) keep their full symbol table in a
    // separate debug file; its addresses are those of the original. An
    // exact name already found needs no second look.
    let found_exact = !has_wildcard(pattern) && !out.is_empty();
    if let Some(debug_path) = debug_file(path, &file).filter(|_| !found_exact) {
        if let Ok(debug_map) = map_elf(&debug_path) {
            if let Ok(debug) = parse_elf(&debug_path, &debug_map) {
                collect_functions(&debug, &segments, pattern, &mut out);
            }
        }
    }
    out.sort_by(|a, b| (&a.name, a.address).cmp(&(&b.name, b.address)));
    out.dedup_by(|a, b| a.name == b.name && a.address == b.address);
    Ok(out)
}

/// The address of any defined symbol (function or data) named `name`, for
/// `uaddr()`.
pub fn symbol_address(path: &str, name: &str) -> Option<u64> {
    let map = map_elf(path).ok()?;
    let file = parse_elf(path, &map).ok()?;
    file.symbols()
        .chain(file.dynamic_symbols())
        .find(|s| s.name() == Ok(name) && matches!(s.section(), SymbolSection::Section(_)))
        .map(|s| s.address())
}

fn collect_functions(
    file: &object::File,
    segments: &Segments,
    pattern: &str,
    out: &mut Vec<ElfSymbol>,
) {
    for sym in file.symbols().chain(file.dynamic_symbols()) {
        if sym.kind() != SymbolKind::Text || !matches!(sym.section(), SymbolSection::Section(_)) {
            continue;
        }
        let address = sym.address();
        let Ok(name) = sym.name() else { continue };
        if name.is_empty() || address == 0 || !glob_match(pattern, name) {
            continue;
        }
        let Some(file_offset) = segments.file_offset(address) else {
            continue;
        };
        out.push(ElfSymbol {
            name: name.to_string(),
            address,
            file_offset,
            size: sym.size(),
        });
    }
}

const DEBUG_DIR: &str = "/usr/lib/debug";

/// The separate debug file of `path`, found like gdb does: by build id
/// (`/usr/lib/debug/.build-id/ab/cdef….debug`), then by `.gnu_debuglink`
/// (next to the file, in its `.debug/` directory, or under
/// `/usr/lib/debug`), checking the link's CRC.
fn debug_file(path: &str, file: &object::File) -> Option<String> {
    if file.section_by_name(".symtab").is_some() {
        return None;
    }
    if let Ok(Some(id)) = file.build_id() {
        if id.len() > 1 {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            let p = format!("{DEBUG_DIR}/.build-id/{}/{}.debug", &hex[..2], &hex[2..]);
            if Path::new(&p).is_file() {
                return Some(p);
            }
        }
    }
    let Ok(Some((name, crc))) = file.gnu_debuglink() else {
        return None;
    };
    let name = std::str::from_utf8(name).ok()?;
    let real = std::fs::canonicalize(path).ok()?;
    let dir = real.parent()?.to_string_lossy().into_owned();
    [
        format!("{dir}/{name}"),
        format!("{dir}/.debug/{name}"),
        format!("{DEBUG_DIR}{dir}/{name}"),
    ]
    .into_iter()
    .find(|p| {
        Path::new(p) != real.as_path() && std::fs::read(p).is_ok_and(|data| crc32(&data) == crc)
    })
}

/// CRC-32 (IEEE), as `.gnu_debuglink` records it.
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

/// Resolves a uprobe target to a file: a path (absolute, or relative to the
/// current directory) is used as is; a bare program name is looked up in
/// `$PATH`; a library name (`libc`, `libc.so.6`, `c`) in `/etc/ld.so.cache`
/// and the standard library directories. The result must be an ELF file.
pub fn resolve_binary(target: &str) -> Result<String, String> {
    if target.is_empty() {
        return Err("empty binary name".to_string());
    }
    if target.contains('/') {
        let path = if Path::new(target).is_absolute() {
            PathBuf::from(target)
        } else {
            std::env::current_dir()
                .map_err(|e| io_error(target, &e))?
                .join(target.strip_prefix("./").unwrap_or(target))
        };
        let path = path.to_string_lossy().into_owned();
        // Errors name the file as the user wrote it.
        map_elf(&path).map_err(|e| e.replacen(&path, target, 1))?;
        return Ok(path);
    }
    let lib_like = target.starts_with("lib") || target.contains(".so");
    let found = if lib_like {
        find_library(target).or_else(|| find_in_path(target))
    } else {
        find_in_path(target).or_else(|| find_library(target))
    };
    found.ok_or_else(|| {
        if lib_like {
            format!(
                "{target}: no such library in /etc/ld.so.cache or the standard library directories"
            )
        } else {
            format!("{target}: command not found in $PATH (give a path, or a library name)")
        }
    })
}

fn is_elf_file(path: &Path) -> bool {
    path.to_str().is_some_and(|p| map_elf(p).is_ok())
}

fn find_in_path(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                && is_elf_file(p)
        })
        .map(|p| p.to_string_lossy().into_owned())
}

/// Library file names `name` may stand for, best first: `libc` → `libc.so*`,
/// `c` → `libc.so*`, `libc.so.6` → itself.
fn library_matches(name: &str, candidate: &str) -> u8 {
    let lib = if name.starts_with("lib") {
        name.to_string()
    } else {
        format!("lib{name}")
    };
    if candidate == name {
        0
    } else if candidate.starts_with(&format!("{name}.")) && name.contains(".so") {
        1
    } else if candidate.starts_with(&format!("{lib}.so")) {
        // `libc.so.6` is preferred to `libc.so` (a linker script or symlink).
        if candidate.len() > lib.len() + 3 {
            2
        } else {
            3
        }
    } else {
        u8::MAX
    }
}

fn find_library(name: &str) -> Option<String> {
    fn consider(best: &mut Option<(u8, String)>, rank: u8, path: String) {
        if rank != u8::MAX
            && best.as_ref().is_none_or(|(r, _)| rank < *r)
            && is_elf_file(Path::new(&path))
        {
            *best = Some((rank, path));
        }
    }
    let mut best: Option<(u8, String)> = None;
    for (soname, path) in ld_so_cache() {
        consider(&mut best, library_matches(name, &soname), path);
    }
    if best.is_none() {
        for dir in LIB_DIRS {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect();
            names.sort();
            for n in names {
                consider(&mut best, library_matches(name, &n), format!("{dir}/{n}"));
            }
            if best.is_some() {
                break;
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Entries of `/etc/ld.so.cache` for this machine's architecture, as
/// (soname, path).
pub fn ld_so_cache() -> Vec<(String, String)> {
    match std::fs::read(LD_SO_CACHE) {
        Ok(data) => parse_ld_so_cache(&data),
        Err(_) => Vec::new(),
    }
}

/// Parses the `glibc-ld.so.cache1.1` format (possibly after an old
/// `ld.so-1.7.0` table). Header: magic (20 bytes), nlibs, len_strings,
/// flags (u8 + 3 pad), extension_offset, 3 unused u32 — 48 bytes; then
/// nlibs entries {i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap},
/// with string offsets relative to the header.
pub fn parse_ld_so_cache(data: &[u8]) -> Vec<(String, String)> {
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    let Some(base) = data.windows(MAGIC.len()).position(|w| w == MAGIC) else {
        return Vec::new();
    };
    let u32_at = |off: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(off..off + 4)?.try_into().ok()?))
    };
    let cstr_at = |off: usize| -> Option<String> {
        let bytes = data.get(base + off..)?;
        let end = bytes.iter().position(|&b| b == 0)?;
        String::from_utf8(bytes[..end].to_vec()).ok()
    };
    let Some(nlibs) = u32_at(base + 20) else {
        return Vec::new();
    };
    let arch_flags: Option<u32> = if cfg!(target_arch = "x86_64") {
        Some(0x0300)
    } else if cfg!(target_arch = "aarch64") {
        Some(0x0a00)
    } else {
        None
    };
    let mut out = Vec::new();
    for i in 0..nlibs as usize {
        let e = base + 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (u32_at(e), u32_at(e + 4), u32_at(e + 8))
        else {
            break;
        };
        // Low byte: 1 = ELF, 3 = ELF libc6; high byte: architecture.
        if flags & 0xff != 3 && flags & 0xff != 1 {
            continue;
        }
        if arch_flags.is_some_and(|a| flags & 0xff00 != a) {
            continue;
        }
        if let (Some(k), Some(v)) = (cstr_at(key as usize), cstr_at(value as usize)) {
            out.push((k, v));
        }
    }
    out
}
