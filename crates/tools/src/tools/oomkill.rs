//! oomkill: out-of-memory kills, one sentence each, as BCC prints them:
//! the task that triggered the kill, the victim, pages, and the load
//! average. Through the `oom:mark_victim` tracepoint "pages" is the
//! victim's size (total_vm), not the OOM control's total (kprobe/fentry).

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "oomkill",
    summary: "Trace out-of-memory kills: who triggered them, who was killed",
    answers: "Which process did the OOM killer kill, and who ran out of memory?",
    flags: &[Flag::DURATION],
    positionals: &[],
    slots: &[],
    plans: &[
        Plan::new(
            "fentry",
            "oomkill-fentry.bt",
            include_str!("../../tools/oomkill-fentry.bt"),
            &[Need::Fentry, Need::Btf],
        ),
        Plan::new(
            "kprobe",
            "oomkill.bt",
            include_str!("../../tools/oomkill.bt"),
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "oomkill-tp.bt",
            include_str!("../../tools/oomkill-tp.bt"),
            &[Need::Tracepoint("oom:mark_victim")],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing OOM kills... Ctrl-C to stop.",
        announce: true,
        events: &[&["pid", "comm", "victim_pid", "victim_comm", "pages"]],
        // One sentence, no header; --json has the fields.
        columns: &[Column::new("", "line", 0)],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[("scry tool oomkill", "trace OOM kills")],
};

/// The sentence, with the load average read now (as BCC does).
fn finish(row: &mut Row, _: &Params) -> bool {
    let text = |name| field(row, name).map_or(String::new(), Cell::text);
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let line = format!(
        "{} Triggered by PID {} (\"{}\"), OOM kill of PID {} (\"{}\"), {} pages, loadavg: {}",
        text("time"),
        text("pid"),
        text("comm"),
        text("victim_pid"),
        text("victim_comm"),
        text("pages"),
        loadavg.trim_end()
    );
    set_field(row, "loadavg", Cell::Text(loadavg.trim_end().to_string()));
    set_field(row, "line", Cell::Text(line));
    true
}
