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
