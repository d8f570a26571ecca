//! `scry tool cachestat`: the test writes a 16 MiB file on disk (dirtied
//! pages), drops it from the page cache, reads it twice (misses, then
//! hits), and checks the lines' sums against those 4096 pages. The counts
//! are of the whole system, so only lower bounds hold.

mod tools_support;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use tools_support::*;

const PAGES: i64 = 4096;

fn write_file(path: &std::path::Path) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&vec![3u8; PAGES as usize * 4096]).unwrap();
    f.sync_all().unwrap();
}

/// Drops the file's pages from the page cache.
fn drop_cached(path: &std::path::Path) {
    let f = std::fs::File::open(path).unwrap();
    let r = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(r, 0);
}

fn read_all(path: &std::path::Path) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 128 << 10];
    while f.read(&mut buf).unwrap() > 0 {}
}

/// Waits for the next line to be printed; returns the number of lines.
fn next_line(t: &mut Tool) -> usize {
    let n = t.stdout().lines().count();
    let ok = t.wait_until(std::time::Duration::from_secs(10), |out, _| {
        out.lines().count() > n
    });
    assert!(ok, "no new line:\n{}", t.stdout());
    n + 1
}

#[test]
fn misses_then_hits() {
    require_root!();
    let _g = serial();
    let dir = TempDir::on_disk("cachest");
    let path = dir.join("data");
    let mut t = Tool::attached(&["cachestat", "-T", "1"], "TIME");
    write_file(&path);
    drop_cached(&path);
    read_all(&path);
    // Every line from here on covers time after the first read.
    let split = next_line(&mut t);
    read_all(&path);
    next_line(&mut t);
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME         HITS   MISSES  DIRTIES HITRATIO   BUFFERS_MB  CACHED_MB",
        "{out}"
    );
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for r in &rows {
        assert_eq!(r.len(), 7, "{out}");
        assert!(r[0].len() == 8 && r[0].as_bytes()[2] == b':', "{out}");
        assert!(r[4].ends_with('%'), "{out}");
        assert!(r[6].parse::<u64>().unwrap() > 0, "CACHED_MB\n{out}");
    }
    let sum = |from: usize, to: usize, col: usize| -> i64 {
        rows[from.min(rows.len())..to.min(rows.len())]
            .iter()
            .map(|r| r[col].parse::<i64>().unwrap())
            .sum()
    };
    // Rows (not lines): the header is line 0.
    let split = split - 1;
    // The write dirtied every page; the first read missed them all.
    assert!(sum(0, split, 3) >= PAGES * 9 / 10, "DIRTIES\n{out}");
    assert!(sum(0, split, 2) >= PAGES * 9 / 10, "MISSES\n{out}");
    // The second read found them all.
    assert!(sum(split, rows.len(), 1) >= PAGES * 9 / 10, "HITS\n{out}");
}

#[test]
fn json_rows() {
    require_root!();
    let _g = serial();
    let out = run_tool(&["cachestat", "--json", "1", "1"]);
    out.assert_ok();
    let obj = Json::parse(out.lines()[0]).unwrap();
    let Some(Json::Arr(rows)) = obj.get("rows") else {
        panic!("{out}");
    };
    assert_eq!(
        rows[0].keys(),
        [
            "hits",
            "misses",
            "dirties",
            "hit_pct",
            "buffers_mb",
            "cached_mb"
        ]
    );
}
