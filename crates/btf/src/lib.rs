//! scry-btf: reads the kernel's BTF type information and writes the small BTF
//! that describes a generated object's maps. Bytes in, bytes out; no syscalls.
//!
//! Reading: [`Btf::parse`] checks the header and walks the type section once,
//! recording where each type starts (about a millisecond for vmlinux). Name
//! lookups ([`Btf::find`], [`Btf::enum_value`]) build their hash tables on
//! first use. All queries take type ids; id 0 is `void`.
//!
//! Writing: [`BtfWriter`] builds a `.BTF` section with the types libbpf-style
//! BTF-defined maps need (`int (*type)[T]` members, a VAR per map, a DATASEC
//! `.maps`), plus a FUNC per program and per callback subprogram;
//! [`BtfExtWriter`] builds the matching `.BTF.ext` (func_info records).
//!
//! The format is described in the kernel's `Documentation/bpf/btf.rst`.

mod error;
pub mod ext;
mod format;
mod kind;
mod names;
mod query;
mod reader;
mod writer;

pub use error::BtfError;
pub use ext::BtfExtWriter;
pub use kind::Kind;
pub use query::{FuncProto, IntInfo, Member};
pub use reader::Btf;
pub use writer::{BtfWriter, MapVar};
