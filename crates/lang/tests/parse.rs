//! Parser tests: AST shapes (through `dump`), diagnostics as rendered, a
//! corpus of scripts (ours in `tests/scripts/`, and bpftrace's own tools in
//! `/usr/sbin/*.bt` when installed), and a crude no-panic property test.

use std::path::{Path, PathBuf};

use scry_lang::ast::{BinOp, ExprKind, Program, Provider, StmtKind, UnOp};
use scry_lang::diag::{render_all, Level};
use scry_lang::parse::{dump, parse, MAX_DEPTH};
use scry_lang::types::Type;

/// Parses `src`, asserting that there are no diagnostics.
fn ok(src: &str) -> Program {
    let (prog, diags) = parse(src);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {src:?}:\n{}",
        render_all(&diags, "stdin", src)
    );
    prog
}

/// The rendered diagnostics of a script that must fail.
fn err(src: &str) -> String {
    let (_, diags) = parse(src);
    assert!(!diags.is_empty(), "expected diagnostics for {src:?}");
    render_all(&diags, "stdin", src)
}

/// The dump of the statements of `BEGIN { body }`, unindented to column 0.
fn body(stmts: &str) -> String {
    let src = format!("BEGIN {{ {stmts} }}");
    let dumped = dump(&ok(&src));
    let lines: Vec<&str> = dumped.lines().skip(4).collect();
    lines
        .iter()
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The dump of one expression.
fn expr(e: &str) -> String {
    body(e)
}

fn first_expr(src: &str) -> ExprKind {
    let prog = ok(&format!("BEGIN {{ {src} }}"));
    match &prog.probes[0].body.stmts[0].kind {
        StmtKind::Expr(e) => e.kind.clone(),
        StmtKind::Assign { value, .. } => value.kind.clone(),
        k => panic!("not an expression statement: {k:?}"),
    }
}

// ---- attach points -----------------------------------------------------

fn attach(src: &str) -> Vec<(Provider, Vec<String>)> {
    let prog = ok(src);
    prog.probes
        .iter()
        .flat_map(|p| p.attach_points.iter())
        .map(|a| (a.provider, a.parts.clone()))
        .collect()
}

fn parts(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn attach_point_splitting() {
    let cases: &[(&str, Provider, &[&str])] = &[
        ("BEGIN", Provider::Begin, &[]),
        ("begin", Provider::Begin, &[]),
        ("END", Provider::End, &[]),
        ("end", Provider::End, &[]),
        (
            "tracepoint:syscalls:sys_enter_openat",
            Provider::Tracepoint,
            &["syscalls", "sys_enter_openat"],
        ),
        (
            "t:sched:sched_switch",
            Provider::Tracepoint,
            &["sched", "sched_switch"],
        ),
        (
            "rawtracepoint:sched_switch",
            Provider::Rawtracepoint,
            &["sched_switch"],
        ),
        (
            "rt:sched_switch",
            Provider::Rawtracepoint,
            &["sched_switch"],
        ),
        ("kprobe:f+16", Provider::Kprobe, &["f+16"]),
        ("k:vfs_*", Provider::Kprobe, &["vfs_*"]),
        (
            "kprobe:lookup_fast.constprop.*",
            Provider::Kprobe,
            &["lookup_fast.constprop.*"],
        ),
        ("kretprobe:f", Provider::Kretprobe, &["f"]),
        ("kr:f", Provider::Kretprobe, &["f"]),
        ("fentry:vfs_read", Provider::Fentry, &["vfs_read"]),
        ("f:vfs_read", Provider::Fentry, &["vfs_read"]),
        ("kfunc:vfs_read", Provider::Fentry, &["vfs_read"]),
        ("fexit:vfs_read", Provider::Fexit, &["vfs_read"]),
        ("fr:vfs_read", Provider::Fexit, &["vfs_read"]),
        ("kretfunc:vfs_read", Provider::Fexit, &["vfs_read"]),
        (
            "uprobe:/bin/bash:readline",
            Provider::Uprobe,
            &["/bin/bash", "readline"],
        ),
        (
            "u:/bin/bash:readline",
            Provider::Uprobe,
            &["/bin/bash", "readline"],
        ),
        (
            "uprobe:/lib/x.so:0x1234",
            Provider::Uprobe,
            &["/lib/x.so", "0x1234"],
        ),
        (
            "uprobe:/bin/x:\"ns::f\"",
            Provider::Uprobe,
            &["/bin/x", "ns::f"],
        ),
        (
            "uprobe:\"/odd:path\":f",
            Provider::Uprobe,
            &["/odd:path", "f"],
        ),
        ("uprobe:libc:malloc", Provider::Uprobe, &["libc", "malloc"]),
        (
            "uprobe:./a.out:main",
            Provider::Uprobe,
            &["./a.out", "main"],
        ),
        (
            "uretprobe:/bin/bash:readline",
            Provider::Uretprobe,
            &["/bin/bash", "readline"],
        ),
        (
            "ur:/bin/bash:readline",
            Provider::Uretprobe,
            &["/bin/bash", "readline"],
        ),
        (
            "usdt:/path:prov:name",
            Provider::Usdt,
            &["/path", "prov", "name"],
        ),
        (
            "U:/path:prov:name",
            Provider::Usdt,
            &["/path", "prov", "name"],
        ),
        ("profile:hz:99", Provider::Profile, &["hz", "99"]),
        ("p:ms:10", Provider::Profile, &["ms", "10"]),
        ("interval:s:1", Provider::Interval, &["s", "1"]),
        ("interval:1s", Provider::Interval, &["1s"]),
        ("i:ms:100", Provider::Interval, &["ms", "100"]),
        (
            "software:cpu-clock:1000",
            Provider::Software,
            &["cpu-clock", "1000"],
        ),
        ("s:faults:1", Provider::Software, &["faults", "1"]),
        (
            "hardware:cache-misses:1000000",
            Provider::Hardware,
            &["cache-misses", "1000000"],
        ),
        ("h:cycles", Provider::Hardware, &["cycles"]),
        ("uprobe:$1:main", Provider::Uprobe, &["$1", "main"]),
    ];
    for (ap, provider, want) in cases {
        let src = format!("{ap} {{ }}");
        let got = attach(&src);
        assert_eq!(got, vec![(*provider, parts(want))], "for {ap}");
        let prog = ok(&src);
        let a = &prog.probes[0].attach_points[0];
        assert_eq!(a.raw, *ap);
        assert_eq!((a.span.start, a.span.end), (0, ap.len() as u32));
    }
}

#[test]
fn attach_point_lists() {
    let got = attach("kprobe:a ,\n  kprobe:b,kprobe:c\n,\nkprobe:d { }");
    let names: Vec<String> = got.iter().map(|(_, p)| p[0].clone()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    // A trailing comma before the body.
    assert_eq!(attach("kprobe:a, { }").len(), 1);
    // Comments between attach points.
    assert_eq!(
        attach("kprobe:a, // x\n kprobe:b /* y */ , kprobe:c { }").len(),
        3
    );
    // Several probes.
    let prog = ok("BEGIN { } kprobe:f { } END { }");
    assert_eq!(prog.probes.len(), 3);
}

#[test]
fn attach_point_then_predicate() {
    // A `/` that does not follow a path starts the predicate.
    let prog = ok("kprobe:f/pid == 1/{ }");
    assert_eq!(prog.probes[0].attach_points[0].parts, ["f"]);
    assert!(prog.probes[0].predicate.is_some());
    let prog = ok("uprobe:/bin/bash:readline/pid == 1/ { }");
    assert_eq!(
        prog.probes[0].attach_points[0].parts,
        ["/bin/bash", "readline"]
    );
    assert!(prog.probes[0].predicate.is_some());
    let prog = ok("BEGIN/1/{ }");
    assert!(prog.probes[0].predicate.is_some());
}

#[test]
fn unknown_provider() {
    assert_eq!(
        err("foo:bar { }"),
        "stdin:1:1: error: invalid provider 'foo'\nfoo:bar { }\n^~~~~~~\n"
    );
    let out = err("BEGIN { }\nwatchpoint:0x10:8:rw { }");
    assert!(
        out.starts_with("stdin:2:1: error: invalid provider 'watchpoint'"),
        "{out}"
    );
    assert!(out.contains("HINT"), "{out}");
    // Parsing goes on after an unknown provider.
    let (prog, diags) = parse("foo:x, kprobe:f { } END { }");
    assert_eq!(diags.len(), 1);
    assert_eq!(prog.probes.len(), 2);
    assert_eq!(prog.probes[0].attach_points.len(), 1);
}

// ---- predicates --------------------------------------------------------

#[test]
fn predicates() {
    let prog = ok("kprobe:f /pid == 1/ { @ = count(); }");
    let p = prog.probes[0].predicate.as_ref().unwrap();
    assert!(matches!(p.kind, ExprKind::Binary { op: BinOp::Eq, .. }));
    // Division inside a predicate, parenthesised.
    let prog = ok("kprobe:f / (pid / 2) > 1 / { }");
    let p = prog.probes[0].predicate.as_ref().unwrap();
    assert!(matches!(p.kind, ExprKind::Binary { op: BinOp::Gt, .. }));
    // bpftrace's rule: a `/` followed by `{` closes the predicate; another
    // `/` divides.
    let prog = ok("kprobe:f / @x / 2 / { }");
    let p = prog.probes[0].predicate.as_ref().unwrap();
    assert!(matches!(p.kind, ExprKind::Binary { op: BinOp::Div, .. }));
    // A comment between the predicate and the body.
    ok("kprobe:f /pid/ // why\n{ }");
    ok("kprobe:f /pid/ /* why */ { }");
    assert_eq!(
        err("kprobe:f /pid { }"),
        "stdin:1:15: error: syntax error, unexpected '{', expecting '/'\nkprobe:f /pid { }\n              ^\n"
    );
}

// ---- statements --------------------------------------------------------

#[test]
fn assignments() {
    assert_eq!(body("$x = 1;"), "=\n  variable: $x\n  int: 1\n");
    assert_eq!(body("@m = 1"), "=\n  map: @m\n  int: 1\n");
    assert_eq!(
        body("@m[pid] = count()"),
        "=\n  map: @m\n    builtin: pid\n  call: count\n"
    );
    assert_eq!(body("@ = 1"), "=\n  map: @\n  int: 1\n");
    for (op, sym) in [
        ("+=", BinOp::Add),
        ("-=", BinOp::Sub),
        ("*=", BinOp::Mul),
        ("/=", BinOp::Div),
        ("%=", BinOp::Mod),
        ("&=", BinOp::BitAnd),
        ("|=", BinOp::BitOr),
        ("^=", BinOp::BitXor),
        ("<<=", BinOp::Shl),
        (">>=", BinOp::Shr),
    ] {
        let prog = ok(&format!("BEGIN {{ @x {op} 2; $y {op} 3 }}"));
        for s in &prog.probes[0].body.stmts {
            match &s.kind {
                StmtKind::Assign { op: Some(o), .. } => assert_eq!(*o, sym),
                k => panic!("{op}: {k:?}"),
            }
        }
    }
    let prog = ok("BEGIN { $x = 1; }");
    let s = &prog.probes[0].body.stmts[0];
    assert_eq!((s.span.start, s.span.end), (8, 14));
}

#[test]
fn let_statements() {
    assert_eq!(body("let $x;"), "let $x\n");
    assert_eq!(body("let $x = 1;"), "let $x\n  int: 1\n");
    assert_eq!(body("let $x: uint64 = 1;"), "let $x: uint64\n  int: 1\n");
    assert_eq!(
        body("let $p: struct task_struct * = curtask"),
        "let $p: struct task_struct *\n  builtin: curtask\n"
    );
    assert_eq!(body("let $s: string[16]"), "let $s: string[16]\n");
}

#[test]
fn if_else() {
    assert_eq!(
        body("if (pid == 1) { @a = 1 } else if (pid == 2) { @b = 1; } else { @c = 1 }"),
        "if\n  ==\n    builtin: pid\n    int: 1\n  then\n    =\n      map: @a\n      int: 1\n  else\n    if\n      ==\n        builtin: pid\n        int: 2\n      then\n        =\n          map: @b\n          int: 1\n      else\n        =\n          map: @c\n          int: 1\n"
    );
    // No `;` is needed after a `}`-terminated statement; one is allowed.
    let prog = ok("BEGIN { if (1) { } @x = 1; if (1) { }; @y = 2 }");
    assert_eq!(prog.probes[0].body.stmts.len(), 4);
}

#[test]
fn loops() {
    assert_eq!(
        body("while ($i < 3) { $i++; continue; break }"),
        "while\n  <\n    variable: $i\n    int: 3\n  body\n    ++ (post)\n      variable: $i\n    continue\n    break\n"
    );
    assert_eq!(body("unroll (5) { }"), "unroll\n  int: 5\n  body\n");
    assert_eq!(body("unroll($1) { }"), "unroll\n  positional: $1\n  body\n");
    assert_eq!(
        body("for ($kv : @m) { print($kv.0) }"),
        "for $kv : @m\n  body\n    call: print\n      tuple index: .0\n        variable: $kv\n"
    );
    assert_eq!(
        body("for ($i : 0..10) { }"),
        "for $i : range\n  int: 0\n  int: 10\n  body\n"
    );
    assert_eq!(
        body("for ($i : $a..$a + 1) { }"),
        "for $i : range\n  variable: $a\n  +\n    variable: $a\n    int: 1\n  body\n"
    );
}

#[test]
fn jumps_and_blocks() {
    assert_eq!(body("return"), "return\n");
    assert_eq!(body("return;"), "return\n");
    assert_eq!(body("return 1;"), "return\n  int: 1\n");
    assert_eq!(
        body("{ $a = 1 } { }"),
        "block\n  =\n    variable: $a\n    int: 1\nblock\n"
    );
    // Empty statements.
    let prog = ok("BEGIN { ;; @x = 1;; ; }");
    assert_eq!(prog.probes[0].body.stmts.len(), 1);
    ok("BEGIN { }");
    ok("BEGIN {}");
    ok("BEGIN { ; }");
}

// ---- expressions -------------------------------------------------------

#[test]
fn precedence() {
    assert_eq!(
        expr("1 + 2 * 3"),
        "+\n  int: 1\n  *\n    int: 2\n    int: 3\n"
    );
    assert_eq!(
        expr("1 - 2 - 3"),
        "-\n  -\n    int: 1\n    int: 2\n  int: 3\n"
    );
    assert_eq!(
        expr("$a || $b && $c | $d ^ $e & $f == $g < $h << $i + $j * $k"),
        "||\n  variable: $a\n  &&\n    variable: $b\n    |\n      variable: $c\n      ^\n        variable: $d\n        &\n          variable: $e\n          ==\n            variable: $f\n            <\n              variable: $g\n              <<\n                variable: $h\n                +\n                  variable: $i\n                  *\n                    variable: $j\n                    variable: $k\n"
    );
    assert_eq!(
        expr("(1 + 2) * 3"),
        "*\n  +\n    int: 1\n    int: 2\n  int: 3\n"
    );
    // The ternary is right-associative and binds loosest.
    assert_eq!(
        expr("$a ? 1 : $b ? 2 : 3"),
        "?:\n  variable: $a\n  int: 1\n  ?:\n    variable: $b\n    int: 2\n    int: 3\n"
    );
    assert_eq!(
        expr("$a > 0 ? $a - 1 : 0"),
        "?:\n  >\n    variable: $a\n    int: 0\n  -\n    variable: $a\n    int: 1\n  int: 0\n"
    );
}

#[test]
fn all_binary_operators() {
    for (sym, op) in [
        ("+", BinOp::Add),
        ("-", BinOp::Sub),
        ("*", BinOp::Mul),
        ("/", BinOp::Div),
        ("%", BinOp::Mod),
        ("&", BinOp::BitAnd),
        ("|", BinOp::BitOr),
        ("^", BinOp::BitXor),
        ("<<", BinOp::Shl),
        (">>", BinOp::Shr),
        ("==", BinOp::Eq),
        ("!=", BinOp::Ne),
        ("<", BinOp::Lt),
        ("<=", BinOp::Le),
        (">", BinOp::Gt),
        (">=", BinOp::Ge),
        ("&&", BinOp::LogAnd),
        ("||", BinOp::LogOr),
    ] {
        match first_expr(&format!("$a {sym} $b")) {
            ExprKind::Binary { op: got, .. } => assert_eq!(got, op, "{sym}"),
            k => panic!("{sym}: {k:?}"),
        }
    }
}

#[test]
fn unary_operators() {
    for (sym, op) in [
        ("-", UnOp::Neg),
        ("!", UnOp::Not),
        ("~", UnOp::BitNot),
        ("*", UnOp::Deref),
        ("&", UnOp::AddrOf),
    ] {
        match first_expr(&format!("{sym}$a")) {
            ExprKind::Unary { op: got, .. } => assert_eq!(got, op, "{sym}"),
            k => panic!("{sym}: {k:?}"),
        }
    }
    assert_eq!(expr("-1"), "unop: -\n  int: 1\n");
    assert_eq!(expr("!!$a"), "unop: !\n  unop: !\n    variable: $a\n");
    // Postfix binds tighter than prefix.
    assert_eq!(expr("-$a->b"), "unop: -\n  field: ->b\n    variable: $a\n");
    assert_eq!(
        expr("*(arg0 + 8)"),
        "unop: *\n  +\n    builtin: arg0\n    int: 8\n"
    );
}

#[test]
fn increments() {
    assert_eq!(body("@x++"), "++ (post)\n  map: @x\n");
    assert_eq!(body("@x--"), "-- (post)\n  map: @x\n");
    assert_eq!(body("++$x"), "++ (pre)\n  variable: $x\n");
    assert_eq!(body("--@x[1]"), "-- (pre)\n  map: @x\n    int: 1\n");
    assert_eq!(
        body("$y = $x++ + 1"),
        "=\n  variable: $y\n  +\n    ++ (post)\n      variable: $x\n    int: 1\n"
    );
}

#[test]
fn casts() {
    assert_eq!(expr("(int32)$x"), "cast: int32\n  variable: $x\n");
    assert_eq!(
        expr("(struct task_struct *)curtask"),
        "cast: struct task_struct *\n  builtin: curtask\n"
    );
    assert_eq!(expr("(uint8 *)arg0"), "cast: uint8 *\n  builtin: arg0\n");
    assert_eq!(expr("(int8[4])$x"), "cast: int8[4]\n  variable: $x\n");
    assert_eq!(
        expr("(struct x **)$p"),
        "cast: struct x **\n  variable: $p\n"
    );
    assert_eq!(expr("(union u *)$p"), "cast: union u *\n  variable: $p\n");
    assert_eq!(expr("(enum e)$p"), "cast: enum e\n  variable: $p\n");
    assert_eq!(
        expr("(unsigned int)$p"),
        "cast: unsigned int\n  variable: $p\n"
    );
    assert_eq!(
        expr("(unsigned long long)$p"),
        "cast: unsigned long long\n  variable: $p\n"
    );
    assert_eq!(expr("(u64)$p"), "cast: u64\n  variable: $p\n");
    assert_eq!(expr("(void *)$p"), "cast: void *\n  variable: $p\n");
    // A typedef name: a cast when an operand follows, or with `*`.
    assert_eq!(expr("(pid_t)$p"), "cast: pid_t\n  variable: $p\n");
    assert_eq!(expr("(pid_t *)$p"), "cast: pid_t *\n  variable: $p\n");
    // ... and a parenthesised expression otherwise.
    assert_eq!(expr("(x) - 1"), "-\n  builtin: x\n  int: 1\n");
    assert_eq!(expr("(x) * y"), "*\n  builtin: x\n  builtin: y\n");
    // The cast applies to the postfix expression.
    assert_eq!(
        expr("(struct a *)$p->b"),
        "cast: struct a *\n  field: ->b\n    variable: $p\n"
    );
    assert_eq!(
        expr("((struct a *)$p)->b"),
        "field: ->b\n  cast: struct a *\n    variable: $p\n"
    );
    assert_eq!(
        expr("(uint64)$a + (uint32)$b"),
        "+\n  cast: uint64\n    variable: $a\n  cast: uint32\n    variable: $b\n"
    );
}

#[test]
fn type_arguments() {
    assert_eq!(
        expr("sizeof(struct task_struct)"),
        "call: sizeof\n  type: struct task_struct\n"
    );
    assert_eq!(expr("sizeof(uint32)"), "call: sizeof\n  type: uint32\n");
    assert_eq!(expr("sizeof($x)"), "call: sizeof\n  variable: $x\n");
    assert_eq!(
        expr("offsetof(struct sk_buff, len)"),
        "call: offsetof\n  type: struct sk_buff\n  builtin: len\n"
    );
    match first_expr("sizeof(struct x *)") {
        ExprKind::Call { args, .. } => match &args[0].kind {
            ExprKind::TypeArg(t) => {
                assert_eq!(
                    (t.base.as_str(), t.pointers, t.array),
                    ("struct x", 1, None)
                )
            }
            k => panic!("{k:?}"),
        },
        k => panic!("{k:?}"),
    }
}

#[test]
fn postfix() {
    assert_eq!(
        expr("args->filename"),
        "field: ->filename\n  builtin: args\n"
    );
    assert_eq!(expr("args.filename"), "field: .filename\n  builtin: args\n");
    assert_eq!(
        expr("$sk->__sk_common.skc_family"),
        "field: .skc_family\n  field: ->__sk_common\n    variable: $sk\n"
    );
    assert_eq!(
        expr("$p->arr[3]"),
        "[]\n  field: ->arr\n    variable: $p\n  int: 3\n"
    );
    assert_eq!(expr("$t.0"), "tuple index: .0\n  variable: $t\n");
    assert_eq!(
        expr("$t.1.0"),
        "tuple index: .0\n  tuple index: .1\n    variable: $t\n"
    );
    assert_eq!(
        expr("f(1, \"a\", $x)"),
        "call: f\n  int: 1\n  string: \"a\"\n  variable: $x\n"
    );
    assert_eq!(expr("exit()"), "call: exit\n");
    // Field names may be keywords.
    assert_eq!(expr("$p->if"), "field: ->if\n  variable: $p\n");
}

#[test]
fn maps_and_tuples() {
    match first_expr("@m[1, 2]") {
        ExprKind::Map { name, keys } => {
            assert_eq!(name, "@m");
            assert_eq!(keys.len(), 2);
        }
        k => panic!("{k:?}"),
    }
    match first_expr("@m[(1, 2)]") {
        ExprKind::Map { keys, .. } => {
            assert_eq!(keys.len(), 1);
            assert!(matches!(&keys[0].kind, ExprKind::Tuple(items) if items.len() == 2));
        }
        k => panic!("{k:?}"),
    }
    match first_expr("@") {
        ExprKind::Map { name, keys } => assert_eq!((name.as_str(), keys.len()), ("@", 0)),
        k => panic!("{k:?}"),
    }
    assert_eq!(expr("(1, \"a\")"), "tuple\n  int: 1\n  string: \"a\"\n");
    assert_eq!(expr("(1,)"), "tuple\n  int: 1\n");
    assert_eq!(
        expr("((1, 2), 3)"),
        "tuple\n  tuple\n    int: 1\n    int: 2\n  int: 3\n"
    );
    // A parenthesised expression is not a tuple.
    assert_eq!(expr("(1)"), "int: 1\n");
}

#[test]
fn literals() {
    let int = |s: &str| match first_expr(s) {
        ExprKind::Int(n) => n,
        k => panic!("{s}: {k:?}"),
    };
    assert_eq!(int("12345"), 12345);
    assert_eq!(int("0x1F"), 31);
    assert_eq!(int("0XdeadBEEF"), 0xdeadbeef);
    assert_eq!(int("0777"), 0o777);
    assert_eq!(int("0b101"), 5);
    assert_eq!(int("1_000_000"), 1_000_000);
    assert_eq!(int("1e6"), 1_000_000);
    assert_eq!(int("5E3"), 5000);
    assert_eq!(int("0"), 0);
    assert_eq!(int("08"), 8);
    assert_eq!(int("42u"), 42);
    assert_eq!(int("42ULL"), 42);
    assert_eq!(int("10ms"), 10_000_000);
    assert_eq!(int("2s"), 2_000_000_000);
    assert_eq!(int("18446744073709551615"), u64::MAX);
    let s = |src: &str| match first_expr(src) {
        ExprKind::Str(s) => s,
        k => panic!("{src}: {k:?}"),
    };
    assert_eq!(s(r#""a\tb\nc\rd\\e\"f""#), "a\tb\nc\rd\\e\"f");
    assert_eq!(s(r#""\x41\x4a\101\0z""#), "AJA\0z");
    assert_eq!(s(r#""\xc3\xa9""#), "é");
    assert_eq!(s("\"héllo ✓\""), "héllo ✓");
    assert_eq!(s("\"\""), "");
    assert!(matches!(first_expr("true"), ExprKind::Bool(true)));
    assert!(matches!(first_expr("false"), ExprKind::Bool(false)));
    assert!(matches!(first_expr("$1"), ExprKind::Positional(1)));
    assert!(matches!(first_expr("$12"), ExprKind::Positional(12)));
    assert!(matches!(first_expr("$#"), ExprKind::PositionalCount));
    assert!(matches!(first_expr("$x"), ExprKind::Var(v) if v == "$x"));
}

#[test]
fn builtins_are_identifiers() {
    for b in [
        "pid",
        "tid",
        "uid",
        "gid",
        "username",
        "comm",
        "nsecs",
        "elapsed",
        "cpu",
        "ncpus",
        "curtask",
        "cgroup",
        "rand",
        "func",
        "probe",
        "retval",
        "arg0",
        "arg5",
        "sarg0",
        "args",
        "ctx",
        "kstack",
        "ustack",
        "jiffies",
        "numaid",
        "AF_INET",
        "anything_else",
    ] {
        assert!(
            matches!(first_expr(b), ExprKind::Builtin(n) if n == b),
            "{b}"
        );
    }
    assert_eq!(
        expr("kstack(perf, 3)"),
        "call: kstack\n  builtin: perf\n  int: 3\n"
    );
}

#[test]
fn spans() {
    let src = "BEGIN { @x = 1 + foo(2) }";
    let prog = ok(src);
    let StmtKind::Assign { target, value, .. } = &prog.probes[0].body.stmts[0].kind else {
        panic!()
    };
    let text = |s: scry_lang::span::Span| &src[s.start as usize..s.end as usize];
    assert_eq!(text(target.span), "@x");
    assert_eq!(text(value.span), "1 + foo(2)");
    let ExprKind::Binary { rhs, .. } = &value.kind else {
        panic!()
    };
    assert_eq!(text(rhs.span), "foo(2)");
    assert_eq!(text(prog.probes[0].body.span), "{ @x = 1 + foo(2) }");
    assert_eq!(text(prog.probes[0].span), src);
    assert_eq!(value.ty, Type::None);
}

// ---- top level ---------------------------------------------------------

#[test]
fn config_blocks() {
    let prog = ok("config = { max_map_keys = 1_000; stack_mode = perf; s = \"x\" }\nBEGIN { }");
    let keys: Vec<&str> = prog.config.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["max_map_keys", "stack_mode", "s"]);
    assert!(matches!(prog.config[0].value.kind, ExprKind::Int(1000)));
    assert!(matches!(&prog.config[1].value.kind, ExprKind::Builtin(n) if n == "perf"));
    ok("config = { }\nBEGIN { }");
    ok("config = { a = 1; };\nBEGIN { }");
}

#[test]
fn skipped_text() {
    let src = "#!/usr/bin/env bpftrace\n#include <linux/sched.h>\n#define X \\\n  2\n\
               struct cfs_rq { struct load_weight load; struct { int a; } b; };\n\
               enum e { A, B = 2 };\nunion u { int a; }\nstruct fwd;\n\
               // c\n/* c */\nBEGIN { @ = 1 }\n#ifdef X\nEND { }\n#endif\n";
    let prog = ok(src);
    assert_eq!(prog.probes.len(), 2);
    assert!(prog.config.is_empty());
}

#[test]
fn defined_constants() {
    let src = "#define A 5\n#define B \"s\" // c\n#define C (-3)\n#define D(x) x\n\
               #define E 1 + 2\n#  define F 0x10\n#define G /* a\n b */ 7\n\
               BEGIN { print((A, B, C, D, E, F, G)) }\n#undef A\nEND { print(A) }";
    let d = dump(&ok(src));
    assert!(
        d.contains(
            "tuple\n          int: 5\n          string: \"s\"\n          unop: -\n            int: 3\n          builtin: D\n          builtin: E\n          int: 16\n          int: 7\n"
        ),
        "{d}"
    );
    assert!(d.ends_with("call: print\n        builtin: A\n"), "{d}");
    // The constant takes the span of its use.
    let prog = ok("#define N 10\nBEGIN { @ = N }");
    let StmtKind::Assign { value, .. } = &prog.probes[0].body.stmts[0].kind else {
        panic!()
    };
    assert_eq!((value.span.start, value.span.end), (25, 26));
}

#[test]
fn byte_order_mark() {
    assert_eq!(ok("\u{feff}BEGIN { }").probes.len(), 1);
}

#[test]
fn unsupported_definitions() {
    let out = err("macro add_one(x) { x + 1 }\nBEGIN { }");
    assert_eq!(
        out,
        "stdin:1:1: error: macro definitions are not supported yet\nmacro add_one(x) { x + 1 }\n^~~~~\n"
    );
    let (prog, diags) = parse("fn f($a: int64): int64 { return $a; }\nBEGIN { }");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("not supported yet"));
    assert_eq!(prog.probes.len(), 1);
}

// ---- errors ------------------------------------------------------------

#[test]
fn syntax_errors_render() {
    assert_eq!(
        err("BEGIN { @x = 1 $y }"),
        "stdin:1:16: error: syntax error, unexpected variable '$y', expecting ';'\nBEGIN { @x = 1 $y }\n               ^~\n"
    );
    assert_eq!(
        err("BEGIN { @x = }"),
        "stdin:1:14: error: syntax error, unexpected '}'\nBEGIN { @x = }\n             ^\n"
    );
    assert_eq!(
        err("BEGIN {\n  @x = 1;\n"),
        "stdin:2:10: error: syntax error, unexpected end of file, expecting '}'\n  @x = 1;\n         ^\n"
    );
    assert_eq!(
        err("BEGIN { }\n}"),
        "stdin:2:1: error: syntax error, unexpected '}'\n}\n^\n"
    );
    assert_eq!(
        err("kprobe:f"),
        "stdin:1:9: error: syntax error, unexpected end of file, expecting '{'\nkprobe:f\n        ^\n"
    );
    assert_eq!(
        err("BEGIN { if (1) { } else @x = 1 }"),
        "stdin:1:25: error: syntax error, unexpected map '@x', expecting '{' or 'if'\nBEGIN { if (1) { } else @x = 1 }\n                        ^~\n"
    );
    assert_eq!(
        err("BEGIN { printf(\"%d\", 1 }"),
        "stdin:1:24: error: syntax error, unexpected '}', expecting ')'\nBEGIN { printf(\"%d\", 1 }\n                       ^\n"
    );
    assert_eq!(
        err("BEGIN { $t.0 = 1 }"),
        "stdin:1:9: error: tuples are immutable once created; consider creating a new tuple and assigning it instead\nBEGIN { $t.0 = 1 }\n        ^~~~\n"
    );
    assert!(err("BEGIN { f(1) = 2 }").contains("only variables and maps can be assigned"));
    assert!(err("BEGIN { else }").contains("unexpected identifier 'else'"));
    // Errors on later lines, after tabs.
    assert_eq!(
        err("BEGIN {\n\t@x = 1;\n\t@y = 2 +;\n}"),
        "stdin:3:10: error: syntax error, unexpected ';'\n\t@y = 2 +;\n\t        ^\n"
    );
    // The program built before the error is returned.
    let (prog, diags) = parse("BEGIN { } END { } kprobe:f { @x = }");
    assert_eq!(diags.len(), 1);
    assert_eq!(prog.probes.len(), 2);
}

#[test]
fn lexical_errors_render() {
    assert_eq!(
        err("BEGIN { # }"),
        "stdin:1:9: error: invalid character '#'\nBEGIN { # }\n        ^\n"
    );
    assert_eq!(
        err("BEGIN { $x = 1 ` }"),
        "stdin:1:16: error: invalid character '`'\nBEGIN { $x = 1 ` }\n               ^\n"
    );
    assert_eq!(
        err("BEGIN { @x = é }"),
        "stdin:1:14: error: invalid character 'é'\nBEGIN { @x = é }\n             ^\n"
    );
    assert_eq!(
        err("BEGIN { printf(\"abc\n\") }"),
        "stdin:1:16: error: unterminated string\nBEGIN { printf(\"abc\n               ^~~~\n"
    );
    assert_eq!(
        err("BEGIN { printf(\"abc"),
        "stdin:1:16: error: unterminated string\nBEGIN { printf(\"abc\n               ^~~~\n"
    );
    assert_eq!(
        err(r#"BEGIN { printf("a\qb") }"#),
        "stdin:1:18: error: invalid escape character '\\q'\nBEGIN { printf(\"a\\qb\") }\n                 ^~\n"
    );
    assert!(
        err(r#"BEGIN { printf("\777") }"#).contains("octal escape sequence out of range '\\777'")
    );
    assert!(err("BEGIN { /* never closed }").contains("end of file during comment"));
    assert!(err("BEGIN { $x = 99999999999999999999 }").contains("integer too large"));
    assert!(err("BEGIN { $x = 12abc }").contains("invalid trailing bytes"));
    assert!(err("BEGIN { $x = 0x }").contains("invalid integer"));
    assert!(err("BEGIN { $x = 12e3 }").contains("coefficient"));
    assert!(err("BEGIN { $x = $ }").contains("invalid character '$'"));
    assert!(err("BEGIN { $x = $99999999999 }").contains("invalid positional parameter"));
    assert!(err("uprobe:/bin/x:\"abc { }").contains("unterminated string"));
}

#[test]
fn no_diagnostic_is_a_warning_in_valid_scripts() {
    let (_, diags) = parse("BEGIN { @x = 1 }");
    assert!(diags.iter().all(|d| d.level == Level::Error));
    assert!(diags.is_empty());
}

// ---- robustness --------------------------------------------------------

fn in_small_thread<F: FnOnce() + Send + 'static>(f: F) {
    // The default stack of a test thread (2 MiB), so that a debug build
    // proves the nesting limit keeps the recursion within it.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_capped() {
    in_small_thread(|| {
        let n = 100_000;
        let cases = [
            format!("BEGIN {{ $x = {}1{}; }}", "(".repeat(n), ")".repeat(n)),
            format!("BEGIN {{ $x = {}1; }}", "!".repeat(n)),
            format!("BEGIN {{ $x = {}1; }}", "- ".repeat(n)),
            format!("BEGIN {{ $x = {}1; }}", "(int8)".repeat(n)),
            format!("BEGIN {}{}", "{".repeat(n), "}".repeat(n)),
            format!("BEGIN {{ $x = 1{}; }}", "+1".repeat(n)),
            format!("BEGIN {{ $x = $a{}; }}", ".b".repeat(n)),
            format!("BEGIN {{ $x = {}1{}; }}", "@x[".repeat(n), "]".repeat(n)),
            format!("BEGIN {{ $x = {}1{}; }}", "f(".repeat(n), ")".repeat(n)),
            format!("BEGIN {{ $x = 1{}; }}", " ? 1 : 1".repeat(n)),
            format!("BEGIN {{ if (1) {{}} {} }}", "else if (1) {} ".repeat(n)),
            format!("BEGIN {{ $x = {}1{}; }}", "(1,".repeat(n), ")".repeat(n)),
            format!("BEGIN {{ $x = $a{}; }}", "[1]".repeat(n)),
            format!("BEGIN {{ $x = {}$a; }}", "++".repeat(n)),
            format!(
                "BEGIN {{ $x = {}1{}; }}",
                "(1*-(int8)!".repeat(n),
                ")".repeat(n)
            ),
            format!("BEGIN {{ {}{} }}", "while (1) {".repeat(n), "}".repeat(n)),
            format!("BEGIN {{ {}{} }}", "if (1) {".repeat(n), "}".repeat(n)),
        ];
        for src in &cases {
            let (prog, diags) = parse(src);
            assert_eq!(diags.len(), 1, "{}", &src[..40]);
            assert!(
                diags[0].message.contains("nesting too deep"),
                "{}",
                diags[0].message
            );
            let _ = dump(&prog);
        }
        // Just under the limit is fine.
        let depth = MAX_DEPTH as usize - 10;
        ok(&format!(
            "BEGIN {{ $x = {}1{}; }}",
            "(".repeat(depth),
            ")".repeat(depth)
        ));
    });
}

fn corpus() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    for dir in [ours.as_path(), Path::new("/usr/sbin")] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "bt") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    files.push((path, text));
                }
            }
        }
    }
    files.sort();
    files
}

#[test]
fn corpus_parses_cleanly() {
    let files = corpus();
    let ours = files
        .iter()
        .filter(|(p, _)| p.starts_with(env!("CARGO_MANIFEST_DIR")))
        .count();
    assert!(ours >= 15, "only {ours} scripts in tests/scripts");
    for (path, text) in &files {
        let (prog, diags) = parse(text);
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&diags, &path.display().to_string(), text)
        );
        assert!(!prog.probes.is_empty(), "{}", path.display());
        assert!(!dump(&prog).is_empty());
    }
}

