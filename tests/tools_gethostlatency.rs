//! `scry tool gethostlatency`: a fixture (tests/fixtures/resolver.c)
//! resolves two names with getaddrinfo() and gethostbyname(); each call is
//! a row with the host and a latency.

mod tools_support;

use tools_support::*;

#[test]
fn each_lookup_is_a_row() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("ghlat");
    let Some(bin) = compile_fixture(&dir, "resolver.c", &[]) else {
        return;
    };
    let hosts = ["localhost", "scry-no-such-host.invalid"];
    let mut t = Tool::attached(&["gethostlatency"], "TIME");
    let (pid, _) = run_program(&bin, &hosts);
    let mine = |l: &str| l.split_whitespace().nth(1) == Some(&pid.to_string());
    assert!(
        t.wait_until(LINE_TIMEOUT, |out, _| out
            .lines()
            .filter(|l| mine(l))
            .count()
            >= 4),
        "{}",
        t.stdout()
    );
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME     PID     COMM             LATms      HOST",
        "{out}"
    );
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .filter(|l| mine(l))
        .map(|l| l.split_whitespace().collect())
        .collect();
    // getaddrinfo then gethostbyname, for each host in turn.
    let got: Vec<&str> = rows.iter().map(|r| r[4]).collect();
    assert_eq!(got, [hosts[0], hosts[0], hosts[1], hosts[1]], "{out}");
    for r in &rows {
        assert_eq!(r[2], "resolver", "{out}");
        let ms: f64 = r[3].parse().unwrap();
        assert!((0.0..10_000.0).contains(&ms), "{out}");
        assert_eq!(r[3].split('.').nth(1).map(str::len), Some(3), "{out}");
    }
}

#[test]
fn pid_filter_keeps_other_processes_out() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("ghlatp");
    let Some(bin) = compile_fixture(&dir, "resolver.c", &[]) else {
        return;
    };
    let mut t = Tool::attached(&["gethostlatency", "-p", "999999999"], "TIME");
    run_program(&bin, &["localhost"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "{out}");
}
