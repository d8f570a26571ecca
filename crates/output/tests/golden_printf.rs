//! printf(): byte-for-byte against bpftrace 0.17 (tests/golden/printf.bt),
//! and against the C library's snprintf for a matrix of specs.

use scry_output::*;

fn i(v: i64) -> Value {
    Value::Int(v)
}
fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

/// The calls of printf.bt, escapes decoded as bpftrace's parser does.
fn calls() -> Vec<(&'static str, Vec<Value>)> {
    let hello = || s("hello");
    let b = Value::Bytes(b"ab\x01\xffc".to_vec());
    vec![
        ("d=%d i64=%d neg=%d\n", vec![i(42), i(5000000000), i(-5)]),
        (
            "ld=%ld lld=%lld neg=%ld\n",
            vec![i(5000000000), i(5000000000), i(-5)],
        ),
        ("u=%u neg_u=%u lu=%lu\n", vec![i(42), i(-5), i(-5)]),
        (
            "x=%x X=%X o=%o lx=%lx negx=%x\n",
            vec![i(255), i(255), i(8), i(5000000000), i(-1)],
        ),
        (
            "hhd=%hhd hd=%hd hhu=%hhu hu=%hu\n",
            vec![i(300), i(70000), i(-1), i(-1)],
        ),
        ("c=%c p=%p p0=%p\n", vec![i(65), i(4096), i(0)]),
        (
            "w=[%5d] l=[%-5d] z=[%05d] zx=[%08x] zneg=[%05d]\n",
            vec![i(42), i(42), i(42), i(255), i(-42)],
        ),
        (
            "s=[%s] w=[%10s] l=[%-10s] p=[%.3s] wp=[%8.2s]\n",
            vec![hello(), hello(), hello(), hello(), hello()],
        ),
        (
            "prec_d=[%.5d] wp_d=[%8.3d] p0=[%.0d] ps=[%.0s]\n",
            vec![i(42), i(42), i(0), s("abc")],
        ),
        ("pct=100%% %d\n", vec![i(1)]),
        (
            "jd=%jd zd=%zd td=%td zu=%zu\n",
            vec![i(-1), i(-1), i(-1), i(-1)],
        ),
        ("lp=%lp llx=%llx lX=%lX\n", vec![i(255), i(255), i(255)]),
        ("pp=%%%% %d\n", vec![i(3)]),
        ("mix=%-08d|%-8x|\n", vec![i(42), i(255)]),
        ("tab=%s\n", vec![s("x\ty\"z")]),
        ("big=%x %X %o\n", vec![i(-1), i(0x1234abcd), i(-1)]),
        ("lo=%lo lu=%lu llu=%llu\n", vec![i(-1), i(5), i(6)]),
        (
            "c0=[%c] c300=[%c] w=[%3c] l=[%-3c]\n",
            vec![i(0x4142), i(300), i(66), i(67)],
        ),
        (
            "h=%hx hh=%hhx hho=%hho\n",
            vec![i(0x12345), i(0x1ff), i(0x1ff)],
        ),
        ("nul=[%c] after\n", vec![i(0)]),
        (
            "u64max=%lu %ld %lx\n",
            vec![
                Value::UInt(u64::MAX),
                Value::UInt(u64::MAX),
                Value::UInt(u64::MAX),
            ],
        ),
        ("min=%ld %d\n", vec![i(i64::MIN), i(-2147483648)]),
        ("r=[%r] rx=[%rx] rh=[%rh]\n", vec![b.clone(), b.clone(), b]),
        ("no args at all\n", vec![]),
    ]
}

#[test]
fn printf_text() {
    let mut got = attached_probes_text(1);
    for (fmt, args) in calls() {
        got += &format_printf(fmt, &args);
    }
    got += &end_of_run_text(&[]);
    assert_eq!(got, include_str!("golden/printf.txt"));
}

#[test]
fn printf_json_lines() {
    let mut got = attached_probes_json(1) + "\n";
    for (fmt, args) in calls() {
        got += &printf_json(&format_printf(fmt, &args));
        got.push('\n');
    }
    got += &end_of_run_json(&[]);
    assert_eq!(got, include_str!("golden/printf.json"));
}

