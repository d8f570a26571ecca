//! BCC's probe specs, as its generic tools take them:
//!
//! ```text
//! vfs_read            kernel function (p::vfs_read)
//! c:malloc            user function malloc in libc (p:c:malloc)
//! /path/bin:func      user function in a binary
//! p:lib:func          function entry; r:lib:func its return (trace)
//! t:sched:sched_fork  kernel tracepoint
//! u:lib:probe         USDT probe (u:lib:provider:probe in trace)
//! ```
//!
//! An empty library means the kernel. Names may hold `*` wildcards (or be
//! regular expressions with `-r`). Turning a spec into attach points is
//! [`crate::targets`]'s job.

/// What a spec attaches to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `p:` function entry (kernel or user).
    Entry,
    /// `r:` function return.
    Return,
    /// `t:` kernel tracepoint.
    Tracepoint,
    /// `u:` USDT probe.
    Usdt,
}

/// One parsed probe spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub kind: Type,
    /// The library or binary as written (`c`, `/bin/bash`); empty for
    /// kernel functions; the category of a tracepoint.
    pub library: String,
    /// The function, tracepoint event or USDT probe (`provider:probe` is
    /// allowed), as written.
    pub name: String,
}

impl ProbeSpec {
    /// A spec as funccount, stackcount and funclatency take it: `func`,
    /// `lib:func`, `p::func`, `p:lib:func`, `t:cat:event`, `u:lib:probe`.
    pub fn parse_pattern(text: &str) -> Result<ProbeSpec, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let spec = match parts.as_slice() {
            [name] => ProbeSpec::new(Type::Entry, "", name),
            [lib, name] => ProbeSpec::new(Type::Entry, lib, name),
            ["p", lib, name] => ProbeSpec::new(Type::Entry, lib, name),
            ["t", cat, event] => ProbeSpec::new(Type::Tracepoint, cat, event),
            ["u", lib, name] => ProbeSpec::new(Type::Usdt, lib, name),
            [t, _, _] => {
                return Err(format!(
                    "probe type must be 'p', 't' or 'u', not '{t}' (in '{text}')"
                ))
            }
            _ => return Err(format!("too many ':'-separated parts in '{text}'")),
        };
        spec.check(text)
    }

    /// A spec as trace and argdist take it: also `r:lib:func`, an empty
    /// type for `p`, and `u:lib:provider:probe`.
    pub fn parse_full(text: &str) -> Result<ProbeSpec, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let spec = match parts.as_slice() {
            [name] => ProbeSpec::new(Type::Entry, "", name),
            [lib, name] => ProbeSpec::new(Type::Entry, lib, name),
            ["t", cat, event] => ProbeSpec::new(Type::Tracepoint, cat, event),
            ["t", ..] => return Err(format!("a tracepoint is t:category:event, not '{text}'")),
            ["u", lib, rest @ ..] => ProbeSpec::new(Type::Usdt, lib, &rest.join(":")),
            [t @ ("" | "p" | "r"), lib @ .., name] => {
                let kind = if *t == "r" { Type::Return } else { Type::Entry };
                ProbeSpec::new(kind, &lib.join(":"), name)
            }
            [t, ..] => {
                return Err(format!(
                    "probe type must be 'p', 'r', 't' or 'u', not '{t}' (in '{text}')"
                ))
            }
            [] => return Err("empty probe spec".to_string()),
        };
        spec.check(text)
    }

    fn new(kind: Type, library: &str, name: &str) -> ProbeSpec {
        ProbeSpec {
            kind,
            library: library.to_string(),
            name: name.to_string(),
        }
    }

    fn check(self, text: &str) -> Result<ProbeSpec, String> {
        if self.name.is_empty() {
            return Err(format!("no function or event named in '{text}'"));
        }
        if self.kind == Type::Tracepoint && self.library.is_empty() {
            return Err(format!("no tracepoint category in '{text}'"));
        }
        if self.kind == Type::Usdt && self.library.is_empty() {
            return Err(format!("a USDT probe needs a library or binary: '{text}'"));
        }
        if self.name.contains('+') {
            return Err(format!("function offsets are not supported: '{text}'"));
        }
        Ok(self)
    }

    /// A kernel function (`p::`/`r::`).
    pub fn is_kernel_function(&self) -> bool {
        matches!(self.kind, Type::Entry | Type::Return) && self.library.is_empty()
    }

    /// A user function or USDT probe (in a library or binary).
    pub fn is_user(&self) -> bool {
        !self.library.is_empty() && self.kind != Type::Tracepoint
    }

    /// The same function's return (or entry).
    pub fn with_kind(&self, kind: Type) -> ProbeSpec {
        ProbeSpec {
            kind,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_forms() {
        let p = ProbeSpec::parse_pattern;
        assert_eq!(
            p("vfs_*").unwrap(),
            ProbeSpec::new(Type::Entry, "", "vfs_*")
        );
        assert_eq!(p("c:malloc").unwrap().library, "c");
        assert_eq!(p("p::do_nanosleep").unwrap().library, "");
        assert_eq!(p("/bin/bash:readline").unwrap().library, "/bin/bash");
        let t = p("t:sched:sched_fork").unwrap();
        assert_eq!((t.kind, t.library.as_str()), (Type::Tracepoint, "sched"));
        assert_eq!(p("u:node:gc*").unwrap().kind, Type::Usdt);
        assert!(p("r::vfs_read").unwrap_err().contains("'r'"));
        assert!(p("a:b:c:d").is_err());
        assert!(p("t::x").is_err());
        assert!(p("vfs_read+0x12").is_err());
    }

    #[test]
    fn trace_forms() {
        let p = ProbeSpec::parse_full;
        assert_eq!(p("r::vfs_read").unwrap().kind, Type::Return);
        assert_eq!(p("do_sys_open").unwrap().library, "");
        let u = p("u:pthread:libpthread:pthread_create").unwrap();
        assert_eq!(
            (u.library.as_str(), u.name.as_str()),
            ("pthread", "libpthread:pthread_create")
        );
        assert!(p("r:c:malloc").unwrap().is_user());
        assert!(p("p::vfs_read").unwrap().is_kernel_function());
        assert!(p("x:c:malloc").is_err());
    }
}
