//! Inputs the fuzzers (`fuzz/`) found, minimised, one test each, named
//! after what they are. A test of a bug not fixed yet is `#[ignore]`d with
//! the bug; when the bug is fixed, drop the `#[ignore]` and the bug's entry
//! in `KNOWN_BUGS` (`fuzz/src/harness.rs`), which keeps the fuzzers and
//! `no_panic.rs` from reporting it again meanwhile.

#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use harness::{check_compile, check_parse, fuzz_options, FakeEnv};
use scry_lang::spec::Options;

/// Parses and compiles `source` (without and with the kernel's BTF) under
/// the fuzzers' checks: no panic, a program or an error, errors render.
fn survives(source: &str) {
    check_parse(source);
    check_compile(source, &FakeEnv::new(), &fuzz_options());
    check_compile(source, &FakeEnv::with_kernel_btf(), &fuzz_options());
}

/// Compiles with `--unsafe` only (no dumps), as `scry --unsafe` would.
fn compile(source: &str) -> Result<usize, String> {
    let opts = Options {
        unsafe_ok: true,
        ..Options::default()
    };
    scry_lang::compile(source, &FakeEnv::new(), &opts)
        .map(|c| c.programs.len())
        .map_err(|d| scry_lang::diag::render_all(&d, "stdin", source))
}

/// The "no probes" error spans the first byte of the script; a script that
/// starts with a UTF-8 byte order mark (which the lexer skips) cuts the
/// BOM in half and rendering panics at `diag.rs` (`source[start..end]`,
/// "end byte index 1 is not a char boundary"). `scry -e $'\ufeff'` and a
/// BOM-prefixed script file made by a Windows editor both crash the CLI.
#[test]
fn byte_order_mark_before_a_script_without_probes() {
    survives("\u{feff}");
    survives("\u{feff}// a comment, no probes\n");
    survives("\u{feff}#!/usr/bin/env bpftrace\n");
}

/// A BOM before a real script must not break it either.
#[test]
fn byte_order_mark_before_a_probe() {
    survives("\u{feff}BEGIN { exit(); }");
}

/// `signal("SIGUSR1")` (a signal by name, as bpftrace allows) is accepted
/// by the type checker but code generation fails with an internal error:
/// `error: internal: not a scalar`.
#[test]
fn signal_with_a_signal_name() {
    survives("kprobe:f { signal(\"SIGUSR1\"); }");
    assert_eq!(compile("kprobe:f { signal(\"SIGUSR1\"); }"), Ok(1));
    assert_eq!(compile("kprobe:f { signal(\"KILL\"); }"), Ok(1));
}

/// `signal(9)` compiles (the numeric form is fine).
#[test]
fn signal_with_a_number() {
    assert_eq!(compile("kprobe:f { signal(9); }"), Ok(1));
}

/// A NUL byte inside an attach point is taken as part of the name: a raw
/// tracepoint's section name then carries it and writing the object fails
/// with `internal: cannot write the object: cannot write object: string
/// table entry contains null byte`; `kprobe:vfs_read<NUL>` even compiles
/// (the attach would fail later). A NUL (or any control character) in an
/// attach point should be a syntax error pointing at it.
#[test]
fn nul_byte_in_an_attach_point() {
    survives("rawtracepoint:a\0b { }");
    for src in ["rawtracepoint:a\0b { }", "kprobe:vfs_read\0 { }"] {
        match compile(src) {
            Ok(_) => panic!("{src:?} compiled"),
            Err(e) => assert!(!e.contains("internal:"), "{e}"),
        }
    }
}

/// Inputs on the fuzzers' first minutes that exercised the lexer's edges;
/// kept because they are cheap.
#[test]
fn lexer_edges() {
    for src in [
        "",
        "\"",
        "/*",
        "BEGIN { /*",
        "BEGIN { \"\\",
        "BEGIN { $x = 0x; }",
        "BEGIN { $x = 99999999999999999999999; }",
        "\u{a0}BEGIN { }",
        "é",
        "#é",
        "BEGIN { printf(\"%\"); }",
        "BEGIN { printf(\"%-\", 1); }",
        "BEGIN { @x = 1 +",
    ] {
        survives(src);
    }
}

/// `!` on a string reached codegen as a scalar (found by no_panic.rs).
#[test]
fn logical_not_of_a_string() {
    let source = "BEGIN { printf(\"%d\\n\", !\"COMM\"); }";
    survives(source);
    let err = compile(source).unwrap_err();
    assert!(err.contains("invalid operand to !"), "{err}");
}

/// A bare type name as a value (`printf("%d", uint64)`) reached codegen.
#[test]
fn type_name_used_as_a_value() {
    let source = "BEGIN { printf(\"%d\\n\", uint64); }";
    survives(source);
    let err = compile(source).unwrap_err();
    assert!(
        err.contains("expected a value, found the type 'uint64'"),
        "{err}"
    );
}

/// A type name as an aggregation's argument (`sum(int64)`, found by
/// `no_panic.rs` in CI from a mutated tuple script) passed the type checker
/// as a value of that type and reached code generation: `error: internal:
/// not a scalar`. It is a user error with the type's span.
#[test]
fn type_name_as_an_aggregation_argument() {
    survives("kprobe:f { @c[pid] = sum(int64); }");
    let err = compile("kprobe:f { @c = sum(int64); }").unwrap_err();
    assert!(
        err.contains("expected a value, found the type 'int64'") && !err.contains("internal"),
        "{err}"
    );
    let err = compile("kprobe:f { @h = hist(struct task_struct); }").unwrap_err();
    assert!(!err.contains("internal"), "{err}");
    assert_eq!(compile("kprobe:f { @s = sum(sizeof(int64)); }"), Ok(1));
}

