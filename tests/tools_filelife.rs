//! `scry tool filelife`: a thread of the test (named `filelwl`) creates
//! files with open(O_CREAT) and creat-like calls, keeps them a known time,
//! and deletes them; each deletion is a row with the age.

mod tools_support;

use std::time::Duration;
use tools_support::*;

/// Creates `path`, waits `ms`, deletes it, from a thread named filelwl.
fn short_life(path: std::path::PathBuf, ms: u64) {
    std::thread::Builder::new()
        .name("filelwl".into())
        .spawn(move || {
            std::fs::write(&path, b"x").unwrap();
            std::thread::sleep(Duration::from_millis(ms));
            std::fs::remove_file(&path).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn ages_of_short_lived_files() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("flife");
    let (a, b) = (dir.join("short.tmp"), dir.join("longer.tmp"));
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["filelife", "-p", &me], "TIME");
    short_life(a.clone(), 100);
    short_life(b.clone(), 600);
    let b_text = b.to_str().unwrap().to_string();
    t.expect_line("longer", |l| l.ends_with(&b_text));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "Tracing the lifespan of short-lived files ... Hit Ctrl-C to end.",
        "{out}"
    );
    assert_eq!(
        lines[1], "TIME     PID    COMM             AGE(s)  FILE",
        "{out}"
    );
    let age = |path: &std::path::Path| -> f64 {
        let p = path.to_str().unwrap();
        let row = lines
            .iter()
            .find(|l| l.ends_with(p))
            .unwrap_or_else(|| panic!("no row for {p}:\n{out}"));
        assert_eq!(
            &row[9..],
            format!("{me:<6} {:<16} {}", "filelwl", &row[33..])
        );
        row[33..40].trim().parse().unwrap()
    };
    let (ya, yb) = (age(&a), age(&b));
    assert!((0.09..0.5).contains(&ya), "{ya}\n{out}");
    assert!((0.59..1.2).contains(&yb), "{yb}\n{out}");
}
