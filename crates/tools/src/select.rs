//! Picking the probe plan: the first of a tool's plans whose needs the
//! running kernel meets, that compiles, loads and attaches. A tool never
//! runs attached to nothing: when no plan works, the error says why, in one
//! line.

use crate::params::Params;
use crate::spec::{Need, Plan, Tool};
use crate::template;
use scry_lang::env::Env;
use scry_lang::spec::Options;
use scry_runtime::session::Session;
use scry_runtime::sysenv::SysEnv;

/// The plan that runs, attached.
pub struct Chosen {
    pub plan: &'static Plan,
    /// The script as run (slots filled in).
    pub script: String,
    pub session: Session,
    /// Plans passed over, with the reason.
    pub skipped: Vec<(&'static str, String)>,
}

/// Why `need` is not met here, if it is not.
fn unmet(need: Need, env: &SysEnv) -> Option<String> {
    let f = env.features();
    match need {
        Need::Fentry if !env.fentry_supported() => Some(scry_runtime::features::missing_message(
            scry_runtime::features::Feature::Fentry,
        )),
        Need::Kprobes if !f.kprobes => Some(scry_runtime::features::missing_message(
            scry_runtime::features::Feature::Kprobes,
        )),
        Need::Btf if !f.btf => Some(scry_runtime::features::missing_message(
            scry_runtime::features::Feature::Btf,
        )),
        Need::Tracepoint(tp) => {
            let (cat, ev) = tp.split_once(':').unwrap_or(("", tp));
            env.tracepoint_fields(cat, ev)
                .is_none()
                .then(|| format!("tracepoint {tp} does not exist here"))
        }
        _ => None,
    }
}

/// Why `plan` is passed over before trying it, if it is.
pub fn excluded(tool: &Tool, plan: &Plan, params: &Params) -> Option<String> {
    if let Some(forced) = &params.plan {
        if forced != plan.name {
            return Some(format!("not the plan asked for (--plan {forced})"));
        }
    }
    if let Some(f) = plan.without.iter().find(|f| params.on(f)) {
        return Some(format!("cannot honour {}", flag_name(tool, f)));
    }
    if !plan.only_with.is_empty() && !plan.only_with.iter().any(|f| params.on(f)) {
        let names: Vec<String> = plan.only_with.iter().map(|f| flag_name(tool, f)).collect();
        return Some(format!("only for {}", names.join(", ")));
    }
    plan.generated
        .and_then(|g| g.excluded(params))
        .map(str::to_string)
}

/// Whether `plan` does not fit the probe specs given (not a kernel matter).
fn misfit(plan: &Plan, params: &Params) -> bool {
    plan.generated.is_some_and(|g| g.excluded(params).is_some())
}

/// `-P` (or `--pids` when the flag has no short name).
pub(crate) fn flag_name(tool: &Tool, long: &str) -> String {
    match tool.flags.iter().find(|f| f.long == long) {
        Some(f) => match f.short {
            Some(c) => format!("-{c}"),
            None => format!("--{}", f.long),
        },
        None => long.to_string(),
    }
}

/// The largest string size `-z`/`-Z` may ask for.
const MAX_STRING_SIZE: i64 = 4096;

/// The compiler options for a tool with these flags.
pub fn options(tool: &Tool, params: &Params) -> Result<Options, String> {
    let max_strlen = match params.get_int("string-size") {
        None => tool.limits.max_strlen,
        Some(n) if (1..=MAX_STRING_SIZE).contains(&n) => n as u32,
        Some(n) => {
            return Err(format!(
                "{}: {n}: the string size must be between 1 and {MAX_STRING_SIZE}",
                flag_name(tool, "string-size")
            ))
        }
    };
    Ok(Options {
        max_strlen,
        map_entries: tool.limits.map_entries,
        ..Options::default()
    })
}

/// The script `plan` would run with these flags (made from the arguments
/// for the generic tools, which read the machine for that).
pub fn script(tool: &Tool, plan: &Plan, params: &Params, env: &dyn Env) -> Result<String, String> {
    if let Some(g) = plan.generated {
        return (g.generate)(params, env, g.flavor);
    }
    let mut slots = template::slot_texts(tool, params)?;
    for (name, text) in plan.set {
        slots.insert(name, text.to_string());
    }
    template::expand(plan.script, &slots).map_err(|e| format!("{}: {e}", plan.file))
}

/// The first line of a rendered diagnostic, without the file name.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.find(": error: ") {
        Some(i) => line[i + 2..].to_string(),
        None => line.to_string(),
    }
}

