//! scry-btf: reads the kernel's BTF type information and writes the small BTF
//! that describes a generated object's maps. Bytes in, bytes out; no syscalls.

/// Parsed BTF (placeholder until the reader lands).
pub struct Btf {}
