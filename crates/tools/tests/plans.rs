//! Every plan of every tool, with every flag, compiles: against this
//! kernel's BTF and tracepoints, with kprobes and fentry taken as present
//! (they are missing here, but users' kernels have them). And the tables
//! agree with the scripts: one field name per printf argument, no slot
//! left unfilled, no flag that clashes with the options every tool has.

use scry_lang::env::{ElfSymbol, Env, TpField, UsdtProbe};
use scry_runtime::sysenv::SysEnv;
use scry_tools::generic;
use scry_tools::params::Params;
use scry_tools::spec::{Kind, Output, Tool};
use scry_tools::{select, template};

/// This machine, as if every probe kind were supported.
struct AnyKernel(SysEnv);

impl Env for AnyKernel {
    fn btf(&self) -> Option<&scry_btf::Btf> {
        self.0.btf()
    }
    fn tracepoints(&self, c: &str, e: &str) -> Vec<(String, String)> {
        self.0.tracepoints(c, e)
    }
    fn tracepoint_fields(&self, c: &str, e: &str) -> Option<Vec<TpField>> {
        self.0.tracepoint_fields(c, e)
    }
    fn kernel_functions(&self, p: &str) -> Vec<String> {
        self.0.kernel_functions(p)
    }
    fn resolve_binary(&self, t: &str) -> Result<String, String> {
        self.0.resolve_binary(t)
    }
    fn elf_symbols(&self, p: &str, s: &str) -> Result<Vec<ElfSymbol>, String> {
        self.0.elf_symbols(p, s)
    }
    fn usdt_probes(&self, p: &str) -> Result<Vec<UsdtProbe>, String> {
        self.0.usdt_probes(p)
    }
    fn ncpus(&self) -> u32 {
        self.0.ncpus()
    }
}

fn is_root() -> bool {
    unsafe { libc_geteuid() == 0 }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// A value for a flag in the tests.
fn sample(tool: &Tool, long: &str, kind: Kind) -> Params {
    let p = Params::new();
    match kind {
        Kind::Switch => p.switch(long),
        Kind::Uint | Kind::Int => p.int(long, 1234),
        Kind::Text => p.text(
            long,
            match (tool.name, long) {
                (_, "signal") => "TERM",
                (_, "errno") => "ENOENT",
                (_, "disk") => first_disk(),
                // Binaries with the functions traced.
                (_, "shared") => "/bin/bash",
                (_, "libc") => "libc",
                (_, "port" | "localport" | "remoteport") => "22,80",
                _ => "abc",
            },
        ),
        Kind::Texts => p.list(long, &specs(tool.name, long)[0]),
    }
}

/// A disk of this machine (for -d DISK).
fn first_disk() -> &'static str {
    let name = std::fs::read_dir("/sys/class/block")
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .unwrap_or_else(|| "vda".into());
    Box::leak(name.into_boxed_str())
}

/// Plans for other machines than this test's (older glibc, kernels
/// before or after a rename): they may not compile here, as long as
/// another plan of the tool does.
fn for_other_machines(tool: &str, plan: &str) -> bool {
    matches!(
        (tool, plan),
        ("threadsnoop", "uprobe-libpthread")
            | ("runqlen", "profile")
            | ("runqlen", "profile-nr_queued")
            // Kernels before folios (5.16), and before folio flags became
            // a struct (6.17).
            | ("cachestat", "kprobe-page")
            | ("cachestat", "tracepoint-flags-word")
    )
}

/// Probe specs for the generic tools' arguments: one set naming no kernel
/// function, one naming kernel functions (for the fentry and kprobe plans).
fn specs(tool: &str, arg: &str) -> Vec<Vec<&'static str>> {
    match (tool, arg) {
        ("funccount" | "stackcount", _) => vec![
            vec!["t:syscalls:sys_enter_getppid"],
            vec!["c:malloc"],
            vec!["vfs_read"],
        ],
        ("funclatency", _) => vec![vec!["c:malloc"], vec!["vfs_read"]],
        ("trace", _) => vec![
            vec![
                "t:syscalls:sys_enter_openat \"%s\", args->filename",
                "r:c:malloc (retval != 0) \"ptr %llx\", retval",
                "p:c:write (arg1 == 1) \"%d bytes\", arg3",
            ],
            vec!["r::vfs_read \"%d\", retval", "do_nanosleep"],
        ],
        ("argdist", "histogram") => vec![
            vec!["t:syscalls:sys_enter_read():u64:args->count"],
            vec!["r::vfs_read():int:$retval"],
        ],
        ("argdist", _) => vec![
            vec!["p:c:write(int fd, char *buf, size_t n):int,size_t:fd,n:fd==1"],
            vec!["r::vfs_read():u32:$PID:$latency > 1000"],
        ],
        _ => vec![vec![]],
    }
}

/// The arguments every flag set is tried with: none for the tools with a
/// fixed script, each set of probe specs for the generic ones.
fn bases(tool: &Tool) -> Vec<Params> {
    let mut bases = vec![Params::new()];
    for arg in generic::text_args(tool) {
        bases = specs(tool.name, arg.name)
            .iter()
            .map(|s| match arg.many {
                true => Params::new().list(arg.name, s),
                false => Params::new().text(arg.name, s[0]),
            })
            .collect();
    }
    if tool.name == "argdist" {
        bases = (0..2)
            .map(|i| {
                Params::new()
                    .list("count", &specs("argdist", "count")[i])
                    .list("histogram", &specs("argdist", "histogram")[i])
            })
            .collect();
    }
    bases
}

