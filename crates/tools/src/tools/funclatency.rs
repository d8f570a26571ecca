//! funclatency: the time from entry to return of kernel or user functions
//! matching a BCC pattern (`vfs_read`, `c:read`, `/path:func*`), as a log2
//! histogram in nsecs (`-u` usecs, `-m` msecs), one per function with `-F`
//! (and per process for user functions traced without `-p`, as BCC does),
//! then BCC's `avg = ..., total: ..., count: ...` line. Only the innermost
//! of nested calls is timed, unless `-l LEVEL` ([`super::funclatency_level`]).

use crate::generic::{self, Flavor, TextArg};
use crate::params::Params;
use crate::probespec::{ProbeSpec, Type};
use crate::runner::{clock_time, Printer};
use crate::spec::*;
use crate::{tally, targets};
use scry_lang::env::Env;
use scry_output::{bcc_log2_json, bcc_log2_text, json_string, Value};
use scry_runtime::session::Session;
use std::io::Write;

/// BCC's positional argument.
const ARGS: &[TextArg] = &[TextArg {
    name: "pattern",
    help: "Functions to time: func (kernel), lib:func or /path:func (user), with '*'",
    many: false,
}];

pub static TOOL: Tool = Tool {
    name: "funclatency",
    summary: "Time kernel or user functions and print their latency as a histogram",
    answers: "How long do calls of this kernel or library function take?",
    flags: &[
        generic::PID,
        generic::INTERVAL,
        Flag::DURATION,
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch('u', "microseconds", "Microsecond histogram"),
        Flag::switch('m', "milliseconds", "Millisecond histogram"),
        Flag::switch('F', "function", "Show a separate histogram per function"),
        Flag::switch(
            'r',
            "regexp",
            "Use regular expressions (default: '*' wildcards only)",
        ),
        Flag::value(
            'l',
            "level",
            "LEVEL",
            Kind::Uint,
            "Time the outermost LEVEL levels of nested or recursive calls",
            Effect::Output,
        ),
    ],
    positionals: &[],
    slots: &[],
    plans: &generic::plans(generate, kernel_functions, ARGS),
    output: Output::Printer(printer),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool funclatency do_sys_open",
            "time the do_sys_open() kernel function",
        ),
        (
            "scry tool funclatency c:read",
            "time the read() C library function",
        ),
        (
            "scry tool funclatency -u vfs_read",
            "time vfs_read(), in microseconds",
        ),
        (
            "scry tool funclatency -m do_nanosleep",
            "time do_nanosleep(), in milliseconds",
        ),
        (
            "scry tool funclatency -i 2 -d 10 c:open",
            "every 2 seconds, for 10 seconds",
        ),
        (
            "scry tool funclatency -p 181 c:malloc",
            "time malloc() in process 181 only",
        ),
        (
            "scry tool funclatency -F 'c:*printf'",
            "one histogram per printf function",
        ),
        (
            "scry tool funclatency -l 3 /path/to/prog:walk",
            "time the outermost 3 levels of recursive walk() calls",
        ),
    ],
};

fn spec(params: &Params) -> Result<ProbeSpec, String> {
    let text = params.get_text("pattern").unwrap_or_default();
    let spec = ProbeSpec::parse_pattern(text)?;
    match spec.kind {
        Type::Entry => Ok(spec),
        _ => Err(format!(
            "'{text}' is not a function: funclatency times functions only"
        )),
    }
}

fn kernel_functions(params: &Params) -> bool {
    spec(params).is_ok_and(|s| s.is_kernel_function())
}

/// The histogram's unit (its map's name) and the divisor from nsecs.
fn unit(params: &Params) -> (&'static str, u64) {
    if params.on("milliseconds") {
        ("msecs", 1_000_000)
    } else if params.on("microseconds") {
        ("usecs", 1000)
    } else {
        ("nsecs", 1)
    }
}

/// BCC keys the histogram by function with -F, and by function and
/// process for user functions traced in every process.
fn key(params: &Params, spec: &ProbeSpec) -> String {
    let by_pid = spec.is_user();
    match params.on("function") || (by_pid && !params.on("pid")) {
        true if by_pid => "[probe, pid]".into(),
        true => "[probe]".into(),
        false => String::new(),
    }
}

