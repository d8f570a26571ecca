//! `scry tool biosnoop`: a thread of the test (named `biosnwl`) reads a
//! file of its own with O_DIRECT, one 4 KiB block request per read; each
//! is a row naming the thread, its disk, R, 4096 bytes and a latency.

mod tools_support;

use tools_support::disk::{data_file, direct_reads, disk_of, READS};
use tools_support::*;

fn reads_from_thread(path: std::path::PathBuf) {
    std::thread::Builder::new()
        .name("biosnwl".into())
        .spawn(move || direct_reads(&path))
        .unwrap()
        .join()
        .unwrap();
}

fn count_rows(out: &str) -> usize {
    out.lines().filter(|l| l.contains(" biosnwl ")).count()
}

#[test]
fn a_row_per_direct_read() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biosn");
    let path = data_file(&dir);
    let disk = disk_of(&path);
    let mut t = Tool::attached(&["biosnoop", "-Q", "-d", &disk], "TIME");
    reads_from_thread(path);
    assert!(
        t.wait_until(LINE_TIMEOUT, |out, _| count_rows(out) >= READS),
        "{}",
        t.stdout()
    );
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0],
        "TIME(s)     COMM           PID     DISK    T    SECTOR     BYTES   QUE(ms) LAT(ms)",
        "{out}"
    );
    let me = std::process::id().to_string();
    let mut sectors = Vec::new();
    for l in lines.iter().filter(|l| l.contains(" biosnwl ")) {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[1], "biosnwl", "{l}");
        assert_eq!(f[2], me, "{l}");
        assert_eq!(f[3], disk, "{l}");
        assert!(f[4].starts_with('R'), "{l}");
        assert_eq!(f[6], "4096", "{l}");
        let que: f64 = f[7].parse().unwrap();
        let lat: f64 = f[8].parse().unwrap();
        assert!((0.0..10_000.0).contains(&que) && lat > 0.0, "{l}");
        assert_eq!(f[8].split('.').nth(1).map(str::len), Some(3), "{l}");
        sectors.push(f[5].parse::<u64>().unwrap());
    }
    assert_eq!(sectors.len(), READS, "{out}");
    sectors.sort();
    sectors.dedup();
    assert_eq!(sectors.len(), READS, "every block once:\n{out}");
    // Only the chosen disk.
    for l in &lines[1..] {
        assert_eq!(l.split_whitespace().nth(3), Some(disk.as_str()), "{out}");
    }
}

#[test]
fn min_latency_and_bad_disk() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biosnm");
    let path = data_file(&dir);
    // No read of a small file on this machine takes 10 s.
    let mut t = Tool::attached(&["biosnoop", "-t", "-m", "10000"], "TIMESTAMP");
    reads_from_thread(path);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(count_rows(&out.stdout), 0, "{out}");

    let out = run_tool(&["biosnoop", "-d", "no-such-disk"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr.trim(),
        "biosnoop: no such disk: 'no-such-disk' (see /sys/class/block)"
    );
}
