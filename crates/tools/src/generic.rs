//! Plans whose script is made from the arguments. BCC's generic tools
//! (funccount, funclatency, trace, argdist, stackcount) take probe specs
//! such as `vfs_read`, `t:sched:sched_switch` or `c:malloc` and build a
//! script from them. Kernel functions are reached with fentry where the
//! kernel has it, else with kprobes; tracepoints, uprobes and USDT probes
//! are attached as given. So every generic tool has the same three plans,
//! and `scry tool --show` prints the script made for the plan chosen.

use crate::params::Params;
use crate::spec::{Effect, Flag, Kind, Need, Plan, Tool};
use scry_lang::env::Env;

/// A text argument of a generic tool, after its integer positionals:
/// funccount's pattern (one), trace's probes (one or more).
pub struct TextArg {
    pub name: &'static str,
    pub help: &'static str,
    /// One or more (a list), rather than exactly one.
    pub many: bool,
}

/// The text arguments of a tool (none unless its plans are generated).
pub fn text_args(tool: &Tool) -> &'static [TextArg] {
    tool.plans
        .iter()
        .find_map(|p| p.generated)
        .map_or(&[], |g| g.args)
}

/// How a plan attaches to kernel functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `fentry:` / `fexit:`.
    Fentry,
    /// `kprobe:` / `kretprobe:`.
    Kprobe,
    /// The specs name no kernel function.
    Direct,
}

/// Makes the script from the tool's arguments, for a plan's flavor.
pub type Generate = fn(&Params, &dyn Env, Flavor) -> Result<String, String>;

/// What a generated plan is made of.
#[derive(Clone, Copy)]
pub struct Generated {
    pub generate: Generate,
    /// Whether the arguments name kernel functions (false when they do not
    /// parse: generating the script then says what is wrong).
    pub kernel_functions: fn(&Params) -> bool,
    pub flavor: Flavor,
    /// The tool's text arguments (the same in each of its plans).
    pub args: &'static [TextArg],
}

impl Generated {
    /// Why this plan does not fit the arguments, if it does not. Such a
    /// plan says nothing about the kernel, so it is left out of the error
    /// when no plan runs.
    pub fn excluded(&self, params: &Params) -> Option<&'static str> {
        match (self.flavor, (self.kernel_functions)(params)) {
            (Flavor::Direct, true) => Some("kernel functions need fentry or kprobes"),
            (Flavor::Fentry | Flavor::Kprobe, false) => Some("no kernel function to attach to"),
            _ => None,
        }
    }
}

const fn plan(name: &'static str, needs: &'static [Need], g: Generated, flavor: Flavor) -> Plan {
    Plan {
        generated: Some(Generated { flavor, ..g }),
        ..Plan::new(name, "generated", "", needs)
    }
}

/// `-p PID`, as every generic tool spells it: the scripts are generated
/// with the pid in them.
pub const PID: Flag = Flag::value(
    'p',
    "pid",
    "PID",
    Kind::Uint,
    "Trace this process ID only",
    Effect::Output,
);

/// `-i INTERVAL` of funccount, funclatency and stackcount.
pub const INTERVAL: Flag = Flag::value(
    'i',
    "interval",
    "INTERVAL",
    Kind::Uint,
    "Summary interval, in seconds",
    Effect::Output,
);

/// The plans of a generic tool, in order of preference: fentry, kprobe
/// (for specs naming kernel functions), direct (for the others).
pub const fn plans(
    generate: Generate,
    kernel_functions: fn(&Params) -> bool,
    args: &'static [TextArg],
) -> [Plan; 3] {
    let g = Generated {
        generate,
        kernel_functions,
        flavor: Flavor::Direct,
        args,
    };
    [
        plan("fentry", &[Need::Fentry], g, Flavor::Fentry),
        plan("kprobe", &[Need::Kprobes], g, Flavor::Kprobe),
        plan("direct", &[], g, Flavor::Direct),
    ]
}

/// A probe block: attach points (one per line), an optional predicate made
/// of `conds` joined with `&&`, and the body's statements.
pub fn block(points: &[String], conds: &[String], body: &[String]) -> String {
    let mut s = points.join(",\n");
    s.push('\n');
    let conds: Vec<&String> = conds.iter().filter(|c| !c.is_empty()).collect();
    if !conds.is_empty() {
        let joined: Vec<&str> = conds.iter().map(|c| c.as_str()).collect();
        s.push_str(&format!("/{}/\n", joined.join(" && ")));
    }
    s.push_str("{\n");
    for stmt in body {
        s.push_str(&format!("\t{stmt}\n"));
    }
    s.push_str("}\n");
    s
}

/// The common filters of the generic tools: `-p PID` (process), `-L`/`-t`
/// TID (thread), `-c CPU`, as predicate conditions.
pub fn filters(params: &Params) -> Vec<String> {
    let mut conds = Vec::new();
    if let Some(p) = params.get_int("pid") {
        conds.push(format!("pid == {p}"));
    }
    if let Some(t) = params.get_int("tid") {
        conds.push(format!("tid == {t}"));
    }
    if let Some(c) = params.get_int("cpu") {
        conds.push(format!("cpu == {c}"));
    }
    conds
}
