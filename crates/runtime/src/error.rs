//! Runtime errors: each one line a user can act on.

use crate::features::NotSupported;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    NotSupported(#[from] NotSupported),
    #[error("{0}")]
    Permission(String),
    /// The verifier rejected a program: the message names the script line.
    #[error("{message}")]
    Verifier {
        message: String,
        /// The verifier's full log (shown with -v).
        log: String,
    },
    #[error("{0}")]
    Load(String),
    #[error("{probe}: {message}")]
    Attach { probe: String, message: String },
    #[error("{0}")]
    Io(String),
    /// The reader of our output went away (`scry ... | head`): a normal end.
    #[error("output closed")]
    OutputClosed,
}

/// Turns EPERM-like errors into a sentence about privileges.
pub fn privileges_hint(e: &std::io::Error) -> Option<String> {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) if unsafe { libc::geteuid() } != 0 => Some(
            "scry needs root, or the CAP_BPF and CAP_PERFMON capabilities (and CAP_SYS_ADMIN to mount tracefs)".into(),
        ),
        _ => None,
    }
}

/// Whether this process may load and attach BPF programs: root, or the
/// CAP_BPF and CAP_PERFMON capabilities (or CAP_SYS_ADMIN). Checked before
/// anything else, so that the user reads one sentence about privileges
/// instead of whatever first fails without them.
pub fn check_privileges() -> Result<(), String> {
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    const CAP_BPF: u32 = 39;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has = |cap: u32| eff & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        Ok(())
    } else {
        Err(
            "scry needs root, or the CAP_BPF and CAP_PERFMON capabilities, to load BPF programs"
                .into(),
        )
    }
}
