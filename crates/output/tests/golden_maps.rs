//! Byte-for-byte comparisons with bpftrace 0.17's output. The expected
//! files in `tests/golden/` are what `bpftrace FILE.bt` and
//! `bpftrace -f json FILE.bt` printed on the development machine (stdout
//! only; the scripts sit next to them). Each test rebuilds the same data
//! in the model and renders it.

use scry_output::*;
use std::collections::BTreeMap;

fn int(v: i64) -> Value {
    Value::Int(v)
}
fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

/// A JSON line with its newline.
fn line(s: String) -> String {
    s + "\n"
}

/// Compares line by line first for a readable failure, then exactly.
fn same(got: &str, want: &str) {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {}", i + 1);
    }
    assert_eq!(got, want);
}

fn maps_bt() -> Vec<MapDump> {
    vec![
        // Entries deliberately out of order: the renderer sorts.
        MapDump::new("@c", MapKind::Count)
            .with(Some(int(3)), Agg::Count(3))
            .with(Some(int(1)), Agg::Count(1))
            .with(Some(int(-5)), Agg::Count(2)),
        MapDump::new("@", MapKind::Count).with(None, Agg::Count(1)),
        MapDump::new("@a", MapKind::Avg)
            .with(Some(int(6)), Agg::Avg { sum: 13, count: 2 })
            .with(Some(int(5)), Agg::Avg { sum: -7, count: 1 }),
        MapDump::new("@e", MapKind::Count),
        MapDump::new("@ks", MapKind::Scalar)
            .with(Some(int(-2)), Agg::Scalar(s("zz")))
            .with(Some(int(4)), Agg::Scalar(s("abc")))
            .with(Some(int(1)), Agg::Scalar(s("y"))),
        MapDump::new("@mn", MapKind::Min)
            .with(Some(Value::Tuple(vec![int(2), s("y")])), Agg::Min(8))
            .with(Some(Value::Tuple(vec![int(1), s("x")])), Agg::Min(-3)),
        MapDump::new("@mx", MapKind::Max)
            .with(Some(s("j")), Agg::Max(100))
            .with(Some(s("k")), Agg::Max(9)),
        MapDump::new("@neg", MapKind::Scalar).with(None, Agg::Scalar(int(-42))),
        MapDump::new("@s", MapKind::Sum)
            .with(Some(s("a")), Agg::Sum(7))
            .with(Some(s("b")), Agg::Sum(-10))
            .with(Some(s("zz")), Agg::Sum(3)),
        MapDump::new("@sa", MapKind::Avg).with(None, Agg::Avg { sum: 15, count: 2 }),
        MapDump::new("@st", MapKind::Stats)
            .with(Some(s("r")), Agg::Stats { sum: 16, count: 3 })
            .with(Some(s("q")), Agg::Stats { sum: -7, count: 1 }),
        MapDump::new("@x", MapKind::Scalar).with(None, Agg::Scalar(int(5))),
        MapDump::new("@y", MapKind::Scalar).with(None, Agg::Scalar(s("hel\"lo\tx"))),
        MapDump::new("@z", MapKind::Scalar).with(
            None,
            Agg::Scalar(Value::Tuple(vec![int(1), s("two"), int(-3)])),
        ),
    ]
}

#[test]
fn maps_text() {
    let got = attached_probes_text(1) + &end_of_run_text(&maps_bt());
    same(&got, include_str!("golden/maps.txt"));
}

#[test]
fn maps_json() {
    let got = attached_probes_json(1) + "\n" + &end_of_run_json(&maps_bt());
    same(&got, include_str!("golden/maps.json"));
}

fn hist_of(values: &[i64]) -> Histogram {
    let mut h = Histogram::new(0);
    for &v in values {
        h.record(v);
    }
    h
}

fn lhist_of(min: i64, max: i64, step: i64, values: &[i64]) -> Lhist {
    let mut h = Lhist::new(min, max, step);
    for &v in values {
        h.record(v);
    }
    h
}

