//! An aya [`EbpfLoader`] that does not parse the kernel's BTF.
//!
//! aya 0.14's `EbpfLoader::new()` (and its `Default`) always runs
//! `Btf::from_sys_fs()`: it reads `/sys/kernel/btf/vmlinux` (~5.5 MB) and
//! parses every type (~20 ms and ~17 MB of peak RSS here), and `.btf(None)`
//! only drops the result afterwards. The loader's BTF serves CO-RE
//! relocations alone, and scry's generated code has none (the compiler runs
//! on the target, so offsets are exact); fentry/fexit take their BTF as an
//! argument of `load`, parsed by the session only when a script has them.
//! aya has no constructor without the parse, and its fields are private.
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
//! [`prewarm`], called first thing in `main`, starts that thread (and aya's
//! feature probes) at once, so they overlap parsing and compilation.
//!
//! `chroot` needs CAP_SYS_CHROOT. Without it (or without threads) the plain
//! `EbpfLoader::new()` is used: slower, same result. Without
//! `/sys/kernel/btf` the chroot fails too, but then the parse is free.

use aya::EbpfLoader;
use std::ffi::CStr;
use std::sync::Mutex;
use std::thread::JoinHandle;

/// Where the thread's root goes: a directory that cannot hold a
/// `sys/kernel/btf/vmlinux` path (its entries are BTF files of modules).
const EMPTY_ROOT: &CStr = c"/sys/kernel/btf";

/// The loader [`prewarm`] is building, if it was called.
static PREWARMED: Mutex<Option<JoinHandle<Option<EbpfLoader<'static>>>>> = Mutex::new(None);

/// A loader with no kernel BTF (as `EbpfLoader::new().btf(None)`), built
/// without reading or parsing `/sys/kernel/btf/vmlinux` when possible.
pub fn ebpf_loader() -> EbpfLoader<'static> {
    let prewarmed = PREWARMED.lock().ok().and_then(|mut p| p.take());
    let handle = prewarmed.or_else(|| spawn(|| confined().then(EbpfLoader::new)));
    let built = handle.and_then(|h| h.join().ok().flatten());
    // The fallback, EbpfLoader::default(), is new(): it parses the BTF.
    let mut loader = built.unwrap_or_default();
    loader.btf(None);
    loader
}

/// Optional, as early as possible in `main`: runs aya's kernel feature
/// probes (~15 bpf() calls, ~0.4 ms, otherwise run by the first load) and
/// builds the loader on a background thread, so both overlap argument
/// parsing and compilation.
pub fn prewarm() {
    let handle = spawn(|| {
        let _ = aya::features();
        confined().then(EbpfLoader::new)
    });
    if let (Some(h), Ok(mut p)) = (handle, PREWARMED.lock()) {
        *p = Some(h);
    }
}

fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<JoinHandle<T>> {
    std::thread::Builder::new()
        .name("scry-loader".into())
        .stack_size(256 * 1024)
        .spawn(f)
        .ok()
}

/// Detaches this thread's root directory from the process's and moves it
/// to [`EMPTY_ROOT`]. Call only on a thread of ours that ends afterwards.
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
        // Both ways of getting a loader work, with or without prewarm.
        let _ = ebpf_loader();
        prewarm();
        let _ = ebpf_loader();
    }
}
