//! `scry tool bitesize`: a thread of the test (named `bitewl`) reads a
//! file of its own with O_DIRECT in 4 KiB blocks; its histogram has them
//! all in the `4 -> 7` Kbytes row. -c keeps other processes out.

mod tools_support;

use tools_support::disk::{data_file, direct_reads, READS};
use tools_support::*;

fn reads_from_thread(path: std::path::PathBuf) {
    std::thread::Builder::new()
        .name("bitewl".into())
        .spawn(move || direct_reads(&path))
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn four_kbyte_reads_of_one_process() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("bites");
    let path = data_file(&dir);
    let mut t = Tool::attached(&["bitesize", "-c", "bitewl"], "Tracing");
    reads_from_thread(path);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let want = format!(
        "\n\nProcess Name = bitewl\n     Kbytes              : count    distribution\n\
         {:>10} -> {:<10} : 0        |{:40}|\n\
         {:>10} -> {:<10} : 0        |{:40}|\n\
         {:>10} -> {:<10} : {:<8} |{}|\n",
        0,
        1,
        "",
        2,
        3,
        "",
        4,
        7,
        READS,
        "*".repeat(40)
    );
    assert!(out.stdout.contains(&want), "want:\n{want}\ngot:\n{out}");
    // -c: one histogram only.
    assert_eq!(out.stdout.matches("Process Name = ").count(), 1, "{out}");
}

#[test]
fn intervals_in_json() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("bitesj");
    let path = data_file(&dir);
    let mut t = Tool::attached(&["bitesize", "--json", "-c", "bitewl", "1", "2"], "");
    reads_from_thread(path);
    let out = t.wait(std::time::Duration::from_secs(10));
    out.assert_ok();
    let objs: Vec<Json> = out
        .lines()
        .iter()
        .map(|l| Json::parse(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2, "{out}");
    let total: f64 = objs
        .iter()
        .filter_map(|o| o.get("histograms"))
        .flat_map(|h| match h {
            Json::Arr(v) => v.clone(),
            _ => vec![],
        })
        .inspect(|h| assert_eq!(h.get("comm").and_then(Json::str), Some("bitewl")))
        .filter_map(|h| h.get("buckets").cloned())
        .flat_map(|b| match b {
            Json::Arr(v) => v,
            _ => vec![],
        })
        .filter_map(|b| b.get("count").and_then(Json::num))
        .sum();
    assert_eq!(total, READS as f64, "{out}");
    assert_eq!(objs[0].get("unit").and_then(Json::str), Some("Kbytes"));
}
