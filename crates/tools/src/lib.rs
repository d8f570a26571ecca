//! scry-tools: BCC's tool suite as scry scripts. Each tool is a short
//! script in scry's language (`tools/NAME.bt`, shown by
//! `scry tool --show NAME`) plus a table ([`spec::Tool`]): its flags with
//! BCC's names and what they do to the script, its probe plans in order of
//! preference (the first the running kernel supports is run), and its
//! output plan (BCC's columns and histograms, or one JSON object per event).
//!
//! ```no_run
//! use scry_tools::params::Params;
//! let tool = scry_tools::find("opensnoop").unwrap();
//! let env = scry_runtime::sysenv::SysEnv::new();
//! let params = Params::new().int("pid", 1234).switch("timestamp");
//! print!("{}", scry_tools::show(tool, &params, &env).unwrap());
//! let code = scry_tools::run(tool, &params, &env, &mut std::io::stdout());
//! ```

pub mod argspec;
pub mod bccstack;
pub mod block;
pub mod cexpr;
pub mod counts;
pub mod custom;
pub mod generic;
pub mod hists;
pub mod journal;
pub mod params;
pub mod probespec;
pub mod regex;
pub mod rows;
pub mod runner;
pub mod select;
pub mod spec;
pub mod stacks;
pub mod syscalls;
pub mod table;
pub mod tally;
pub mod targets;
pub mod template;
mod tools;
pub mod traceprobe;

use params::Params;
use scry_runtime::sysenv::SysEnv;
use spec::{Output, Tool};
use std::io::Write;

/// Every tool, in the order `scry tool` lists them.
pub fn all() -> &'static [&'static Tool] {
    ALL
}

static ALL: &[&Tool] = &[
    // Files and processes.
    &tools::opensnoop::TOOL,
    &tools::execsnoop::TOOL,
    &tools::exitsnoop::TOOL,
    &tools::statsnoop::TOOL,
    &tools::killsnoop::TOOL,
    &tools::threadsnoop::TOOL,
    &tools::syncsnoop::TOOL,
    &tools::filelife::TOOL,
    &tools::vfsstat::TOOL,
    &tools::bashreadline::TOOL,
    // Block I/O.
    &tools::biolatency::TOOL,
    &tools::biosnoop::TOOL,
    &tools::bitesize::TOOL,
    &tools::biopattern::TOOL,
    // CPU and scheduling.
    &tools::runqlat::TOOL,
    &tools::runqlen::TOOL,
    &tools::runqslower::TOOL,
    &tools::cpudist::TOOL,
    &tools::offcputime::TOOL,
    &tools::profile::TOOL,
    &tools::irqs::HARDIRQS,
    &tools::irqs::SOFTIRQS,
    // Network.
    &tools::tcpretrans::TOOL,
    &tools::tcpconnect::TOOL,
    &tools::tcpaccept::TOOL,
    &tools::tcplife::TOOL,
    &tools::tcpstates::TOOL,
    &tools::tcpdrop::TOOL,
    &tools::tcptop::TOOL,
    // Memory and more.
    &tools::oomkill::TOOL,
    &tools::capable::TOOL,
    &tools::cachestat::TOOL,
    &tools::gethostlatency::TOOL,
    &tools::syscount::TOOL,
    // The generic tools, with BCC's probe specs.
    &tools::funccount::TOOL,
    &tools::funclatency::TOOL,
    &tools::trace::TOOL,
    &tools::argdist::TOOL,
    &tools::stackcount::TOOL,
];

/// A tool by name.
pub fn find(name: &str) -> Option<&'static Tool> {
    all().iter().copied().find(|t| t.name == name)
}

/// The script that would run with these flags on this kernel (the first
/// plan whose needs are met), headed by a comment naming the plan.
pub fn show(tool: &'static Tool, params: &Params, env: &SysEnv) -> Result<String, String> {
    let plan = select::preferred(tool, params, env)
        .ok_or_else(|| format!("{}: no probe plan takes these flags", tool.name))?;
    let script = select::script(tool, plan, params, env)?;
    Ok(format!(
        "// {} — probe plan: {} ({})\n{script}",
        tool.name, plan.name, plan.file
    ))
}

/// Runs the chosen plan with its output plan's printer.
fn run_output(
    output: &'static Output,
    chosen: &mut select::Chosen,
    params: &mut Params,
    out: &mut dyn Write,
) -> Result<i32, String> {
    match output {
        Output::Rows(r) => {
            let mut p = rows::RowPrinter::new(r, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Hists(h) => {
            let mut p = hists::HistPrinter::new(h, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Counts(c) => {
            let mut p = counts::CountPrinter::new(c, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Table(t) => {
            if t.default_interval > 0 && !params.on("interval") {
                *params = params.clone().int("interval", t.default_interval as i64);
            }
            let mut p = table::TablePrinter::new(t, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Stacks(st) => {
            let mut p = stacks::StackPrinter::new(st, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Custom(c) => {
            if c.default_interval > 0 && !params.on("interval") {
                *params = params.clone().int("interval", c.default_interval as i64);
            }
            let mut p = custom::CustomPrinter::new(c, params);
            runner::run(chosen, params, &mut p, out)
        }
        Output::Printer(make) => {
            let mut p = make(params, &chosen.session);
            runner::run(chosen, params, p.as_mut(), out)
        }
        Output::Switch(flag, on, off) => {
            let which = if params.on(flag) { on } else { off };
            run_output(which, chosen, params, out)
        }
    }
}

/// Picks a plan, attaches, runs until Ctrl-C / -d / count; prints errors
/// on stderr (one line) and returns the exit code.
pub fn run(tool: &'static Tool, params: &Params, env: &SysEnv, out: &mut dyn Write) -> i32 {
    let mut chosen = match select::choose(tool, params, env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    if params.verbose {
        for (name, why) in &chosen.skipped {
            eprintln!("{}: plan {name} not used: {why}", tool.name);
        }
        eprintln!(
            "{}: using plan {} ({}): {}",
            tool.name,
            chosen.plan.name,
            chosen.plan.file,
            select::probes(&chosen.session).join(", ")
        );
    }
    let mut params = params.clone();
    let result = run_output(&tool.output, &mut chosen, &mut params, out);
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}: {e}", tool.name);
            1
        }
    }
}
