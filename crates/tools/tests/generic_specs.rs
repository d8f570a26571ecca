//! The generic tools' text handling, without a kernel: BCC's C expressions
//! into scry's, trace probes into printf formats with their casts.

use scry_tools::cexpr::{self, split_top, Ctx};
use scry_tools::traceprobe::TraceProbe;

fn rw(e: &str) -> String {
    cexpr::rewrite(e, &Ctx::default()).unwrap()
}

#[test]
fn bcc_expressions_become_scry_ones() {
    assert_eq!(
        rw("arg1 == 42 && arg3@user != 0"),
        "arg0 == 42 && arg2 != 0"
    );
    assert_eq!(rw("$retval < 0 || retval > 9"), "retval < 0 || retval > 9");
    assert_eq!(rw("$pid == $tgid"), "tid == pid");
    assert_eq!(rw("$uid + $cpu"), "uid + cpu");
    assert_eq!(rw("args->nr_sector > 8"), "args.nr_sector > 8");
    assert_eq!(rw("(u32)arg2 & 0xff"), "(uint32)arg1 & 0xff");
    assert_eq!(rw("(char *)$retval"), "retval");
    assert_eq!(rw("(arg2 == 42)"), "(arg1 == 42)");
    assert_eq!(rw("STRCMP(\"a,b\", arg1)"), "(str(arg0) == \"a,b\")");
    assert_eq!(rw("\"arg1 $pid\""), "\"arg1 $pid\"");
    assert!(cexpr::rewrite("$nope", &Ctx::default()).is_err());
    assert!(cexpr::rewrite("$latency > 5", &Ctx::default()).is_err());

    let params = vec!["fd".to_string(), "buf".to_string(), "size".to_string()];
    let ctx = Ctx {
        params: &params,
        entry: Some("e0_"),
    };
    let r = |e| cexpr::rewrite(e, &ctx).unwrap();
    assert_eq!(r("fd == 1 && size > 16"), "arg0 == 1 && arg2 > 16");
    assert_eq!(
        r("$latency / $entry(size)"),
        "(nsecs - @e0_lat[tid]) / @e0_size[tid]"
    );
    assert!(cexpr::rewrite("$entry(nope)", &ctx).is_err());
    assert_eq!(
        cexpr::entry_needs(&["$entry(size)", "$latency > $entry(fd)"]),
        (vec!["size".to_string(), "fd".to_string()], true)
    );
}

#[test]
fn trace_probes_become_formats_and_arguments() {
    let p = TraceProbe::parse("p:c:open (arg2 == 42) \"%s %d\", arg1, arg2").unwrap();
    assert_eq!(p.spec.library, "c");
    assert_eq!(p.filter.as_deref(), Some("(arg1 == 42)"));
    assert_eq!(p.format, "%s %d");
    assert_eq!(p.args, ["str(arg0)", "(int32)arg1"]);

    let p = TraceProbe::parse("r::__kmalloc (retval == 0) \"kmalloc failed!\"").unwrap();
    assert_eq!(
        (p.func(), p.format.as_str()),
        ("__kmalloc", "kmalloc failed!")
    );
    assert!(p.args.is_empty());

    let p = TraceProbe::parse("r:c:malloc \"%llx %-5lu %K %% %c\", retval, retval, arg1, arg2")
        .unwrap();
    assert_eq!(p.format, "%lx %-5lu %s %% %c");
    assert_eq!(
        p.args,
        [
            "(uint64)retval",
            "(uint64)retval",
            "ksym(arg0)",
            "(uint8)arg1"
        ]
    );

    let p = TraceProbe::parse("p::do_sys_open(int dfd, const char *name) \"%s\", name").unwrap();
    assert_eq!(p.args, ["str(arg1)"]);
    let p = TraceProbe::parse("t:block:block_rq_complete \"sectors=%d\", args->nr_sector");
    assert_eq!(p.unwrap().args, ["(int32)args.nr_sector"]);
    let p = TraceProbe::parse("u:pthread:pthread_create (arg4 != 0)").unwrap();
    assert_eq!(p.filter.as_deref(), Some("(arg3 != 0)"));
    assert_eq!(TraceProbe::parse("do_nanosleep").unwrap().format, "");

    for bad in [
        "t:sched:sched_switch(int x)",
        "c:malloc \"%d\"",
        "c:malloc \"%d\", arg1, arg2",
        "c:malloc \"%q\", arg1",
        "c:malloc (arg1 == 2",
        "c:malloc arg1",
    ] {
        let e = TraceProbe::parse(bad).unwrap_err();
        assert!(e.starts_with(&format!("error in probe '{bad}': ")), "{e}");
    }
    assert_eq!(
        split_top("a, f(b, c), \"x,y\""),
        ["a", "f(b, c)", "\"x,y\""]
    );
}