fn hist_bt() -> Vec<MapDump> {
    let h = hist_of(&[
        0, -1, -100, 1, 2, 3, 100, 1000, 1024, 1048576, 1048575, 1048577,
    ]);
    vec![
        MapDump::new("@h", MapKind::Hist).with(None, Agg::Hist(h)),
        MapDump::new("@t", MapKind::Hist).with(
            None,
            Agg::Hist(hist_of(&[1000000000, 5000, 5000, 5001, 70000])),
        ),
        MapDump::new("@k", MapKind::Hist)
            .with(Some(int(3)), Agg::Hist(hist_of(&[7])))
            .with(Some(int(2)), Agg::Hist(hist_of(&[5, 1000])))
            .with(Some(int(1)), Agg::Hist(hist_of(&[5]))),
        MapDump::new("@m", MapKind::Hist)
            .with(
                Some(Value::Tuple(vec![int(2), s("b")])),
                Agg::Hist(hist_of(&[3, 3])),
            )
            .with(
                Some(Value::Tuple(vec![int(1), s("a")])),
                Agg::Hist(hist_of(&[3])),
            ),
        MapDump::new("@l", MapKind::Lhist).with(
            None,
            Agg::Lhist(lhist_of(0, 10, 1, &[-5, 0, 3, 3, 10, 200])),
        ),
        MapDump::new("@l2", MapKind::Lhist)
            .with(None, Agg::Lhist(lhist_of(0, 4096, 1024, &[5000, 2048]))),
        MapDump::new("@l6", MapKind::Lhist)
            .with(None, Agg::Lhist(lhist_of(0, 4194304, 1048576, &[3145728]))),
        MapDump::new("@l3", MapKind::Lhist).with(None, Agg::Lhist(lhist_of(0, 100, 10, &[25]))),
        MapDump::new("@l4", MapKind::Lhist)
            .with(None, Agg::Lhist(lhist_of(20, 100, 25, &[50, 150]))),
        MapDump::new("@l5", MapKind::Lhist).with(None, Agg::Lhist(lhist_of(0, 10, 3, &[9, 10]))),
        MapDump::new("@lk", MapKind::Lhist)
            .with(Some(s("y")), Agg::Lhist(lhist_of(0, 5, 1, &[1, 2])))
            .with(Some(s("x")), Agg::Lhist(lhist_of(0, 5, 1, &[1]))),
        MapDump::new("@z", MapKind::Hist).with(None, Agg::Hist(Histogram::new(0))),
    ]
}

#[test]
fn hist_text() {
    let got = attached_probes_text(1) + &end_of_run_text(&hist_bt());
    same(&got, include_str!("golden/hist.txt"));
}

#[test]
fn hist_json() {
    let got = attached_probes_json(1) + "\n" + &end_of_run_json(&hist_bt());
    same(&got, include_str!("golden/hist.json"));
}

#[test]
fn hist_from_kernel_counts() {
    // What the runtime reads back: (bucket index, count) per map key.
    let h = Histogram::from_buckets(0, &BTreeMap::from([(log2_bucket(5) as u64, 1), (3, 2)]));
    assert_eq!(h, {
        let mut h = hist_of(&[5, 2]);
        h.record(3);
        h
    });
    let l = Lhist::from_buckets(
        0,
        10,
        1,
        &BTreeMap::from([(lhist_bucket(200, 0, 10, 1) as u64, 2), (99, 5)]),
    );
    assert_eq!(l, lhist_of(0, 10, 1, &[10, 11]));
}

/// The maps of print.bt, at their state when it ends.
struct PrintBt {
    c: MapDump,
    a: MapDump,
    st: MapDump,
    h: MapDump,
    l: MapDump,
}

fn print_bt() -> PrintBt {
    let avg = |v| Agg::Avg { sum: v, count: 1 };
    let stats = |v| Agg::Stats { sum: v, count: 1 };
    PrintBt {
        c: MapDump::new("@c", MapKind::Count)
            .with(Some(int(2)), Agg::Count(2))
            .with(Some(int(3)), Agg::Count(3))
            .with(Some(int(1)), Agg::Count(1)),
        a: MapDump::new("@a", MapKind::Avg)
            .with(Some(int(1)), avg(10))
            .with(Some(int(2)), avg(20))
            .with(Some(int(3)), avg(30)),
        st: MapDump::new("@st", MapKind::Stats)
            .with(Some(int(3)), stats(30))
            .with(Some(int(1)), stats(10))
            .with(Some(int(2)), stats(20)),
        h: MapDump::new("@h", MapKind::Hist)
            .with(Some(int(1)), Agg::Hist(hist_of(&[10])))
            .with(Some(int(2)), Agg::Hist(hist_of(&[10, 10, 10]))),
        l: MapDump::new("@l", MapKind::Lhist)
            .with(None, Agg::Lhist(lhist_of(0, 10, 1, &[5, 5, 5]))),
    }
}

fn zeroed_avg() -> MapDump {
    let z = Agg::Avg { sum: 0, count: 0 };
    MapDump::new("@a", MapKind::Avg)
        .with(Some(int(1)), z.clone())
        .with(Some(int(2)), z.clone())
        .with(Some(int(3)), z)
}

