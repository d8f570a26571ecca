//! Errors of BTF parsing.

use std::fmt;

#[derive(Debug)]
pub enum BtfError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The data does not start with the BTF magic (0xeB9F, little-endian).
    BadMagic,
    /// The data is big-endian BTF, which this reader does not handle.
    BigEndian,
    /// The header or a section runs past the end of the data.
    Truncated(&'static str),
    /// A header field is inconsistent (section out of bounds, bad alignment).
    BadHeader(&'static str),
    /// A type of a kind this reader does not know: its size is unknown, so
    /// the types after it cannot be found.
    UnknownKind { id: u32, kind: u32 },
    /// More types than a `u32` id can number.
    TooManyTypes,
}

impl fmt::Display for BtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BtfError::Io(e) => write!(f, "cannot read BTF: {e}"),
            BtfError::BadMagic => f.write_str("not BTF data (bad magic)"),
            BtfError::BigEndian => f.write_str("big-endian BTF is not supported"),
            BtfError::Truncated(what) => write!(f, "truncated BTF: {what}"),
            BtfError::BadHeader(what) => write!(f, "invalid BTF header: {what}"),
            BtfError::UnknownKind { id, kind } => {
                write!(f, "BTF type {id} has unknown kind {kind}")
            }
            BtfError::TooManyTypes => f.write_str("too many BTF types"),
        }
    }
}

impl std::error::Error for BtfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BtfError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for BtfError {
    fn from(e: std::io::Error) -> Self {
        BtfError::Io(e)
    }
}
