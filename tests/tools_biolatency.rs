//! `scry tool biolatency`: the histogram of a workload the test runs
//! (O_DIRECT reads of a file of its own, each one block request), per disk
//! and per flags, in BCC's layout; intervals and counts; --json.

mod tools_support;

use tools_support::*;

use tools_support::disk::{data_file, direct_reads, disk_of, READS};

/// The (low, high, count) rows of a BCC histogram block.
fn hist_rows(block: &str) -> Vec<(u64, u64, u64)> {
    block
        .lines()
        .filter(|l| l.contains(" -> "))
        .map(|l| {
            let (range, rest) = l.split_once(" : ").unwrap();
            let (lo, hi) = range.split_once(" -> ").unwrap();
            let count = rest.split_whitespace().next().unwrap();
            (
                lo.trim().parse().unwrap(),
                hi.trim().parse().unwrap(),
                count.parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn per_disk_histogram_of_direct_reads() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biolat");
    let path = data_file(&dir);
    let disk = disk_of(&path);

    let mut t = Tool::attached(&["biolatency", "-D"], "Tracing block device I/O");
    direct_reads(&path);
    let out = t.stop();
    out.assert_ok();
    let text = &out.stdout;
    assert!(
        text.starts_with("Tracing block device I/O... Hit Ctrl-C to end.\n\n"),
        "{out}"
    );
    let head = format!("\ndisk = {disk}\t\n     usecs               : count    distribution\n");
    let at = text
        .find(&head)
        .unwrap_or_else(|| panic!("no {disk} section:\n{out}"));
    let block = &text[at + head.len()..];
    let block = &block[..block.find("\ndisk = ").unwrap_or(block.len())];
    let rows = hist_rows(block);
    // BCC's slots: 0 -> 1, then powers of two, from slot 0 up.
    assert_eq!((rows[0].0, rows[0].1), (0, 1), "{out}");
    for (i, r) in rows.iter().enumerate().skip(1) {
        assert_eq!((r.0, r.1), (1 << i, (2 << i) - 1), "{out}");
    }
    let total: u64 = rows.iter().map(|r| r.2).sum();
    assert!(total >= READS as u64, "{total} I/Os, {READS} reads:\n{out}");
    // The 40-star bar: the fullest slot has all 40.
    let max = rows.iter().map(|r| r.2).max().unwrap();
    let full = block
        .lines()
        .find(|l| l.contains(&format!(": {max:<8} |")))
        .unwrap();
    assert!(full.ends_with(&format!("|{}|", "*".repeat(40))), "{out}");
}

#[test]
fn flags_intervals_and_milliseconds() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biolatf");
    let path = data_file(&dir);

    // -F is not possible through the raw tracepoints: the tracepoint plan
    // runs it (its rwbs field). Two 1-second intervals, then it ends.
    let mut t = Tool::attached(
        &["biolatency", "-F", "-m", "-T", "-v", "1", "2"],
        "Tracing block device I/O",
    );
    direct_reads(&path);
    let out = t.wait(std::time::Duration::from_secs(30));
    out.assert_ok();
    assert!(
        out.stderr
            .contains("plan rawtracepoint not used: cannot honour -F"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("using plan tracepoint (biolatency-tp.bt)"),
        "{out}"
    );
    let stamps = out
        .lines()
        .iter()
        .filter(|l| l.len() == 8 && l.as_bytes()[2] == b':')
        .count();
    assert_eq!(stamps, 2, "{out}");
    let reads = out
        .stdout
        .find("flags = Sync-Read\n     msecs               : count    distribution\n")
        .unwrap_or_else(|| panic!("no Sync-Read histogram:\n{out}"));
    let rest = &out.stdout[reads..];
    let block = &rest[..rest.find("\n\n").unwrap_or(rest.len())];
    assert!(
        hist_rows(block).iter().map(|r| r.2).sum::<u64>() > 0,
        "{out}"
    );
}

#[test]
fn json_one_object_per_interval() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("biolatj");
    let path = data_file(&dir);

    let mut t = Tool::attached(&["biolatency", "--json", "-D"], "");
    direct_reads(&path);
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let j = Json::parse(lines[0]).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(j.keys(), ["time", "unit", "histograms"]);
    assert_eq!(j.get("unit").unwrap().str(), Some("usecs"));
    let Json::Arr(hists) = j.get("histograms").unwrap() else {
        panic!("{out}")
    };
    let disk = disk_of(&path);
    let h = hists
        .iter()
        .find(|h| h.get("disk").and_then(Json::str) == Some(disk.as_str()))
        .unwrap_or_else(|| panic!("no {disk}:\n{out}"));
    let Json::Arr(buckets) = h.get("buckets").unwrap() else {
        panic!()
    };
    let total: f64 = buckets
        .iter()
        .map(|b| b.get("count").unwrap().num().unwrap())
        .sum();
    assert!(total >= READS as f64, "{out}");
    assert_eq!(buckets[0].keys(), ["min", "max", "count"]);
}
