//! funccount: calls of the functions, tracepoints or USDT probes matching
//! a BCC pattern (`vfs_*`, `c:malloc`, `t:sched:sched_fork`, `u:lib:probe`),
//! counted in a map keyed by probe and printed as BCC's `FUNC COUNT` table
//! every interval and at the end.

use crate::generic::{self, Flavor, TextArg};
use crate::params::Params;
use crate::probespec::ProbeSpec;
use crate::runner::{clock_time, Printer};
use crate::spec::*;
use crate::{tally, targets};
use scry_lang::env::Env;
use scry_output::{json_string, Value};
use scry_runtime::session::Session;
use std::io::Write;

/// BCC's positional argument.
const ARGS: &[TextArg] = &[TextArg {
    name: "pattern",
    help: "What to count: func, lib:func, /path:func, p:lib:func, t:cat:event, u:lib:probe",
    many: false,
}];

pub static TOOL: Tool = Tool {
    name: "funccount",
    summary: "Count calls of functions, tracepoints and USDT probes matching a pattern",
    answers: "Which functions (kernel, user, tracepoints, USDT) are called, and how often?",
    flags: &[
        generic::PID,
        generic::INTERVAL,
        Flag::DURATION,
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch(
            'r',
            "regexp",
            "Use regular expressions (default: '*' wildcards only)",
        ),
        Flag::value(
            'c',
            "cpu",
            "CPU",
            Kind::Uint,
            "Trace this CPU only",
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
            "scry tool funccount 'vfs_*'",
            "count kernel functions starting with vfs_",
        ),
        (
            "scry tool funccount -r '^vfs.*'",
            "the same, with a regular expression",
        ),
        (
            "scry tool funccount -Ti 5 'vfs_*'",
            "print every 5 seconds, with timestamps",
        ),
        (
            "scry tool funccount -d 10 c:malloc",
            "count malloc() calls in libc for 10 seconds",
        ),
        (
            "scry tool funccount t:sched:sched_fork",
            "count the sched_fork tracepoint",
        ),
        (
            "scry tool funccount -p 185 u:node:gc*",
            "count GC USDT probes of node, PID 185",
        ),
        (
            "scry tool funccount ./test:read*",
            "count read* calls in the ./test binary",
        ),
    ],
};

fn spec(params: &Params) -> Result<ProbeSpec, String> {
    ProbeSpec::parse_pattern(params.get_text("pattern").unwrap_or_default())
}

fn kernel_functions(params: &Params) -> bool {
    spec(params).is_ok_and(|s| s.is_kernel_function())
}

fn generate(params: &Params, env: &dyn Env, flavor: Flavor) -> Result<String, String> {
    let spec = spec(params)?;
    let points = targets::points(&spec, env, flavor, params.on("regexp"))?;
    let pattern = params.get_text("pattern").unwrap_or_default();
    Ok(format!(
        "// funccount: calls of {pattern}, by function\n\n{}",
        generic::block(
            &points,
            &generic::filters(params),
            &["@counts[probe] = count();".to_string()]
        )
    ))
}

fn printer(params: &Params, session: &Session) -> Box<dyn Printer> {
    let pattern = params.get_text("pattern").unwrap_or_default();
    Box::new(Counter {
        params: params.clone(),
        tracing: tally::tracing_line(session, pattern),
    })
}

struct Counter {
    params: Params,
    tracing: String,
}

fn func(key: &Option<Value>) -> String {
    key.as_ref()
        .map_or(String::new(), |k| targets::display(&k.to_text()))
}

impl Printer for Counter {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        tally::announce(self.params.json, &self.tracing, out)
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let counts = tally::counts(session, "@counts", false)?;
        if self.params.json {
            let items: Vec<String> = counts
                .iter()
                .map(|(k, c)| format!("{{\"func\": {}, \"count\": {c}}}", json_string(&func(k))))
                .collect();
            return Ok(format!(
                "{{\"time\": \"{}\", \"counts\": [{}]}}\n",
                clock_time(),
                items.join(", ")
            ));
        }
        let mut s = tally::interval_heading(self.params.on("timestamp"));
        s.push_str(&format!("{:<36} {:>8}\n", "FUNC", "COUNT"));
        for (k, c) in &counts {
            s.push_str(&format!("{:<36} {c:>8}\n", func(k)));
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
