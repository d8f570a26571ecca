//! An aya [`EbpfLoader`] that does not parse the kernel's BTF.
//!
//! aya 0.14's `EbpfLoader::new()` (and its `Default`) always runs
//! `Btf::from_sys_fs()`: it reads `/sys/kernel/btf/vmlinux` (~5.5 MB) and
//! parses every type (~20 ms and ~17 MB of peak RSS here), and `.btf(None)`
//! only drops the result afterwards. The loader's BTF serves CO-RE
//! relocations alone, and scry's generated code has none (the compiler runs
//! on the target, so offsets are exact); fentry/fexit take their BTF as an
//! argument of `load`, parsed by the session only when a script has them. aya has no constructor without the
//! parse and its fields are private.
//!
//! So the loader is built on a short-lived thread whose root directory is
//! `/sys/kernel/btf`: the thread first unshares its filesystem attributes
//! (`unshare(CLONE_FS)`, per thread, no other thread is affected), then
//! `chroot`s, and `/sys/kernel/btf/vmlinux` no longer resolves there, so
//! `from_sys_fs()` fails at `open` and the loader starts with no BTF,
//! exactly what `.btf(None)` leaves. Nothing else in `EbpfLoader::new`
//! touches the file system, and everything the loader does later (feature
//! probes, map and program creation, attach) runs on the caller's thread
//! with the normal root.
//!
//! `chroot` needs CAP_SYS_CHROOT. Without it (or without threads) the plain
//! `EbpfLoader::new()` is used: slower, same result. Without
//! `/sys/kernel/btf` the chroot fails too, but then the parse is free.

use aya::EbpfLoader;
use std::ffi::CStr;

/// Where the thread's root goes: a directory that cannot hold a
/// `sys/kernel/btf/vmlinux` path (its entries are BTF files of modules).
const EMPTY_ROOT: &CStr = c"/sys/kernel/btf";

/// A loader with no kernel BTF (as `EbpfLoader::new().btf(None)`), built
/// without reading or parsing `/sys/kernel/btf/vmlinux` when possible.
pub fn ebpf_loader() -> EbpfLoader<'static> {
    let built = std::thread::Builder::new()
        .name("scry-loader".into())
        .stack_size(64 * 1024)
        .spawn(|| confined().then(EbpfLoader::new))
        .ok()
        .and_then(|h| h.join().ok().flatten());
    let mut loader = built.unwrap_or_else(EbpfLoader::new);
    loader.btf(None);
    loader
}

/// Detaches this thread's root directory from the process's and moves it
/// to [`EMPTY_ROOT`]. Call only on a thread that ends afterwards.
fn confined() -> bool {
    // SAFETY: unshare(CLONE_FS) gives this thread a private copy of its
    // root/cwd/umask; chroot then changes that copy only. Plain syscalls
    // with a NUL-terminated path.
    unsafe {
        libc::unshare(libc::CLONE_FS) == 0
            && libc::chroot(EMPTY_ROOT.as_ptr()) == 0
            && libc::chdir(c"/".as_ptr()) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aya::Btf;

    #[test]
    fn confined_thread_does_not_see_vmlinux_and_others_still_do() {
        let vmlinux = std::path::Path::new("/sys/kernel/btf/vmlinux");
        if !vmlinux.exists() || unsafe { libc::geteuid() } != 0 {
            return;
        }
        let seen = std::thread::spawn(|| confined().then(|| Btf::from_sys_fs().is_ok()))
            .join()
            .unwrap();
        assert_eq!(seen, Some(false));
        assert!(vmlinux.exists(), "the process root must be untouched");
        // The loader it builds loads objects like any other.
        let _ = ebpf_loader();
    }
}