/// Parses without panicking, and the diagnostics render (so their spans lie
/// on character boundaries within the source).
fn survives(src: &str) {
    let (prog, diags) = parse(src);
    let _ = dump(&prog);
    for d in &diags {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= src.len());
        assert!(src.is_char_boundary(d.span.start as usize));
        assert!(src.is_char_boundary(d.span.end as usize));
        let _ = d.render("stdin", src);
    }
}

#[test]
fn no_panic_on_prefixes_and_deletions() {
    let files = corpus();
    std::thread::scope(|s| {
        for chunk in files.chunks(files.len().div_ceil(8).max(1)) {
            s.spawn(move || {
                for (_, text) in chunk {
                    let bytes = text.as_bytes();
                    for i in 0..=bytes.len() {
                        if text.is_char_boundary(i) {
                            survives(&text[..i]);
                        }
                    }
                    for i in 0..bytes.len() {
                        let mut v = bytes.to_vec();
                        v.remove(i);
                        survives(&String::from_utf8_lossy(&v));
                    }
                }
            });
        }
    });
}

#[test]
fn no_panic_on_odd_inputs() {
    for src in [
        "",
        " ",
        "\n",
        "/",
        "//",
        "/*",
        "*/",
        "{",
        "}",
        "\"",
        "#",
        "$",
        "@",
        ":",
        ",",
        "BEGIN",
        "BEGIN {",
        "BEGIN }",
        "BEGIN / {",
        "BEGIN //",
        "kprobe:",
        ":::",
        "a:b:c:",
        "BEGIN { @[",
        "BEGIN { (",
        "BEGIN { (int8",
        "BEGIN { (struct",
        "BEGIN { $x.",
        "BEGIN { $x->",
        "BEGIN { for (",
        "BEGIN { for ($x :",
        "BEGIN { let",
        "BEGIN { let $x:",
        "config",
        "config =",
        "config = {",
        "config = { a",
        "config = { a =",
        "struct",
        "struct x {",
        "macro",
        "macro m(",
        "fn",
        "\u{feff}BEGIN { }",
        "BEGIN { \"\\",
        "BEGIN { \"\\x",
        "BEGIN { 0x",
        "BEGIN { 1e",
        "BEGIN { 1e99 }",
        "uprobe:\"",
        "BEGIN\r\n{\r\n}\r\n",
        "é:é { }",
        "BEGIN { é }",
        "\u{0}",
        "BEGIN { \u{0} }",
        "uprobe:/x\u{e9}:f { }",
        "BEGIN { if",
        "BEGIN { if (1) { } else",
        "BEGIN { unroll",
        "BEGIN { return",
        "BEGIN { $t.99999999999 }",
        "BEGIN { (int8[",
        "BEGIN { (int8[99999999999])1 }",
    ] {
        survives(src);
    }
}