/// A plan that runs whatever the kernel (the probe specs of a generic tool
/// name no kernel function): its failure is the user's to fix, not the
/// kernel's.
fn kernel_free(plan: &Plan) -> bool {
    plan.generated
        .is_some_and(|g| g.flavor == crate::generic::Flavor::Direct)
}

/// The plan that would run (for `--show`): the first one not excluded
/// whose needs are met and whose script compiles here (loading is not
/// tried), else the first whose needs are met, else the first not
/// excluded.
pub fn preferred(tool: &Tool, params: &Params, env: &SysEnv) -> Option<&'static Plan> {
    let usable: Vec<&'static Plan> = tool
        .plans
        .iter()
        .filter(|p| excluded(tool, p, params).is_none())
        .collect();
    let met: Vec<&'static Plan> = usable
        .iter()
        .copied()
        .filter(|p| p.needs.iter().all(|n| unmet(*n, env).is_none()))
        .collect();
    let opts = options(tool, params).ok()?;
    let compiles = |p: &&'static Plan| {
        script(tool, p, params, env).is_ok_and(|s| scry_lang::compile(&s, env, &opts).is_ok())
    };
    met.iter()
        .find(|p| compiles(p))
        .or(met.first())
        .or(usable.first())
        .copied()
}

/// Tries the plans in order; attaches the first that works.
pub fn choose(tool: &'static Tool, params: &Params, env: &SysEnv) -> Result<Chosen, String> {
    let opts = options(tool, params).map_err(|e| format!("{}: {e}", tool.name))?;
    let mut skipped = Vec::new();
    for plan in tool.plans {
        if let Some(why) = excluded(tool, plan, params) {
            skipped.push((plan.name, why));
            continue;
        }
        if let Some(why) = plan.needs.iter().find_map(|n| unmet(*n, env)) {
            skipped.push((plan.name, why));
            continue;
        }
        let script = script(tool, plan, params, env).map_err(|e| format!("{}: {e}", tool.name))?;
        let compiled = match scry_lang::compile(&script, env, &opts) {
            Ok(c) => c,
            Err(diags) => {
                let text = scry_lang::diag::render_all(&diags, plan.file, &script);
                skipped.push((plan.name, first_line(&text)));
                continue;
            }
        };
        let mut session = match Session::load(compiled, env, plan.file, &script) {
            Ok(s) => s,
            Err(e) => {
                skipped.push((plan.name, first_line(&e.to_string())));
                continue;
            }
        };
        if let Err(e) = session.attach() {
            skipped.push((plan.name, first_line(&e.to_string())));
            continue;
        }
        return Ok(Chosen {
            plan,
            script,
            session,
            skipped,
        });
    }
    // Plans that do not fit the probe specs say nothing about the kernel.
    let tried: Vec<(&(&str, String), &Plan)> = skipped
        .iter()
        .zip(tool.plans)
        .filter(|(_, plan)| !misfit(plan, params))
        .collect();
    if let [((_, why), plan)] = tried.as_slice() {
        if kernel_free(plan) {
            let why = why.strip_prefix("error: ").unwrap_or(why);
            return Err(format!("{}: {why}", tool.name));
        }
    }
    let reasons: Vec<String> = tried
        .iter()
        .map(|((name, why), _)| format!("{name}: {why}"))
        .collect();
    Err(format!(
        "{}: cannot run on this kernel ({})",
        tool.name,
        reasons.join("; ")
    ))
}

/// The probes of a compiled plan, for `-v`.
pub fn probes(session: &Session) -> Vec<String> {
    let mut v: Vec<String> = session
        .compiled
        .programs
        .iter()
        .map(|p| p.probe.clone())
        .collect();
    v.dedup();
    v
}