/// The flag sets tried: none, each flag alone, all of them together; each
/// over every base.
fn flag_sets(tool: &Tool) -> Vec<Params> {
    let mut sets = vec![Params::new()];
    let mut all = Params::new();
    for f in tool.flags {
        // A flag that checks the machine (tcpstates -Y: a journal) leaves
        // the script as it is.
        if f.effect.checks() {
            continue;
        }
        let one = sample(tool, f.long, f.kind);
        // stackcount's -U and -K exclude each other: -K goes in `all`;
        // so does any flag that excludes another (tcpconnect -d and -c).
        let exclusive = (tool.name, f.long) == ("stackcount", "user-stacks-only")
            || !f.effect.excludes().is_empty();
        if f.kind != Kind::Texts && !exclusive {
            all.values.extend(one.values.clone());
        }
        sets.push(one);
    }
    sets.push(all);
    let mut out = Vec::new();
    for base in bases(tool) {
        for set in &sets {
            let mut p = base.clone();
            p.values.extend(set.values.clone());
            out.push(p);
        }
    }
    out
}

#[test]
fn every_plan_compiles_with_every_flag() {
    if !is_root() {
        eprintln!("skipped: needs root (tracefs)");
        return;
    }
    let env = AnyKernel(SysEnv::new());
    let mut compiled = 0;
    for tool in scry_tools::all() {
        for params in flag_sets(tool) {
            let mut any = false;
            let mut failed = Vec::new();
            for plan in tool.plans {
                if select::excluded(tool, plan, &params).is_some() {
                    continue;
                }
                let script = select::script(tool, plan, &params, &env)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", tool.name, plan.name));
                assert!(!script.contains("{{"), "{}: {script}", plan.file);
                match scry_lang::compile(&script, &env, &select::options(tool, &params).unwrap()) {
                    Ok(_) => {
                        any = true;
                        compiled += 1;
                    }
                    Err(d) if for_other_machines(tool.name, plan.name) => failed.push(d),
                    Err(d) => panic!(
                        "{} plan {} with {:?}:\n{}\n{script}",
                        tool.name,
                        plan.name,
                        params.values,
                        scry_lang::diag::render_all(&d, plan.file, &script)
                    ),
                }
            }
            assert!(
                any || failed.is_empty(),
                "{}: no plan compiles with {:?}: {failed:?}",
                tool.name,
                params.values
            );
        }
    }
    assert!(compiled > 30);
}

#[test]
fn printf_arguments_are_named() {
    if !is_root() {
        eprintln!("skipped: needs root (tracefs)");
        return;
    }
    let env = AnyKernel(SysEnv::new());
    for tool in scry_tools::all() {
        let Output::Rows(rows) = &tool.output else {
            continue;
        };
        for plan in tool.plans {
            let params = Params::new();
            let script = select::script(tool, plan, &params, &env).unwrap();
            let c =
                match scry_lang::compile(&script, &env, &select::options(tool, &params).unwrap()) {
                    Ok(c) => c,
                    Err(_) if for_other_machines(tool.name, plan.name) => continue,
                    Err(d) => panic!("{}: {d:?}", plan.file),
                };
            let indexes = scry_tools::runner::printf_indexes(&c.events);
            let mut seen = vec![false; rows.events.len()];
            for (e, i) in c.events.iter().zip(&indexes) {
                let (Some(i), scry_lang::spec::EventSpec::Printf { args, format }) = (i, e) else {
                    continue;
                };
                let names = rows
                    .events
                    .get(*i)
                    .unwrap_or_else(|| panic!("{}: no names for printf {format:?}", plan.file));
                assert_eq!(names.len(), args.len(), "{}: {format:?}", plan.file);
                seen[*i] = true;
            }
            assert!(
                seen.iter().all(|s| *s),
                "{}: a named event never printed",
                plan.file
            );
        }
    }
}

#[test]
fn flags_are_unique_and_leave_the_common_options_alone() {
    for tool in scry_tools::all() {
        let mut shorts = vec!['v', 'h'];
        let mut longs = vec!["json", "verbose", "show", "plan", "help"];
        for f in tool.flags {
            if let Some(c) = f.short {
                assert!(!shorts.contains(&c), "{}: -{c} twice", tool.name);
                shorts.push(c);
            }
            assert!(
                !longs.contains(&f.long),
                "{}: --{} twice",
                tool.name,
                f.long
            );
            longs.push(f.long);
        }
        for p in tool.positionals {
            assert!(!longs.contains(&p.name), "{}: {} twice", tool.name, p.name);
        }
        assert!(!tool.plans.is_empty());
        assert!(template::slot_texts(tool, &Params::new()).is_ok());
    }
}

/// A fentry wildcard skips the compiler's clones (`vfs_coredump.cold`),
/// which have no BTF: `funccount 'vfs_*'` compiles on fentry kernels.
#[test]
fn fentry_wildcards_skip_functions_without_btf() {
    if !is_root() {
        eprintln!("skipped: needs root (kallsyms addresses)");
        return;
    }
    let env = AnyKernel(SysEnv::new());
    let all = env.kernel_functions("vfs_*");
    assert!(all.iter().any(|f| f == "vfs_read"), "{all:?}");
    let c = scry_lang::compile(
        "fentry:vfs_* { @[probe] = count(); }",
        &env,
        &scry_lang::spec::Options::default(),
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    let probes: Vec<&str> = c.programs.iter().map(|p| p.probe.as_str()).collect();
    assert!(probes.contains(&"fentry:vfs_read"), "{probes:?}");
    assert!(probes.iter().all(|p| !p.contains('.')), "{probes:?}");
    if all.iter().any(|f| f.contains('.')) {
        assert!(probes.len() < all.len());
    }
}
