//! The types of expressions, map keys and map values.

use std::fmt;

/// A composite type from the kernel's BTF (struct or union).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// `struct task_struct`, `union bpf_attr`, ...
    pub name: String,
    /// The BTF type id (0 for records that do not come from BTF).
    pub btf_id: u32,
    pub size: u32,
}

/// The kinds of aggregation a map value can hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Agg {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Stats,
    /// `hist(v[, k])`: power-of-two buckets, with `k` sub-buckets bits.
    Hist {
        bits: u8,
    },
    /// `lhist(v, min, max, step)`
    Lhist {
        min: i64,
        max: i64,
        step: i64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Type {
    /// Not typed yet (parser output), or no value (a statement call).
    #[default]
    None,
    Int {
        bytes: u8,
        signed: bool,
    },
    Bool,
    /// A NUL-terminated string in a buffer of `size` bytes.
    Str(u32),
    /// A length-prefixed byte buffer (`buf()`), `size` data bytes.
    Buf(u32),
    Ptr(Box<Type>),
    Record(Record),
    Array(Box<Type>, u32),
    Tuple(Vec<Type>),
    /// The probe's context pointer (`ctx`).
    Ctx,
    /// A stack id (kernel or user) with its depth; `perf` (`kstack(perf)`)
    /// prints each frame with its address, and user frames with their
    /// module, as bpftrace's perf mode does.
    Stack {
        user: bool,
        depth: u8,
        perf: bool,
    },
    /// An address printed as a kernel symbol (`ksym`, `func` in kprobes).
    Ksym,
    /// An address printed as a user symbol (`usym`, `func` in uprobes):
    /// 16 bytes in memory, the address and the process id.
    Usym,
    /// A user name (printed from the uid).
    Username,
    /// An IPv4/IPv6 address (`ntop`): family + 16 bytes.
    Inet,
    /// `strftime(fmt, ns)`: 16 bytes in memory, the index of the format in
    /// the event table and the time in ns since boot.
    Timestamp,
    /// The probe name (`probe`): an index into the probe table.
    ProbeName,
    /// An aggregation held in a map.
    Agg(Agg),
}

impl Type {
    pub const U64: Type = Type::Int {
        bytes: 8,
        signed: false,
    };
    pub const I64: Type = Type::Int {
        bytes: 8,
        signed: true,
    };
    pub const U32: Type = Type::Int {
        bytes: 4,
        signed: false,
    };

    pub fn int(bytes: u8, signed: bool) -> Type {
        Type::Int { bytes, signed }
    }

    pub fn is_int(&self) -> bool {
        matches!(self, Type::Int { .. } | Type::Bool)
    }

    pub fn is_signed(&self) -> bool {
        matches!(self, Type::Int { signed: true, .. })
    }

    /// Integers and everything that is held in a register as one.
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Type::Int { .. }
                | Type::Bool
                | Type::Ptr(_)
                | Type::Ctx
                | Type::Ksym
                | Type::Username
                | Type::ProbeName
                | Type::Stack { .. }
        )
    }

    /// The size in bytes of a value of this type in a map key, map value or
    /// event.
    pub fn size(&self) -> u32 {
        match self {
            Type::None => 0,
            Type::Int { bytes, .. } => *bytes as u32,
            Type::Bool => 1,
            Type::Str(n) => *n,
            Type::Buf(n) => n + 4,
            Type::Record(r) => r.size,
            Type::Array(t, n) => t.size() * n,
            Type::Tuple(ts) => tuple_layout(ts).1,
            Type::Inet => 24,
            Type::Timestamp | Type::Usym => 16,
            Type::Agg(_) => 8,
            _ => 8,
        }
    }
}

/// The offsets of a tuple's fields, each aligned to 8 bytes (so that
/// every field can be written and zeroed with aligned 8-byte stores), and
/// the total size.
pub fn tuple_layout(ts: &[Type]) -> (Vec<u32>, u32) {
    let mut offsets = Vec::with_capacity(ts.len());
    let mut off = 0u32;
    for t in ts {
        off = off.div_ceil(8) * 8;
        offsets.push(off);
        off += t.size();
    }
    (offsets, off.div_ceil(8) * 8)
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::None => write!(f, "none"),
            Type::Int { bytes, signed } => {
                write!(
                    f,
                    "{}int{}",
                    if *signed { "" } else { "u" },
                    *bytes as u32 * 8
                )
            }
            Type::Bool => write!(f, "bool"),
            Type::Str(n) => write!(f, "string[{n}]"),
            Type::Buf(n) => write!(f, "buffer[{n}]"),
            Type::Ptr(t) => write!(f, "{t} *"),
            Type::Record(r) => write!(f, "{}", r.name),
            Type::Array(t, n) => write!(f, "{t}[{n}]"),
            Type::Tuple(ts) => {
                write!(f, "(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, ")")
            }
            Type::Ctx => write!(f, "ctx"),
            Type::Stack { user, .. } => write!(f, "{}stack", if *user { "u" } else { "k" }),
            Type::Ksym => write!(f, "ksym"),
            Type::Usym => write!(f, "usym"),
            Type::Username => write!(f, "username"),
            Type::Inet => write!(f, "inet"),
            Type::Timestamp => write!(f, "timestamp"),
            Type::ProbeName => write!(f, "probe"),
            Type::Agg(a) => write!(f, "{a:?}"),
        }
    }
}