#[test]
fn compile_time_checks() {
    for (fmt, args) in calls() {
        let kinds: Vec<ArgKind> = args
            .iter()
            .map(|a| match a {
                Value::Bytes(_) => ArgKind::Buf,
                Value::Str(_) => ArgKind::Str,
                _ => ArgKind::Int,
            })
            .collect();
        check_args(fmt, &kinds).unwrap_or_else(|e| panic!("{fmt:?}: {e}"));
    }
    assert_eq!(
        check_args("%d %s\n", &[ArgKind::Int]).unwrap_err(),
        "Not enough arguments for format string (1 supplied, 2 expected)"
    );
    assert_eq!(
        check_args("%d\n", &[ArgKind::Int, ArgKind::Int]).unwrap_err(),
        "Too many arguments for format string (2 supplied, 1 expected)"
    );
    assert_eq!(
        check_args("%ld\n", &[ArgKind::Str]).unwrap_err(),
        "%ld specifier expects a value of type integer (string supplied)"
    );
    assert_eq!(
        check_args("%rx\n", &[ArgKind::Int]).unwrap_err(),
        "%rx specifier expects a value of type buffer (integer supplied)"
    );
    assert_eq!(
        parse_format("%f\n").unwrap_err(),
        "Unknown format string token: %f"
    );
    assert!(parse_format("%*d").is_err());
    // %s takes anything (newer bpftrace); %p any integer.
    check_args("%s %p", &[ArgKind::Int, ArgKind::Int]).unwrap();

    let specs = parse_format("a %-08.3lx b %% %s %rh %c %p 50%/off").unwrap();
    let kinds: Vec<ArgKind> = specs.iter().map(Spec::kind).collect();
    assert_eq!(
        kinds,
        [
            ArgKind::Int,
            ArgKind::Str,
            ArgKind::Buf,
            ArgKind::Int,
            ArgKind::Ptr
        ]
    );
    let x = &specs[0];
    assert!(x.minus && x.zero && !x.plus);
    assert_eq!(
        (x.width, x.precision, x.length, x.conv),
        (Some(8), Some(3), Length::L, Conv::X)
    );
}

#[test]
fn literal_percent_and_deviations() {
    // A % that starts no conversion is text; %% is always one %.
    assert_eq!(format_printf("50%/off %d%%\n", &[i(3)]), "50%/off 3%\n");
    assert_eq!(format_printf("trailing %", &[]), "trailing %");
    // ... but "% o" is a conversion (space flag), as in C.
    assert_eq!(parse_format("50% off").unwrap()[0].conv, Conv::O);
    assert_eq!(format_printf("100%%\n", &[]), "100%\n");
    assert_eq!(format_printf("%%d\n", &[]), "%d\n");
    assert_eq!(format_printf("[%5%]", &[]), "[%]");
    // Width applies to buffers.
    let b = Value::Bytes(b"a\x01".to_vec());
    assert_eq!(
        format_printf("[%8r][%-6rh]", &[b.clone(), b]),
        "[   a\\x01][61 01 ]"
    );
    // Flags bpftrace 0.17 rejects but newer bpftrace and C accept.
    assert_eq!(
        format_printf("%+d % d %#x %#o %i", &[i(5), i(5), i(255), i(8), i(-7)]),
        "+5  5 0xff 010 -7"
    );
    // Missing arguments print nothing, extra ones are ignored.
    assert_eq!(format_printf("a%db%dc", &[i(1)]), "a1bc");
    assert_eq!(format_printf("a\n", &[i(1)]), "a\n");
    // Non-UTF-8 bytes from %c.
    assert_eq!(format_printf_bytes("%c", &[i(0xff)]), vec![0xff]);
    assert_eq!(
        format_printf("%s|%d", &[Value::Bool(true), Value::Bool(true)]),
        "true|1"
    );
}

extern "C" {
    fn snprintf(
        buf: *mut libc::c_char,
        n: libc::size_t,
        fmt: *const libc::c_char,
        ...
    ) -> libc::c_int;
}