/// A string as a ternary's condition (`"RESULT" ? "yes" : "no"`, found by
/// `no_panic.rs` with 150,000 iterations) reached code generation:
/// `internal: not a scalar`. Conditions of ternaries and while loops are
/// checked as if conditions are.
#[test]
fn string_as_a_condition() {
    survives("BEGIN { @c = \"RESULT\" ? \"yes\" : \"no\"; }");
    let err = compile("BEGIN { @c = \"RESULT\" ? \"yes\" : \"no\"; }").unwrap_err();
    assert!(
        err.contains("a ternary condition must be an integer, not string")
            && !err.contains("internal"),
        "{err}"
    );
    let err = compile("BEGIN { while (\"x\") { break; } }").unwrap_err();
    assert!(
        err.contains("a while condition must be an integer"),
        "{err}"
    );
    assert_eq!(compile("BEGIN { @c = pid ? \"yes\" : \"no\"; }"), Ok(1));
}

/// `let $s: string = 1e6;` (an integer into a variable declared a string)
/// and `for ($j : "zero\n"..10)` (a string range bound), found by
/// `no_panic.rs` under other seeds, reached code generation
/// (`aggregate variable not in memory`, `not a scalar`).
#[test]
fn declared_type_and_range_bounds_are_checked() {
    survives("BEGIN { let $s: string = 1e6; @x = $s; }");
    survives("BEGIN { for ($j : \"zero\\n\"..10) { @f[$j] = 1; } }");
    let err = compile("BEGIN { let $s: string = 1e6; @x = $s; }").unwrap_err();
    assert!(err.contains("$s is declared string"), "{err}");
    let err = compile("BEGIN { for ($j : \"zero\"..10) { @f[$j] = 1; } }").unwrap_err();
    assert!(err.contains("a range bound must be an integer"), "{err}");
    assert_eq!(compile("BEGIN { let $n: uint16 = 5; @x = $n; }"), Ok(1));
}

/// Calls without a value used as one (`/exit() == "bash"/`) and join() of
/// a string literal, found by `no_panic.rs` under other seeds, reached
/// code generation (`not a scalar`).
#[test]
fn valueless_calls_and_join_of_a_string() {
    survives("kprobe:f /exit() == \"bash\" && pid > 1/ { }");
    survives("kprobe:f { join(\"Tracing...\\n\"); }");
    let err = compile("kprobe:f /exit() == \"bash\"/ { }").unwrap_err();
    assert!(err.contains("exit() has no value to use here"), "{err}");
    let err = compile("kprobe:f { join(\"abc\"); }").unwrap_err();
    assert!(err.contains("join() expects an array of strings"), "{err}");
    assert_eq!(compile("kprobe:f { join(arg1); exit(); }"), Ok(1));
}

/// `signal(($t.2, $first))` (a tuple where a signal number goes), found by
/// `no_panic.rs` under another seed, reached code generation.
#[test]
fn signal_of_a_tuple() {
    survives("kprobe:f { $t = (1, 2); signal(($t.1, 3)); override(\"x\"); }");
    let err = compile("kprobe:f { signal((1, 2)); }").unwrap_err();
    assert!(err.contains("signal() expects an integer"), "{err}");
}

/// `buf("abc", 3)`: buf() of a string value (a literal, `comm`) was
/// "internal: not a scalar"; of a tuple, the same. Strings are now read
/// from memory of ours, and other values are refused with a message.
#[test]
fn buf_of_a_string_value() {
    survives("BEGIN { print(buf(\"abc\", 3)); print(buf(comm)); print(buf((1, 2), 3)); }");
    assert_eq!(
        compile("BEGIN { print(buf(\"abc\", 3)); print(buf(comm)); }"),
        Ok(1)
    );
    let err = compile("BEGIN { print(buf((1, 2), 3)); }").unwrap_err();
    assert!(
        err.contains("error: buf() expects a pointer, an array or a string"),
        "{err}"
    );
}

/// `let $s: string;` and a later read of `$s`: a variable declared without
/// a value had no home, and reading it panicked in code generation (found
/// by `no_panic.rs` under seed 0x7a11_0102). It now reads as zero.
#[test]
fn read_of_a_variable_declared_without_value() {
    survives("BEGIN { let $s: string; @str = $s; let $n: uint16; @n = $n; }");
    assert_eq!(
        compile("BEGIN { let $s: string; @str = $s; let $n: int32; @n = $n + 1; }"),
        Ok(1)
    );
}

/// `strftime("%H:%M", "%d")`: a string where the time goes reached code
/// generation ("internal: not a scalar"; found by `no_panic.rs` under seed
/// 0x7a11_0103). It is now a type error.
#[test]
fn strftime_of_a_string() {
    survives("BEGIN { printf(\"%s\\n\", strftime(\"%H:%M\", \"%d\")); }");
    let err = compile("BEGIN { printf(\"%s\\n\", strftime(\"%H\", \"x\")); }").unwrap_err();
    assert!(
        err.contains("strftime() expects a time in nanoseconds, not string"),
        "{err}"
    );
    assert_eq!(
        compile("BEGIN { printf(\"%s\\n\", strftime(\"%H\", nsecs)); }"),
        Ok(1)
    );
}
