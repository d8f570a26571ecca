//! `scry tool argdist`: the values of a C fixture's arguments
//! (tests/fixtures/generic.c) counted with `-C` (with a filter, a string,
//! return values, a label), a histogram with `-H`, `$latency` on return,
//! `-n` ending the run, and JSON.

mod tools_support;

use std::time::Duration;
use tools_support::*;

const N: usize = 9;

/// The text of the last interval (from its `[HH:MM:SS]` line).
fn last_interval(stdout: &str) -> &str {
    let at = stdout.rfind("\n[").map_or(0, |i| i + 1);
    &stdout[at..]
}

#[test]
fn counts_and_histograms_of_arguments() {
    require_root!();
    let dir = TempDir::new("ad");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let b = bin.display();
    let args = format!("p:{b}:scry_gen_args(int n, char *text):int,char*:n,text:n!=1");
    let rets = format!("r:{b}:scry_gen_args()#returns");
    let hist = format!("p:{b}:scry_gen_args(int n):int:n");
    let lat = format!("r:{b}:scry_gen_sleep():u64:$latency/1000#usecs asleep");
    let mut t = Tool::attached(
        &[
            "argdist", "-c", "-C", &args, "-C", &rets, "-H", &hist, "-H", &lat,
        ],
        "[",
    );
    let mut p = Program::start(&bin, &[&N.to_string(), "2500"]);
    assert!(p.wait().is_some_and(|s| s.success()));
    t.expect_line("the returns", |l| l.starts_with("\t3          retval = 20"));
    let out = t.stop();
    out.assert_ok();
    let last = last_interval(&out.stdout);
    let expect = format!(
        "{args}\n\tCOUNT      EVENT\n\t3          n = 0, text = item-0\n\t3          n = 2, text = item-2\nreturns\n\tCOUNT      EVENT\n\t3          retval = 0\n\t3          retval = 10\n\t3          retval = 20\n     n                   : count    distribution\n         0 -> 1          : 6        |****************************************|\n         2 -> 3          : 3        |********************                    |\n     usecs asleep        : count    distribution\n"
    );
    assert!(last.contains(&expect), "{out}");
    // 2.5 ms sleeps: 2048 -> 4095 usecs, nothing faster.
    let lat_rows: Vec<&str> = last
        .lines()
        .skip_while(|l| !l.contains("usecs asleep"))
        .skip(1)
        .collect();
    assert!(
        lat_rows.iter().take(11).all(|l| l.contains(": 0 ")),
        "{out}"
    );
    assert!(lat_rows[11].starts_with("      2048 -> 4095 "), "{out}");
}

#[test]
fn number_of_outputs_top_and_json() {
    require_root!();
    let dir = TempDir::new("adj");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let go = dir.join("go");
    let spec = format!("r:{}:scry_gen_args():int:$retval", bin.display());
    let mut p = Program::start(&bin, &[&N.to_string(), "10", go.to_str().unwrap()]);
    let pid = p.pid().to_string();
    // -n 2: two outputs, a second apart, then the tool ends by itself.
    let mut t = Tool::attached(
        &[
            "argdist", "--json", "-p", &pid, "-T", "2", "-c", "-n", "2", "-C", &spec,
        ],
        "",
    );
    std::fs::write(&go, b"").unwrap();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{out}");
    let v = Json::parse(lines[1]).unwrap();
    assert_eq!(v.keys(), ["time", "probes"], "{out}");
    let Some(Json::Arr(probes)) = v.get("probes") else {
        panic!("{out}")
    };
    assert_eq!(
        probes[0].get("spec").and_then(Json::str),
        Some(spec.as_str())
    );
    let Some(Json::Arr(counts)) = probes[0].get("counts") else {
        panic!("{out}")
    };
    // -T 2: the two largest values' counts (ties in value order).
    let got: Vec<(f64, f64)> = counts
        .iter()
        .map(|c| {
            let v = c
                .get("values")
                .and_then(|v| v.get("$retval"))
                .and_then(Json::num);
            (c.get("count").and_then(Json::num).unwrap(), v.unwrap())
        })
        .collect();
    assert_eq!(got, [(3.0, 10.0), (3.0, 20.0)], "{out}");
}

/// `-z 5`: string values are read up to 5 bytes (4 characters), so the
/// fixture's "item-0" and "item-2" count as one value.
#[test]
fn string_size_cuts_string_values() {
    require_root!();
    let dir = TempDir::new("adz");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let spec = format!(
        "p:{}:scry_gen_args(int n, char *text):char*:text",
        bin.display()
    );
    let mut t = Tool::attached(&["argdist", "-c", "-z", "5", "-C", &spec], "[");
    let mut p = Program::start(&bin, &[&N.to_string(), "10"]);
    assert!(p.wait().is_some_and(|s| s.success()));
    t.expect_line("the count", |l| l.starts_with("\t9          text = item"));
    let out = t.stop();
    out.assert_ok();
    assert!(!out.stdout.contains("item-"), "{out}");
}