fn c_format(fmt: &str, arg: CArg) -> String {
    let cfmt = std::ffi::CString::new(fmt).unwrap();
    let mut buf = vec![0u8; 512];
    let n = unsafe {
        match arg {
            CArg::Int(v) => snprintf(buf.as_mut_ptr() as *mut _, buf.len(), cfmt.as_ptr(), v),
            CArg::Str(ref s) => {
                let cs = std::ffi::CString::new(s.as_str()).unwrap();
                snprintf(
                    buf.as_mut_ptr() as *mut _,
                    buf.len(),
                    cfmt.as_ptr(),
                    cs.as_ptr(),
                )
            }
        }
    };
    buf.truncate(n as usize);
    // bpftrace prints the result as a C string
    if let Some(z) = buf.iter().position(|&c| c == 0) {
        buf.truncate(z);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

enum CArg {
    Int(u64),
    Str(String),
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn matches_glibc() {
    let flags = [
        "", "-", "+", " ", "#", "0", "-0", "+0", " 0", "#0", "-#", "+ ",
    ];
    let widths = ["", "1", "6", "12"];
    let precs = ["", ".0", ".1", ".4", ".15"];
    let lengths = ["", "hh", "h", "l", "ll", "j", "z", "t"];
    let ints: [u64; 12] = [
        0,
        1,
        42,
        255,
        65,
        (-1i64) as u64,
        (-42i64) as u64,
        5000000000,
        0x8000_0000,
        i64::MIN as u64,
        i64::MAX as u64,
        0x1ff,
    ];
    let mut checked = 0;
    for f in flags {
        for w in widths {
            for p in precs {
                for l in lengths {
                    for c in ["d", "i", "u", "o", "x", "X", "p", "c"] {
                        if c == "p" && !l.is_empty() {
                            continue; // undefined in C
                        }
                        if c == "c" && (!l.is_empty() || !p.is_empty() || f.contains('#')) {
                            continue;
                        }
                        let fmt = format!("<%{f}{w}{p}{l}{c}>");
                        for &v in &ints {
                            if c == "c" && v as u8 == 0 {
                                continue; // NUL: bpftrace cuts only its own part
                            }
                            let want = c_format(&fmt, CArg::Int(v));
                            let got = format_printf(&fmt, &[Value::UInt(v)]);
                            assert_eq!(got, want, "format {fmt} value {v:#x}");
                            checked += 1;
                        }
                    }
                }
            }
            for p in precs {
                let fmt = format!("<%{}{w}{p}s>", f.replace(['#', '+', ' '], ""));
                for v in ["", "a", "hello", "hello world, long"] {
                    let want = c_format(&fmt, CArg::Str(v.to_string()));
                    assert_eq!(format_printf(&fmt, &[s(v)]), want, "format {fmt}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10000);
}

#[test]
fn time_messages() {
    std::env::set_var("TZ", "UTC");
    let t = format_time(DEFAULT_TIME_FORMAT, 1_614_834_367_123_456_789);
    assert_eq!(t, "05:06:07\n");
    assert_eq!(
        time_json(&t),
        "{\"type\": \"time\", \"data\": \"05:06:07\\n\"}"
    );
    assert_eq!(join_text(&["a", "b"], " "), "a b\n");
    assert_eq!(
        join_json(&["a", "b"], ","),
        "{\"type\": \"join\", \"data\": \"a,b\"}"
    );
    assert_eq!(lost_events_text(3), "Lost 3 events\n");
    assert_eq!(
        lost_events_json(3),
        "{\"type\": \"lost_events\", \"data\": {\"events\": 3}}"
    );
    assert_eq!(attached_probes_text(2), "Attaching 2 probes...\n");
    assert_eq!(
        helper_error_message("map_update_elem", -7),
        "Failed to map_update_elem: Argument list too long (-7)"
    );
    assert_eq!(
        helper_error_json("probe_read", -14, 1, 9),
        "{\"type\": \"helper_error\", \"helper\": \"probe_read\", \"retcode\": -14, \"line\": 1, \"col\": 9}"
    );
}

/// The event loop parses each format once (`Printf`) and formats every
/// event with it, into a buffer it reuses: byte for byte what
/// `format_printf_bytes` gives, for the golden calls and for formats that
/// do not parse, and nothing left over from the previous event.
#[test]
fn parsed_once_formats_as_format_printf() {
    let mut calls = calls();
    calls.push(("bad=%f %d\n", vec![i(1)]));
    calls.push(("trailing %", vec![]));
    calls.push(("50%/off %d%%\n", vec![i(3)]));
    let mut buf = Vec::new();
    for (fmt, args) in &calls {
        let parsed = Printf::new(fmt);
        for _ in 0..2 {
            buf.clear();
            parsed.format_into(args, &mut buf);
            assert_eq!(buf, format_printf_bytes(fmt, args), "{fmt:?}");
        }
    }
}
