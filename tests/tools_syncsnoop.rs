//! `scry tool syncsnoop`: a thread of the test (named `syncwl`) flushes a
//! file of its own with fsync, fdatasync, syncfs, sync_file_range and
//! msync; each call is a row, in order, with the kernel's clock.

mod tools_support;

use std::os::fd::AsRawFd;
use tools_support::*;

const CALLS: [&str; 5] = ["fsync", "fdatasync", "syncfs", "sync_file_range", "msync"];

fn flush_from_thread(path: std::path::PathBuf) {
    std::thread::Builder::new()
        .name("syncwl".into())
        .spawn(move || unsafe {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            f.set_len(4096).unwrap();
            let fd = f.as_raw_fd();
            assert_eq!(libc::fsync(fd), 0);
            assert_eq!(libc::fdatasync(fd), 0);
            assert_eq!(libc::syncfs(fd), 0);
            assert_eq!(libc::sync_file_range(fd, 0, 4096, 0), 0);
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            *(p as *mut u8) = 1;
            assert_eq!(libc::msync(p, 4096, libc::MS_SYNC), 0);
            libc::munmap(p, 4096);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn each_flush_call_is_a_row() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("syncsn");
    let me = std::process::id();
    let mut t = Tool::attached(&["syncsnoop", "-P", "-p", &me.to_string()], "TIME");
    let before = monotonic();
    flush_from_thread(dir.join("data"));
    let after = monotonic();
    t.expect_line("msync", |l| l.ends_with(" msync"));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME(s)            PID     COMM             CALL",
        "{out}"
    );
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let calls: Vec<&str> = rows.iter().map(|r| r[3]).collect();
    assert_eq!(calls, CALLS, "{out}");
    for r in &rows {
        assert_eq!(r[1], me.to_string(), "{out}");
        assert_eq!(r[2], "syncwl", "{out}");
        let ts: f64 = r[0].parse().unwrap();
        assert!(
            before <= ts && ts <= after,
            "{ts} not in {before}..{after}\n{out}"
        );
    }
}

/// CLOCK_MONOTONIC in seconds (the clock of bpf_ktime_get_ns).
fn monotonic() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}
