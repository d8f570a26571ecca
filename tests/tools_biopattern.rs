//! `scry tool biopattern`: on a loop device of its own, the test reads 100
//! blocks in a row, then 50 scattered blocks, with O_DIRECT; the table
//! counts 99 sequential and 50 random requests (the first request has no
//! predecessor).

mod tools_support;

use tools_support::disk::LoopDev;
use tools_support::*;

/// 100 sequential blocks, then 50 blocks 7 apart (never adjacent).
fn workload(dev: &LoopDev) {
    let seq: Vec<u64> = (0..100).collect();
    let rnd: Vec<u64> = (0..50).map(|i| 200 + i * 7).collect();
    dev.read_blocks(&seq);
    dev.read_blocks(&rnd);
}

#[test]
fn sequential_and_random_shares() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biopat");
    let Some(dev) = LoopDev::new(&dir, 8) else {
        return;
    };
    let name = dev.name();
    let mut t = Tool::attached(&["biopattern", "-d", &name], "DISK");
    workload(&dev);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "Tracing block device I/O requested seeks... Hit Ctrl-C to end.",
        "{out}"
    );
    assert_eq!(lines[1], "DISK     %RND  %SEQ    COUNT     KBYTES", "{out}");
    // 50 of 149 random (33%), 99 sequential (66%), 149 × 4 KiB.
    let want = format!("{name:<7} {:>5} {:>5} {:>8} {:>10}", 33, 66, 149, 596);
    assert_eq!(lines[2..], [want.as_str()], "{out}");
}

#[test]
fn intervals_with_timestamps_and_json() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biopatj");
    let Some(dev) = LoopDev::new(&dir, 8) else {
        return;
    };
    let name = dev.name();
    let mut t = Tool::attached(&["biopattern", "-T", "-d", &name, "1", "1"], "TIME");
    workload(&dev);
    let out = t.wait(std::time::Duration::from_secs(10));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[1],
        "TIME      DISK     %RND  %SEQ    COUNT     KBYTES"
    );
    assert_eq!(lines.len(), 3, "one interval, one disk:\n{out}");
    assert_eq!(lines[2].as_bytes()[2], b':', "{out}");
    assert!(lines[2][10..].starts_with(&name), "{out}");

    let mut t = Tool::attached(&["biopattern", "--json", "-d", &name], "");
    workload(&dev);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let obj = Json::parse(out.lines()[0]).unwrap();
    let Some(Json::Arr(rows)) = obj.get("rows") else {
        panic!("{out}");
    };
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(
        rows[0].keys(),
        ["disk", "rnd_pct", "seq_pct", "count", "kbytes"]
    );
    assert_eq!(rows[0].get("disk").and_then(Json::str), Some(name.as_str()));
    assert_eq!(rows[0].get("count").and_then(Json::num), Some(149.0));
}
