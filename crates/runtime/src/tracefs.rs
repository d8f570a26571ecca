//! tracefs: where tracepoints are listed and their `format` files describe
//! each event's record. Mounted on demand when it is not (this needs root or
//! CAP_SYS_ADMIN); the mount point is found once per process.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use scry_lang::env::TpField;

use crate::glob::{glob_match, has_wildcard};

const TRACING: &str = "/sys/kernel/tracing";
const DEBUG_TRACING: &str = "/sys/kernel/debug/tracing";

static ROOT: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The directory where tracefs is mounted (it holds `events/`), mounting
/// it on `/sys/kernel/tracing` when it is not mounted yet.
pub fn root() -> Result<PathBuf, String> {
    ROOT.get_or_init(find_or_mount).clone()
}

fn find_or_mount() -> Result<PathBuf, String> {
    for dir in [TRACING, DEBUG_TRACING] {
        if Path::new(dir).join("events").is_dir() {
            return Ok(PathBuf::from(dir));
        }
    }
    mount_tracefs(TRACING)?;
    if Path::new(TRACING).join("events").is_dir() {
        Ok(PathBuf::from(TRACING))
    } else {
        Err(format!(
            "tracefs was mounted on {TRACING} but has no events/ directory"
        ))
    }
}

fn mount_tracefs(dir: &str) -> Result<(), String> {
    let src = CString::new("nodev").unwrap();
    let target = CString::new(dir).unwrap();
    let fstype = CString::new("tracefs").unwrap();
    // SAFETY: all pointers are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => Err(format!(
            "tracefs is not mounted and scry needs root (or CAP_SYS_ADMIN) to mount it on {dir}"
        )),
        // Someone mounted it between our check and our mount.
        Some(libc::EBUSY) => Ok(()),
        _ => Err(format!("cannot mount tracefs on {dir}: {err}")),
    }
}

/// The fields of tracepoint `category:event` (common_* fields left out), or
/// `None` when there is no such tracepoint (or tracefs is unavailable).
pub fn format(category: &str, event: &str) -> Option<Vec<TpField>> {
    if !is_name(category) || !is_name(event) {
        return None;
    }
    let path = root()
        .ok()?
        .join("events")
        .join(category)
        .join(event)
        .join("format");
    let text = std::fs::read_to_string(path).ok()?;
    Some(parse_format(&text))
}

/// Parses the text of a tracefs `format` file.
pub fn parse_format(text: &str) -> Vec<TpField> {
    text.lines().filter_map(parse_field_line).collect()
}

/// `field:const char * filename; offset:24; size:8; signed:0;`
fn parse_field_line(line: &str) -> Option<TpField> {
    let line = line.trim();
    let rest = line.strip_prefix("field:")?;
    let mut decl = None;
    let (mut offset, mut size, mut signed) = (None, None, false);
    for (i, part) in rest.split(';').enumerate() {
        let part = part.trim();
        if i == 0 {
            decl = Some(part);
        } else if let Some(v) = part.strip_prefix("offset:") {
            offset = v.trim().parse().ok();
        } else if let Some(v) = part.strip_prefix("size:") {
            size = v.trim().parse().ok();
        } else if let Some(v) = part.strip_prefix("signed:") {
            signed = v.trim() == "1";
        }
    }
    let (c_type, name) = split_decl(decl?)?;
    if name.starts_with("common_") {
        return None;
    }
    Some(TpField {
        name,
        c_type,
        offset: offset?,
        size: size?,
        signed,
    })
}

/// Splits a C declaration into (type, name): `char comm[16]` gives
/// (`char[16]`, `comm`), `const char * filename` gives (`const char *`,
/// `filename`), `__data_loc char[] name` gives (`__data_loc char[]`, `name`).
pub fn split_decl(decl: &str) -> Option<(String, String)> {
    let decl = decl.trim();
    let (base, suffix) = match decl.strip_suffix(']').and_then(|d| d.rfind('[')) {
        Some(open) => (&decl[..open], &decl[open..]),
        None => (decl, ""),
    };
    let base = base.trim_end();
    let start = base
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &base[start..];
    let ty = base[..start].trim_end();
    if name.is_empty() || ty.is_empty() {
        return None;
    }
    Some((format!("{ty}{suffix}"), name.to_string()))
}

/// Tracepoints whose category and event match the wildcard patterns, as
/// (category, event) pairs sorted as `category:event` strings. The `ftrace`
/// category (ftrace's internal events) is left out of wildcard matches.
pub fn tracepoints(cat_pattern: &str, event_pattern: &str) -> Vec<(String, String)> {
    let Ok(root) = root() else {
        return Vec::new();
    };
    let events = root.join("events");
    let mut out = Vec::new();
    for cat in matching_dirs(&events, cat_pattern) {
        // ftrace's own events (function, print, ...) are not tracepoints:
        // they have no `enable` file and cannot be attached to.
        if cat == "ftrace" && has_wildcard(cat_pattern) {
            continue;
        }
        for ev in matching_dirs(&events.join(&cat), event_pattern) {
            out.push((cat.clone(), ev));
        }
    }
    // Sorted as `category:event` strings, like bpftrace's listing.
    out.sort_by_cached_key(|(c, e)| format!("{c}:{e}"));
    out
}

/// Names of the subdirectories of `dir` matching `pattern` (a literal
/// pattern is looked up directly instead of listing the directory).
fn matching_dirs(dir: &Path, pattern: &str) -> Vec<String> {
    if !has_wildcard(pattern) {
        if is_name(pattern) && dir.join(pattern).is_dir() {
            return vec![pattern.to_string()];
        }
        return Vec::new();
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| glob_match(pattern, n))
        .collect();
    names.sort();
    names
}

/// A single path component (no `/`, not `.` or `..`).
fn is_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decls() {
        let d = |s: &str| split_decl(s).unwrap();
        assert_eq!(d("char comm[16]"), ("char[16]".into(), "comm".into()));
        assert_eq!(
            d("const char * filename"),
            ("const char *".into(), "filename".into())
        );
        assert_eq!(d("char *name"), ("char *".into(), "name".into()));
        assert_eq!(
            d("__data_loc char[] name"),
            ("__data_loc char[]".into(), "name".into())
        );
        assert_eq!(
            d("unsigned long args[6]"),
            ("unsigned long[6]".into(), "args".into())
        );
        assert_eq!(d("u32 ids[]"), ("u32[]".into(), "ids".into()));
        assert_eq!(split_decl("int"), None);
    }

    #[test]
    fn format_text() {
        let text = "name: x\nID: 1\nformat:\n\
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n\
            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
            \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\nprint fmt: \"\"\n";
        let f = parse_format(text);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "__syscall_nr");
        assert!(f[0].signed);
        assert_eq!(f[1].c_type, "const char *");
        assert_eq!((f[1].offset, f[1].size), (24, 8));
    }
}