#[test]
fn print_text() {
    let m = print_bt();
    let mut got = attached_probes_text(1);
    got += &print_map_text(&m.c, 2, 0);
    got += &print_map_text(&m.c, 0, 2);
    got += &print_map_text(&m.c, 0, 0);
    got += &print_map_text(&m.a, 1, 10);
    got += &print_map_text(&m.st, 0, 0);
    got += &print_map_text(&m.h, 1, 2);
    got += &print_map_text(&m.l, 0, 2);
    got += &value_text(&int(5));
    got += &value_text(&s("str"));
    got += &value_text(&Value::Tuple(vec![int(1), s("a")]));
    got += &value_text(&int(-3));
    let c_empty = MapDump::new("@c", MapKind::Count);
    got += &print_map_text(&c_empty, 0, 0);
    got += &print_map_text(&zeroed_avg(), 0, 0);
    let m_empty = MapDump::new("@m", MapKind::Scalar);
    got += &print_map_text(&m_empty, 0, 0);
    let st_empty = MapDump::new("@st", MapKind::Stats);
    got += &print_map_text(&st_empty, 0, 0);
    got += &end_of_run_text(&[m.h, c_empty, m_empty, zeroed_avg(), st_empty, m.l]);
    same(&got, include_str!("golden/print.txt"));
}

#[test]
fn print_json() {
    let m = print_bt();
    let mut got = line(attached_probes_json(1));
    got += &map_json(&m.c, 2, 0).map(line).unwrap_or_default();
    got += &map_json(&m.c, 0, 2).map(line).unwrap_or_default();
    got += &map_json(&m.c, 0, 0).map(line).unwrap_or_default();
    got += &map_json(&m.a, 1, 10).map(line).unwrap_or_default();
    got += &map_json(&m.st, 0, 0).map(line).unwrap_or_default();
    got += &map_json(&m.h, 1, 2).map(line).unwrap_or_default();
    got += &map_json(&m.l, 0, 2).map(line).unwrap_or_default();
    got += &line(value_json(&int(5)));
    got += &line(value_json(&s("str")));
    got += &line(value_json(&Value::Tuple(vec![int(1), s("a")])));
    got += &line(value_json(&int(-3)));
    let c_empty = MapDump::new("@c", MapKind::Count);
    got += &map_json(&c_empty, 0, 0).map(line).unwrap_or_default();
    got += &map_json(&zeroed_avg(), 0, 0).map(line).unwrap_or_default();
    let m_empty = MapDump::new("@m", MapKind::Scalar);
    got += &map_json(&m_empty, 0, 0).map(line).unwrap_or_default();
    let st_empty = MapDump::new("@st", MapKind::Stats);
    got += &map_json(&st_empty, 0, 0).map(line).unwrap_or_default();
    got += &end_of_run_json(&[m.h, c_empty, m_empty, zeroed_avg(), st_empty, m.l]);
    same(&got, include_str!("golden/print.json"));
}

fn misc_maps() -> Vec<MapDump> {
    let b = Value::Bytes(b"ab\x01\xffc".to_vec());
    vec![
        MapDump::new("@b", MapKind::Scalar).with(Some(int(1)), Agg::Scalar(b.clone())),
        MapDump::new("@bk", MapKind::Count).with(Some(b), Agg::Count(1)),
    ]
}

#[test]
fn misc_text_and_json() {
    let b = Value::Bytes(b"ab\x01\xffc".to_vec());
    let printed = format_printf("%s\n", &[s("x\"y")]);
    let text =
        attached_probes_text(1) + &value_text(&b) + &printed + &end_of_run_text(&misc_maps());
    same(&text, include_str!("golden/misc.txt"));
    let json = line(attached_probes_json(1))
        + &line(value_json(&b))
        + &line(printf_json(&printed))
        + &end_of_run_json(&misc_maps());
    same(&json, include_str!("golden/misc.json"));
}

fn frames(f: &[&str]) -> Vec<String> {
    f.iter().map(|s| s.to_string()).collect()
}

