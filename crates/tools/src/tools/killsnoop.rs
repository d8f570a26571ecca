//! killsnoop: kill() syscalls, one row each (the columns of BCC
//! libbpf-tools' `sigsnoop -k`, which Debian installs as killsnoop).

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "killsnoop",
    summary: "Trace signals sent with kill(): sender, signal, target and result",
    answers: "Who is sending signals to whom, and do they arrive?",
    flags: &[
        Flag::switch('x', "failed", "Show failed kill() calls only"),
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this sender process ID only",
            "filter",
            "pid == {}",
        ),
        Flag::value(
            's',
            "signal",
            "SIGNAL",
            Kind::Text,
            "Trace this signal only (a number or a name: 9, KILL, SIGKILL)",
            Effect::FilterWith {
                slot: "filter",
                cond: "args.sig == {}",
                convert: signal,
            },
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "killsnoop.bt",
        include_str!("../../tools/killsnoop.bt"),
        &[Need::Tracepoint("syscalls:sys_enter_kill")],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing kill() signals... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["pid", "comm", "sig", "tpid", "ret"]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("PID", "pid", -7),
            Column::new("COMM", "comm", -16),
            Column::new("SIG", "sig", -9),
            Column::new("TPID", "tpid", -7),
            Column::new("RESULT", "ret", -6),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool killsnoop", "trace all kill() signals"),
        ("scry tool killsnoop -x", "only show failed kill() calls"),
        (
            "scry tool killsnoop -p 181",
            "only trace signals sent by PID 181",
        ),
        ("scry tool killsnoop -s 9", "only trace signal 9 (SIGKILL)"),
    ],
};

/// `-x`: failed calls only (in user space, as BCC does).
fn finish(row: &mut Row, params: &Params) -> bool {
    !params.on("failed") || int_field(row, "ret") < 0
}

const SIGNALS: &[&str] = &[
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// A signal as a number: `9`, `KILL` or `SIGKILL`.
pub fn signal(text: &str) -> Result<String, String> {
    if let Ok(n) = text.parse::<u32>() {
        return Ok(n.to_string());
    }
    let name = text.trim_start_matches("SIG").to_ascii_uppercase();
    SIGNALS
        .iter()
        .position(|s| *s == name)
        .map(|i| (i + 1).to_string())
        .ok_or_else(|| format!("unknown signal '{text}'"))
}
