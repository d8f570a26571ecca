//! Disk workloads for the block I/O tools' tests: a file on disk and
//! O_DIRECT reads of it (one block request each), and the disk it is on.

use super::TempDir;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

pub const READS: usize = 200;

/// A file of `READS` 4 KiB blocks, on disk.
pub fn data_file(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.join("data");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&vec![7u8; READS * 4096]).unwrap();
    f.sync_all().unwrap();
    path
}

/// Reads every block of `path` with O_DIRECT (no page cache: one block
/// I/O per read).
pub fn direct_reads(path: &Path) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .unwrap();
    let layout = std::alloc::Layout::from_size_align(4096, 4096).unwrap();
    let buf = unsafe { std::alloc::alloc(layout) };
    for i in 0..READS {
        let n = unsafe {
            libc::pread(
                std::os::fd::AsRawFd::as_raw_fd(&f),
                buf.cast(),
                4096,
                (i * 4096) as libc::off_t,
            )
        };
        assert_eq!(n, 4096, "O_DIRECT read");
    }
    unsafe { std::alloc::dealloc(buf, layout) };
}

/// The name of the disk holding `path` (the whole disk for a partition).
pub fn disk_of(path: &Path) -> String {
    let dev = std::fs::metadata(path).unwrap().dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let sys = std::fs::canonicalize(format!("/sys/dev/block/{major}:{minor}")).unwrap();
    let disk = if sys.join("partition").exists() {
        sys.parent().unwrap().to_path_buf()
    } else {
        sys
    };
    disk.file_name().unwrap().to_string_lossy().into_owned()
}

/// A loop device over a file of the test: a disk no one else uses, so a
/// tool filtered to it sees the test's I/O only. Detached on drop.
pub struct LoopDev {
    /// `/dev/loopN`
    pub path: std::path::PathBuf,
}

impl LoopDev {
    /// A loop device of `mib` MiB, or None (with a message) when losetup
    /// is missing or fails.
    pub fn new(dir: &TempDir, mib: u64) -> Option<LoopDev> {
        let img = dir.join("loop.img");
        let f = std::fs::File::create(&img).unwrap();
        f.set_len(mib << 20).unwrap();
        let out = std::process::Command::new("losetup")
            .args(["-f", "--show"])
            .arg(&img)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let dev = String::from_utf8_lossy(&o.stdout).trim().to_string();
                Some(LoopDev { path: dev.into() })
            }
            other => {
                eprintln!("skipped: no loop device ({other:?})");
                None
            }
        }
    }

    /// `loopN`
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// Reads 4 KiB with O_DIRECT at each block number, in order.
    pub fn read_blocks(&self, blocks: &[u64]) {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(&self.path)
            .unwrap();
        let layout = std::alloc::Layout::from_size_align(4096, 4096).unwrap();
        let buf = unsafe { std::alloc::alloc(layout) };
        for b in blocks {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
            let n = unsafe { libc::pread(fd, buf.cast(), 4096, (b * 4096) as libc::off_t) };
            assert_eq!(n, 4096, "O_DIRECT read of {}", self.path.display());
        }
        unsafe { std::alloc::dealloc(buf, layout) };
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup")
            .arg("-d")
            .arg(&self.path)
            .status();
    }
}