fn stacks_maps(uaddr: u64) -> Vec<MapDump> {
    let k2 = frames(&["perf_syscall_enter+475", "syscall_trace_enter+384"]);
    let k3 = frames(&[
        "perf_syscall_enter+475",
        "syscall_trace_enter+384",
        "do_syscall_64+506",
    ]);
    let kperf = Value::PerfStack(vec![
        (0xffffffff814c254b, "perf_syscall_enter+475".into()),
        (0xffffffff81423c90, "syscall_trace_enter+384".into()),
    ]);
    let u = Value::Stack(vec![format!("{uaddr:#x}"), "0x5f5e100".into()]);
    let uperf = Value::PerfStack(vec![
        (uaddr, format!("{uaddr:#x} ([unknown])")),
        (0x5f5e100, "0x5f5e100 ([unknown])".into()),
    ]);
    vec![
        MapDump::new("@", MapKind::Count).with(Some(Value::Stack(k3)), Agg::Count(1)),
        MapDump::new("@v", MapKind::Scalar)
            .with(Some(int(2)), Agg::Scalar(Value::Stack(k2.clone())))
            .with(Some(int(1)), Agg::Scalar(Value::Stack(k2))),
        MapDump::new("@u", MapKind::Count).with(Some(u), Agg::Count(1)),
        MapDump::new("@uv", MapKind::Scalar).with(None, Agg::Scalar(uperf)),
        MapDump::new("@k2", MapKind::Sum).with(Some(kperf), Agg::Sum(3)),
        MapDump::new("@p", MapKind::Count).with(
            Some(s("tracepoint:syscalls:sys_enter_clock_nanosleep")),
            Agg::Count(1),
        ),
        MapDump::new("@sk", MapKind::Scalar).with(None, Agg::Scalar(Value::Sym("0".into()))),
    ]
}

#[test]
fn stacks_text_and_json() {
    let st = Value::Stack(frames(&[
        "perf_syscall_enter+475",
        "syscall_trace_enter+384",
    ]));
    let printed = format_printf("st=%s|\n", std::slice::from_ref(&st));
    let text = attached_probes_text(1) + &printed + &end_of_run_text(&stacks_maps(0x7f09b55c6503));
    same(&text, include_str!("golden/stacks.txt"));
    let json = line(attached_probes_json(1))
        + &line(printf_json(&printed))
        + &end_of_run_json(&stacks_maps(0x7f5332b3d503));
    same(&json, include_str!("golden/stacks.json"));
}

#[test]
fn json_lines_parse() {
    for m in maps_bt().iter().chain(&hist_bt()) {
        if let Some(l) = map_json(m, 0, 0) {
            serde_json::from_str::<serde_json::Value>(&l).expect(&l);
        }
    }
}

#[test]
fn large_hist_buckets() {
    // Beyond bpftrace 0.17 (which folds everything >= 2^31 into [2G, 4G)):
    // labels continue with T, P, E and JSON bounds stay exact.
    let h = hist_of(&[1 << 40, 1 << 50, i64::MAX]);
    let m = MapDump::new("@big", MapKind::Hist).with(None, Agg::Hist(h));
    let text = print_map_text(&m, 0, 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1],
        "[1T, 2T)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
    );
    assert!(lines.contains(
        &"[1P, 2P)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
    ));
    assert_eq!(
        lines[lines.len() - 2],
        "[4E, 8E)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"
    );
    let json = map_json(&m, 0, 0).unwrap();
    assert!(
        json.contains("{\"min\": 4611686018427387904, \"max\": 9223372036854775807, \"count\": 1}")
    );
}

#[test]
fn sub_bucket_hist() {
    // hist(v, 2): four buckets per power of two.
    let mut h = Histogram::new(2);
    for v in [0, 3, 4, 5, 7, 8, 225, 1023, 1024] {
        h.record(v);
    }
    let m = MapDump::new("@", MapKind::Hist).with(None, Agg::Hist(h));
    let text = print_map_text(&m, 0, 0);
    assert!(text.contains("[0]  "));
    assert!(text.contains("[7]  "));
    assert!(text.contains("[8, 10)  "));
    assert!(text.contains("[224, 256)  "));
    // newer bpftrace picks the suffix from the bucket's power of two
    assert!(text.contains("[896, 1024)  "));
    assert!(text.contains("[1024, 1280)  "));
}

#[test]
fn stats_ignore_top_and_div() {
    // bpftrace 0.17: print(@st, 1, 10) prints every entry, undivided.
    let m = print_bt().st;
    assert_eq!(print_map_text(&m, 1, 10), print_map_text(&m, 0, 0));
    assert_eq!(
        print_map_text(&m, 0, 0),
        "@st[1]: count 1, average 10, total 10\n@st[2]: count 1, average 20, total 20\n\
         @st[3]: count 1, average 30, total 30\n\n"
    );
}

#[test]
fn symbol_values_one_per_line() {
    // Deliberate difference: bpftrace 0.17 prints "@ks[1]: _text@ks[2]: 0".
    let m = MapDump::new("@ks", MapKind::Scalar)
        .with(Some(int(2)), Agg::Scalar(Value::Sym("0".into())))
        .with(Some(int(1)), Agg::Scalar(Value::Sym("_text".into())));
    assert_eq!(print_map_text(&m, 0, 0), "@ks[1]: _text\n@ks[2]: 0\n");
}