fn generate(params: &Params, env: &dyn Env, flavor: Flavor) -> Result<String, String> {
    let spec = spec(params)?;
    let regex = params.on("regexp");
    let entry = targets::points(&spec, env, flavor, regex)?;
    let exit = targets::points(&spec.with_kind(Type::Return), env, flavor, regex)?;
    let (unit, div) = unit(params);
    let value = match div {
        1 => "$ns".to_string(),
        d => format!("$ns / {d}"),
    };
    let pattern = params.get_text("pattern").unwrap_or_default();
    // What is recorded of a call that took `$ns`.
    let record = [
        format!("@{unit}{} = hist({value});", key(params, &spec)),
        "@total_ns = sum($ns);".into(),
        "@calls = count();".into(),
    ];
    let head = format!("// funclatency: time {pattern}, in {unit}");
    let filters = generic::filters(params);
    if let Some(level) = params.get_int("level").filter(|l| *l > 1) {
        let blocks = super::funclatency_level::blocks(&entry, &exit, &filters, &record, level);
        return Ok(format!(
            "{head}; the outermost {level} levels of nested calls\n\n{blocks}"
        ));
    }
    let mut body = vec!["$ns = nsecs - @start[tid];".to_string()];
    body.extend(record);
    body.push("delete(@start[tid]);".into());
    Ok(format!(
        "{head}\n\n{}\n{}",
        generic::block(&entry, &filters, &["@start[tid] = nsecs;".into()]),
        generic::block(&exit, &["@start[tid]".into()], &body),
    ))
}

fn printer(params: &Params, session: &Session) -> Box<dyn Printer> {
    let pattern = params.get_text("pattern").unwrap_or_default();
    Box::new(Latency {
        params: params.clone(),
        tracing: tally::tracing_line(session, pattern),
    })
}

struct Latency {
    params: Params,
    tracing: String,
}

/// BCC's section name: `name`, or `name [pid]` for user functions.
fn section(key: &Option<Value>) -> (String, Option<String>) {
    let parts = tally::key_parts(key);
    let func = parts
        .first()
        .map_or(String::new(), |p| targets::display(&p.to_text()));
    (func, parts.get(1).map(Value::to_text))
}

impl Printer for Latency {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        tally::announce(self.params.json, &self.tracing, out)
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let (unit, div) = unit(&self.params);
        let hists = tally::hists(session, &format!("@{unit}"), false)?;
        let total_ns = tally::total(session, "@total_ns", false)?;
        let count = tally::total(session, "@calls", false)?;
        let total = (total_ns as f64 / div as f64) as u64;
        let avg = if count > 0 {
            total as f64 / count as f64
        } else {
            0.0
        } as u64;
        if self.params.json {
            let items: Vec<String> = hists
                .iter()
                .map(|(k, slots)| {
                    let mut f = Vec::new();
                    if k.is_some() {
                        let (func, pid) = section(k);
                        f.push(format!("\"func\": {}", json_string(&func)));
                        f.extend(pid.map(|p| format!("\"pid\": {p}")));
                    }
                    f.push(format!("\"buckets\": {}", bcc_log2_json(slots)));
                    format!("{{{}}}", f.join(", "))
                })
                .collect();
            return Ok(format!(
                "{{\"time\": \"{}\", \"unit\": \"{unit}\", \"histograms\": [{}], \"avg\": {avg}, \"total\": {total}, \"count\": {count}}}\n",
                clock_time(),
                items.join(", ")
            ));
        }
        let mut s = tally::interval_heading(self.params.on("timestamp"));
        for (k, slots) in &hists {
            if k.is_some() {
                let (func, pid) = section(k);
                let pid = pid.map_or(String::new(), |p| format!(" [{p}]"));
                s.push_str(&format!("\nFunction = {func}{pid}\n"));
            }
            s.push_str(&bcc_log2_text(slots, unit));
        }
        if count > 0 {
            s.push_str(&format!(
                "\navg = {avg} {unit}, total: {total} {unit}, count: {count}\n\n"
            ));
        }
        Ok(s)
    }

    fn ticks(&self) -> bool {
        true
    }

    fn end(&mut self) -> String {
        tally::detaching(self.params.json)
    }
}
