//! `scry tool ...`: BCC's tools. `scry tool` lists them, `scry tool NAME
//! [FLAGS]` runs one, `scry tool --show NAME [FLAGS]` prints the script it
//! would run. Each tool's flags are parsed by a clap parser generated from
//! its flag table (scry_tools::spec::Flag), so `--help` and the parser can
//! never disagree with what the tool does.

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use scry_runtime::sysenv::SysEnv;
use scry_tools::generic::text_args;
use scry_tools::params::{Param, Params};
use scry_tools::spec::{Kind, Tool};
use std::ffi::OsString;
use std::io::Write;

/// The parser of one tool, from its table.
pub fn command(tool: &Tool) -> Command {
    let mut examples = String::from("EXAMPLES:\n");
    let width = tool.examples.iter().map(|e| e.0.len()).max().unwrap_or(0);
    for (cmd, what) in tool.examples {
        examples.push_str(&format!("  {cmd:<width$}  # {what}\n"));
    }
    let mut cmd = Command::new(tool.name)
        .bin_name(format!("scry tool {}", tool.name))
        .about(tool.summary)
        .after_help(examples)
        .disable_version_flag(true);
    for f in tool.flags {
        let mut a = Arg::new(f.long).long(f.long).help(f.help);
        if let Some(c) = f.short {
            a = a.short(c);
        }
        if let Some(v) = f.value_name {
            a = a.value_name(v);
        }
        a = match f.kind {
            Kind::Switch => a.action(ArgAction::SetTrue),
            Kind::Uint => a.value_parser(value_parser!(u32)),
            Kind::Int => a.value_parser(value_parser!(i64)),
            Kind::Text => a.value_parser(value_parser!(String)),
            Kind::Texts => a
                .value_parser(value_parser!(String))
                .action(ArgAction::Append),
        };
        cmd = cmd.arg(a);
    }
    for (i, p) in tool.positionals.iter().enumerate() {
        cmd = cmd.arg(
            Arg::new(p.name)
                .index(i + 1)
                .help(p.help)
                .value_parser(value_parser!(u32)),
        );
    }
    for (i, t) in text_args(tool).iter().enumerate() {
        let a = Arg::new(t.name)
            .index(tool.positionals.len() + i + 1)
            .help(t.help)
            .required(true)
            .value_parser(value_parser!(String));
        cmd = cmd.arg(if t.many { a.num_args(1..) } else { a });
    }
    cmd.arg(
        Arg::new("json")
            .long("json")
            .action(ArgAction::SetTrue)
            .help("Print one JSON object per event (per interval for histograms)"),
    )
    .arg(
        Arg::new("verbose")
            .short('v')
            .long("verbose")
            .action(ArgAction::SetTrue)
            .help("Say which probe plan runs, and why others do not"),
    )
    .arg(
        Arg::new("show")
            .long("show")
            .action(ArgAction::SetTrue)
            .help("Print the script that would run, and exit"),
    )
    .arg(
        Arg::new("plan")
            .long("plan")
            .value_name("PLAN")
            .value_parser(tool.plans.iter().map(|p| p.name).collect::<Vec<_>>())
            .help("Use this probe plan only"),
    )
}

/// The flags of a tool's parsed command line.
pub fn params(tool: &Tool, m: &ArgMatches) -> Params {
    let mut p = Params::new();
    for f in tool.flags {
        let v = match f.kind {
            Kind::Switch => m.get_flag(f.long).then_some(Param::Switch),
            Kind::Uint => m.get_one::<u32>(f.long).map(|v| Param::Int(*v as i64)),
            Kind::Int => m.get_one::<i64>(f.long).map(|v| Param::Int(*v)),
            Kind::Text => m.get_one::<String>(f.long).map(|v| Param::Text(v.clone())),
            Kind::Texts => m
                .get_many::<String>(f.long)
                .map(|v| Param::List(v.cloned().collect())),
        };
        if let Some(v) = v {
            p.values.insert(f.long.to_string(), v);
        }
    }
    for pos in tool.positionals {
        if let Some(v) = m.get_one::<u32>(pos.name) {
            p.values.insert(pos.name.to_string(), Param::Int(*v as i64));
        }
    }
    for t in text_args(tool) {
        if let Some(v) = m.get_many::<String>(t.name) {
            let v: Vec<String> = v.cloned().collect();
            let v = match t.many {
                true => Param::List(v),
                false => Param::Text(v.concat()),
            };
            p.values.insert(t.name.to_string(), v);
        }
    }
    p.json = m.get_flag("json");
    p.verbose = m.get_flag("verbose");
    p.plan = m.get_one::<String>("plan").cloned();
    p
}

fn list() -> i32 {
    let mut out = std::io::stdout().lock();
    let width = scry_tools::all()
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "Tools (run: scry tool NAME [FLAGS]; script: scry tool --show NAME; help: scry tool NAME --help):"
    );
    for t in scry_tools::all() {
        let _ = writeln!(out, "  {:<width$}  {}", t.name, t.summary);
    }
    0
}

/// `scry tool ARGS...` (ARGS after the word `tool`).
pub fn main(mut argv: Vec<OsString>) -> i32 {
    let mut show = false;
    if argv.first().is_some_and(|a| a == "--show") {
        show = true;
        argv.remove(0);
    }
    let Some(name) = argv.first().map(|a| a.to_string_lossy().into_owned()) else {
        return list();
    };
    if !show && (name == "-h" || name == "--help" || name == "--list" || name == "-l") {
        return list();
    }
    let Some(tool) = scry_tools::find(&name) else {
        eprintln!("ERROR: no tool named '{name}' (scry tool lists them)");
        return 1;
    };
    let matches = match command(tool).try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let params = params(tool, &matches);
    let env = SysEnv::new();
    if show || matches.get_flag("show") {
        return match scry_tools::show(tool, &params, &env) {
            Ok(s) => {
                print!("{s}");
                0
            }
            Err(e) => {
                eprintln!("ERROR: {e}");
                1
            }
        };
    }
    scry_runtime::loader::prewarm();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    scry_tools::run(tool, &params, &env, &mut out)
}
