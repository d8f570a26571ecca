//! `scry tool hardirqs` and `softirqs`: the interrupts a workload of the
//! test causes (O_DIRECT disk reads: the disk's interrupt; loopback UDP:
//! the net_rx softirq) show up, and hardirqs' counts are at least what
//! /proc/interrupts counted meanwhile.

mod tools_support;

use std::collections::BTreeMap;
use tools_support::disk::{data_file, direct_reads};
use tools_support::*;

/// /proc/interrupts: the total of each named interrupt over all CPUs.
fn interrupts() -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string("/proc/interrupts").unwrap();
    let ncpus = text.lines().next().unwrap().split_whitespace().count();
    let mut m = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < ncpus + 3 || !f[0].ends_with(':') || f[0].len() < 2 {
            continue;
        }
        let Ok(_) = f[0].trim_end_matches(':').parse::<u32>() else {
            continue;
        };
        let total: u64 = f[1..=ncpus]
            .iter()
            .filter_map(|v| v.parse::<u64>().ok())
            .sum();
        *m.entry(f[f.len() - 1].to_string()).or_insert(0) += total;
    }
    m
}

/// The (name, value) rows of a totals table.
fn table(out: &Output, header: &str) -> BTreeMap<String, u64> {
    let lines = out.lines();
    let at = lines
        .iter()
        .position(|l| l.starts_with(header))
        .unwrap_or_else(|| panic!("no {header}:\n{out}"));
    lines[at + 1..]
        .iter()
        .filter_map(|l| {
            let (name, v) = l.trim_end().rsplit_once(' ')?;
            Some((name.trim().to_string(), v.parse().ok()?))
        })
        .collect()
}

#[test]
fn hardirq_counts_cover_proc_interrupts() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("hirq");
    let path = data_file(&dir);
    let mut t = Tool::attached(&["hardirqs", "-C"], "Tracing");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let before = interrupts();
    direct_reads(&path);
    let after = interrupts();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "Tracing hard irq events... Hit Ctrl-C to end."
    );
    let counts = table(&out, "HARDIRQ                    TOTAL_count");
    // The busiest interrupt meanwhile (the disk's): the tool saw at least
    // as many, over its longer window.
    let (name, delta) = after
        .iter()
        .map(|(n, v)| (n, v - before.get(n).copied().unwrap_or(0)))
        .max_by_key(|(_, d)| *d)
        .unwrap();
    assert!(delta >= 100, "{name}: {delta} interrupts for 200 reads?");
    let seen = counts.get(name).copied().unwrap_or(0);
    assert!(
        seen >= delta,
        "{name}: tool {seen} < /proc/interrupts {delta}\n{out}"
    );
}

#[test]
fn hardirq_time_and_histograms() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("hirqd");
    let path = data_file(&dir);
    let mut t = Tool::attached(&["hardirqs", "-N"], "Tracing");
    direct_reads(&path);
    let out = t.stop();
    out.assert_ok();
    let totals = table(&out, "HARDIRQ                    TOTAL_nsecs");
    assert!(totals.values().any(|ns| *ns > 0), "{out}");

    let mut t = Tool::attached(&["hardirqs", "-d"], "Tracing");
    direct_reads(&path);
    let out = t.stop();
    out.assert_ok();
    assert!(out.stdout.contains("\nhardirq = "), "{out}");
    assert!(out
        .stdout
        .contains("     usecs               : count    distribution\n"));
}

/// UDP datagrams over loopback: each is received in the net_rx softirq.
fn loopback_udp(n: usize) {
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let mut buf = [0u8; 64];
    for _ in 0..n {
        tx.send_to(b"scry", to).unwrap();
        rx.recv_from(&mut buf).unwrap();
    }
}

#[test]
fn softirqs_of_loopback_traffic() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["softirqs", "-C"], "Tracing");
    loopback_udp(500);
    let out = t.stop();
    out.assert_ok();
    let counts = table(&out, "SOFTIRQ          TOTAL_count");
    assert!(counts.get("net_rx").copied().unwrap_or(0) >= 500, "{out}");

    let out = run_tool(&["softirqs", "-d", "--json", "1", "1"]);
    out.assert_ok();
    let obj = Json::parse(out.lines()[0]).unwrap();
    assert_eq!(obj.get("unit").and_then(Json::str), Some("usecs"), "{out}");
    let Some(Json::Arr(hists)) = obj.get("histograms") else {
        panic!("{out}");
    };
    // The timer fires every tick: there is always a timer histogram.
    assert!(
        hists
            .iter()
            .any(|h| h.get("softirq").and_then(Json::str) == Some("timer")),
        "{out}"
    );
}
