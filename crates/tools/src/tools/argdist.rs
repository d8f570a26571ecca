//! argdist: BCC's argdist. Each `-C` specifier counts the values of its
//! expressions (a frequency table), each `-H` specifier makes a log2
//! histogram of one; every interval (1 second by default) the tables are
//! printed in BCC's layout, or as one JSON object, and cleared (unless
//! `-c`). Specifiers are parsed by [`crate::argspec`], printed by
//! [`super::argdist_tables`].

use crate::argspec::ArgSpec;
use crate::generic::{self, Flavor};
use crate::params::Params;
use crate::spec::*;
use scry_lang::env::Env;

pub static TOOL: Tool = Tool {
    name: "argdist",
    summary: "Summarize function arguments or return values as counts or histograms",
    answers:
        "Which argument or return values does a function see, how often, in what distribution?",
    flags: &[
        generic::PID,
        Flag::value(
            't',
            "tid",
            "TID",
            Kind::Uint,
            "Trace this thread ID only",
            Effect::Output,
        ),
        Flag::value(
            'i',
            "interval",
            "INTERVAL",
            Kind::Uint,
            "Output interval, in seconds (default 1)",
            Effect::Output,
        ),
        Flag::DURATION,
        Flag::value(
            'n',
            "number",
            "COUNT",
            Kind::Uint,
            "Number of outputs",
            Effect::Output,
        ),
        Flag::switch(
            'c',
            "cumulative",
            "Do not clear histograms and counts at each interval",
        ),
        Flag::value(
            'T',
            "top",
            "TOP",
            Kind::Uint,
            "Number of top results to show (counts only)",
            Effect::Output,
        ),
        Flag::value(
            'H',
            "histogram",
            "SPECIFIER",
            Kind::Texts,
            "Probe specifier to make a histogram of (see -C)",
            Effect::Output,
        ),
        Flag::value(
            'C',
            "count",
            "SPECIFIER",
            Kind::Texts,
            "Probe specifier to count values of: {p,r,t,u}:{[lib],category}:func(signature)[:type[,type...]:expr[,expr...][:filter]][#label] (r: may use $retval, $entry(param), $latency)",
            Effect::Output,
        ),
        Flag::string_size('z'),
        Flag::INCLUDE,
    ],
    positionals: &[],
    slots: &[],
    plans: &generic::plans(generate, kernel_functions, &[]),
    output: Output::Printer(super::argdist_tables::printer),
    limits: Limits {
        max_strlen: 80,
        ..Limits::DEFAULT
    },
    examples: &[
        (
            "scry tool argdist -H 't:kmem:kmalloc():size_t:args->bytes_req'",
            "histogram of kmalloc request sizes (any kernel: a tracepoint)",
        ),
        (
            "scry tool argdist -H 'p::__kmalloc_noprof(u64 size):u64:size'",
            "the same through a kprobe (__kmalloc before Linux 6.10)",
        ),
        (
            "scry tool argdist -p 1005 -C 'p:c:malloc(size_t size):size_t:size:size==16'",
            "malloc(16) calls of process 1005",
        ),
        (
            "scry tool argdist -C 'r:c:gets():char*:$retval#snooped strings'",
            "strings returned by gets()",
        ),
        (
            "scry tool argdist -C 'p:c:write(int fd):int:fd' -T 5",
            "the 5 busiest fds written to",
        ),
        (
            "scry tool argdist -H 'r:c:read()'",
            "histogram of read()'s return values",
        ),
        (
            "scry tool argdist -H 't:block:block_rq_complete():u32:args->nr_sector'",
            "sectors of completed block I/Os",
        ),
        (
            "scry tool argdist -C 'r::vfs_read():u32:$PID:$latency > 100000'",
            "processes with reads over 0.1 ms",
        ),
    ],
};

/// The specifiers: counts first, then histograms, as BCC orders them.
pub fn specs(params: &Params) -> Result<Vec<ArgSpec>, String> {
    let counts = params.get_list("count").into_iter().map(|s| (s, false));
    let hists = params.get_list("histogram").into_iter().map(|s| (s, true));
    let all: Vec<ArgSpec> = counts
        .chain(hists)
        .map(|(s, h)| ArgSpec::parse(&s, h))
        .collect::<Result<_, _>>()?;
    match all.is_empty() {
        true => Err("at least one specifier (-C or -H) is required".into()),
        false => Ok(all),
    }
}

fn kernel_functions(params: &Params) -> bool {
    specs(params).is_ok_and(|v| v.iter().any(|s| s.spec.is_kernel_function()))
}

fn generate(params: &Params, env: &dyn Env, flavor: Flavor) -> Result<String, String> {
    let conds = generic::filters(params);
    let mut s =
        String::from("// argdist: counts (@pN[values]) and histograms (@pN) of BCC specifiers\n");
    for (i, spec) in specs(params)?.iter().enumerate() {
        s.push_str(&format!("\n// {}\n", spec.raw));
        s.push_str(&spec.script(i, &conds, env, flavor)?);
    }
    Ok(s)
}
