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
