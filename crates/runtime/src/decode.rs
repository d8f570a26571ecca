//! Bytes from the kernel (events, map keys and values) into the neutral
//! output model.

use crate::symbols::Symbols;
use scry_lang::types::{tuple_layout, Type};
use scry_output::Value;

/// What decoding needs besides the bytes: the probe names, strftime
/// formats, stack and symbol lookups.
pub struct Decoder<'a> {
    pub probe_names: &'a [String],
    pub events: &'a [scry_lang::spec::EventSpec],
    pub symbols: &'a Symbols,
    pub stacks_fd: Option<std::os::fd::RawFd>,
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .map(|s| u64::from_ne_bytes(s.try_into().unwrap()))
        .unwrap_or(0)
}

/// A NUL-terminated string from a fixed buffer.
pub fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl Decoder<'_> {
    /// Decodes one value of type `t` stored at the start of `b`.
    pub fn value(&self, t: &Type, b: &[u8]) -> Value {
        match t {
            Type::Int { bytes, signed } => {
                let n = (*bytes as usize).min(8);
                let mut raw = [0u8; 8];
                raw[..n.min(b.len())].copy_from_slice(&b[..n.min(b.len())]);
                let v = u64::from_ne_bytes(raw);
                if *signed {
                    let shift = 64 - 8 * n as u32;
                    Value::Int(((v << shift) as i64) >> shift)
                } else {
                    Value::UInt(v)
                }
            }
            Type::Bool => Value::UInt(u64_at(b, 0) & 0xff),
            Type::Ptr(_) | Type::Ctx => Value::UInt(u64_at(b, 0)),
            Type::Str(n) => Value::Str(c_string(&b[..(*n as usize).min(b.len())])),
            Type::Buf(n) => {
                let len = b
                    .get(0..4)
                    .map(|s| u32::from_ne_bytes(s.try_into().unwrap()))
                    .unwrap_or(0)
                    .min(*n) as usize;
                Value::Bytes(b.get(4..4 + len).unwrap_or(&[]).to_vec())
            }
            Type::Tuple(ts) => {
                let (offs, _) = tuple_layout(ts);
                Value::Tuple(
                    ts.iter()
                        .zip(offs)
                        .map(|(t, o)| self.value(t, b.get(o as usize..).unwrap_or(&[])))
                        .collect(),
                )
            }
            Type::Array(t, n) => {
                let sz = t.size() as usize;
                Value::Tuple(
                    (0..*n as usize)
                        .map(|i| self.value(t, b.get(i * sz..).unwrap_or(&[])))
                        .collect(),
                )
            }
            Type::Ksym => Value::Sym(self.symbols.kernel(u64_at(b, 0))),
            Type::Usym => Value::Sym(self.symbols.user(u64_at(b, 8) as u32, u64_at(b, 0))),
            Type::Username => Value::Str(crate::symbols::user_name(u64_at(b, 0) as u32)),
            Type::ProbeName => Value::Str(
                self.probe_names
                    .get(u64_at(b, 0) as usize)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Type::Inet => Value::Str(inet(b)),
            Type::Timestamp => {
                let fmt = match self.events.get(u64_at(b, 0) as usize) {
                    Some(scry_lang::spec::EventSpec::TimeFormat { format }) => format.clone(),
                    _ => "%H:%M:%S".into(),
                };
                let wall = crate::symbols::boot_to_unix_ns(u64_at(b, 8));
                Value::Str(scry_output::format_time(&fmt, wall))
            }
            Type::Stack { user, depth, perf } => {
                let raw = u64_at(b, 0);
                let (id, pid) = (raw as u32, (raw >> 32) as u32);
                let mut addrs = self.stack(id);
                addrs.truncate(*depth as usize);
                let sym = |a: u64| match (*user, *perf) {
                    (true, true) => self.symbols.user_perf_frame(pid, a),
                    (true, false) => self.symbols.user_frame(pid, a),
                    (false, _) => self.symbols.kernel_frame(a),
                };
                match perf {
                    true => Value::PerfStack(addrs.into_iter().map(|a| (a, sym(a))).collect()),
                    false => Value::Stack(addrs.into_iter().map(sym).collect()),
                }
            }
            Type::Record(_) | Type::None | Type::Agg(_) => Value::None,
        }
    }

    /// The addresses of stack `id`, innermost first.
    fn stack(&self, id: u32) -> Vec<u64> {
        let Some(fd) = self.stacks_fd else {
            return Vec::new();
        };
        if id as i32 <= 0 && id != 0 {
            return Vec::new();
        }
        let mut buf = vec![0u8; 127 * 8];
        if !matches!(
            crate::bpfsys::map_lookup(fd, &id.to_ne_bytes(), &mut buf),
            Ok(true)
        ) {
            return Vec::new();
        }
        buf.chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .take_while(|&a| a != 0)
            .collect()
    }
}

/// An address from `ntop`: family (u32) then 16 address bytes at offset 8.
fn inet(b: &[u8]) -> String {
    let family = b
        .get(0..4)
        .map(|s| u32::from_ne_bytes(s.try_into().unwrap()))
        .unwrap_or(0);
    let addr = b.get(8..24).unwrap_or(&[0; 16]);
    if family == libc::AF_INET6 as u32 {
        let a: [u8; 16] = addr.try_into().unwrap();
        std::net::Ipv6Addr::from(a).to_string()
    } else {
        std::net::Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]).to_string()
    }
}
