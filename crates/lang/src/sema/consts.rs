//! Named constants a script may use bare: enumerators from the kernel's BTF
//! (`TCP_FIN_WAIT1`, `SKB_DROP_REASON_NOT_SPECIFIED`) and a few UAPI macros
//! that BTF cannot carry (`AF_INET`, `TASK_RUNNING`), which bpftrace takes
//! from kernel headers.

use crate::env::Env;

const MACROS: &[(&str, i64)] = &[
    ("AF_UNSPEC", 0),
    ("AF_UNIX", 1),
    ("AF_LOCAL", 1),
    ("AF_INET", 2),
    ("AF_INET6", 10),
    ("AF_NETLINK", 16),
    ("AF_PACKET", 17),
    ("TASK_RUNNING", 0),
    ("TASK_INTERRUPTIBLE", 1),
    ("TASK_UNINTERRUPTIBLE", 2),
    ("__TASK_STOPPED", 4),
    ("__TASK_TRACED", 8),
    ("EXIT_DEAD", 16),
    ("EXIT_ZOMBIE", 32),
    ("TASK_DEAD", 128),
    ("TASK_WAKEKILL", 256),
    ("TASK_WAKING", 512),
    ("TASK_PARKED", 1024),
    ("TASK_NOLOAD", 2048),
    ("TASK_NEW", 4096),
    ("O_RDONLY", 0),
    ("O_WRONLY", 1),
    ("O_RDWR", 2),
    ("O_CREAT", 0o100),
    ("O_EXCL", 0o200),
    ("O_TRUNC", 0o1000),
    ("O_APPEND", 0o2000),
    ("O_NONBLOCK", 0o4000),
    ("O_DIRECTORY", 0o200000),
    ("O_CLOEXEC", 0o2000000),
    ("AT_FDCWD", -100),
    ("AT_SYMLINK_NOFOLLOW", 0x100),
    ("AT_REMOVEDIR", 0x200),
    ("AT_SYMLINK_FOLLOW", 0x400),
    ("AT_EMPTY_PATH", 0x1000),
    ("MS_ASYNC", 1),
    ("MS_INVALIDATE", 2),
    ("MS_SYNC", 4),
    ("SIGKILL", 9),
    ("SIGTERM", 15),
    ("SIGINT", 2),
    ("SIGSTOP", 19),
    ("SIGCONT", 18),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
    ("PAGE_SIZE", 4096),
    ("MSG_OOB", 1),
    ("MSG_PEEK", 2),
    ("MSG_DONTWAIT", 0x40),
    ("MSG_WAITALL", 0x100),
    ("ETH_P_IP", 0x0800),
    ("ETH_P_IPV6", 0x86dd),
];

/// The value of a bare identifier that names a constant.
pub fn constant(env: &dyn Env, name: &str) -> Option<i64> {
    if let Some((_, v)) = MACROS.iter().find(|(n, _)| *n == name) {
        return Some(*v);
    }
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
    {
        return None;
    }
    env.btf()?.enum_value(name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{ElfSymbol, TpField, UsdtProbe};

    /// A machine with no BTF: only the macros are known.
    struct NoKernel;

    impl Env for NoKernel {
        fn btf(&self) -> Option<&scry_btf::Btf> {
            None
        }
        fn tracepoints(&self, _: &str, _: &str) -> Vec<(String, String)> {
            Vec::new()
        }
        fn tracepoint_fields(&self, _: &str, _: &str) -> Option<Vec<TpField>> {
            None
        }
        fn kernel_functions(&self, _: &str) -> Vec<String> {
            Vec::new()
        }
        fn resolve_binary(&self, t: &str) -> Result<String, String> {
            Err(t.to_string())
        }
        fn elf_symbols(&self, p: &str, _: &str) -> Result<Vec<ElfSymbol>, String> {
            Err(p.to_string())
        }
        fn usdt_probes(&self, p: &str) -> Result<Vec<UsdtProbe>, String> {
            Err(p.to_string())
        }
        fn ncpus(&self) -> u32 {
            1
        }
    }

    #[test]
    fn socket_macros() {
        assert_eq!(constant(&NoKernel, "AF_INET6"), Some(10));
        assert_eq!(constant(&NoKernel, "MSG_PEEK"), Some(2));
        assert_eq!(constant(&NoKernel, "ETH_P_IPV6"), Some(0x86dd));
        assert_eq!(
            constant(&NoKernel, "IPPROTO_TCP"),
            None,
            "an enumerator, from BTF"
        );
    }
}
