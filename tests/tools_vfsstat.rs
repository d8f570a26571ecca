//! `scry tool vfsstat`: in one 2-second interval the test makes and
//! removes 4000 directories, creates and unlinks 2000 files, and fsyncs
//! 1000 times; the line's rates are at least those (the counts are of the
//! whole system, so only lower bounds hold).

mod tools_support;

use std::io::Write;
use tools_support::*;

fn workload(dir: &TempDir) {
    for i in 0..4000 {
        let d = dir.join(&format!("d{i}"));
        std::fs::create_dir(&d).unwrap();
        std::fs::remove_dir(&d).unwrap();
    }
    for i in 0..2000 {
        let f = dir.join(&format!("f{i}"));
        let mut file = std::fs::File::create(&f).unwrap();
        file.write_all(b"x").unwrap();
        if i < 1000 {
            file.sync_data().unwrap();
        }
        std::fs::remove_file(&f).unwrap();
    }
}

#[test]
fn rates_of_a_workload() {
    require_root!();
    let _g = serial();
    let dir = TempDir::on_tmpfs("vfsst");
    let mut t = Tool::attached(&["vfsstat", "2", "1"], "TIME");
    workload(&dir);
    let out = t.wait(std::time::Duration::from_secs(10));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0],
        "TIME        READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s UNLINK/s  MKDIR/s  RMDIR/s",
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
    let f: Vec<&str> = lines[1].split_whitespace().collect();
    assert!(f[0].ends_with(':') && f[0].len() == 9, "{out}");
    let rate = |i: usize| f[i].parse::<u64>().unwrap();
    // Per second over the interval (2 s and a little): at least 90% of
    // half of each count.
    assert!(rate(2) >= 900, "WRITE/s\n{out}");
    assert!(rate(3) >= 450, "FSYNC/s\n{out}");
    assert!(rate(4) >= 900, "OPEN/s\n{out}");
    assert!(rate(5) >= 900, "CREATE/s\n{out}");
    assert!(rate(6) >= 900, "UNLINK/s\n{out}");
    assert!(rate(7) >= 1800, "MKDIR/s\n{out}");
    assert!(rate(8) >= 1800, "RMDIR/s\n{out}");
}

#[test]
fn json_lines() {
    require_root!();
    let _g = serial();
    let out = run_tool(&["vfsstat", "--json", "1", "2"]);
    out.assert_ok();
    let objs: Vec<Json> = out
        .lines()
        .iter()
        .map(|l| Json::parse(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2, "{out}");
    let Some(Json::Arr(rows)) = objs[0].get("rows") else {
        panic!("{out}");
    };
    assert_eq!(
        rows[0].keys(),
        ["read_s", "write_s", "fsync_s", "open_s", "create_s", "unlink_s", "mkdir_s", "rmdir_s"]
    );
}
