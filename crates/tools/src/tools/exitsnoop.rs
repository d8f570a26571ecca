//! exitsnoop: process exits, one row each (BCC libbpf-tools' columns).

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "exitsnoop",
    summary: "Trace process exits: age and exit code or fatal signal",
    answers: "Which processes end, after how long, and why (exit code, signal, core dump)?",
    flags: &[
        Flag::switch('t', "timestamp", "Include a timestamp column (HH:MM:SS)"),
        Flag::switch_with(
            'x',
            "failed",
            "Trace error exits only",
            Effect::Filter {
                slot: "filter",
                cond: "curtask->exit_code != 0",
            },
        ),
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            "filter",
            "pid == {}",
        ),
        Flag::switch_with(
            'T',
            "threaded",
            "Trace by thread (every thread's exit, not only the process's)",
            Effect::FilterUnless {
                slot: "filter",
                cond: "pid == tid",
            },
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "exitsnoop.bt",
        include_str!("../../tools/exitsnoop.bt"),
        &[Need::Tracepoint("sched:sched_process_exit"), Need::Btf],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing process exits... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["comm", "pid", "ppid", "tid", "age_ns", "code"]],
        columns: &[
            Column::when("TIME", "time", -8, "timestamp"),
            Column::new("PCOMM", "comm", -16),
            Column::new("PID", "pid", -7),
            Column::new("PPID", "ppid", -7),
            Column::new("TID", "tid", -7),
            Column::new("AGE(s)", "age", -7),
            Column::new("EXIT_CODE", "exit_code", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool exitsnoop", "trace process exit events"),
        ("scry tool exitsnoop -t", "include timestamps"),
        ("scry tool exitsnoop -x", "trace error exits only"),
        ("scry tool exitsnoop -p 181", "only trace PID 181"),
        ("scry tool exitsnoop -T", "trace by thread"),
    ],
};

/// The age in seconds, and the exit status as libbpf-tools prints it:
/// `0`, `code 3`, `signal 9 (Killed)`, `signal 11 (Segmentation fault), core dumped`.
fn finish(row: &mut Row, _: &Params) -> bool {
    let age = int_field(row, "age_ns");
    set_field(row, "age", Cell::Num(age as f64 / 1e9, 2));
    let code = int_field(row, "code");
    set_field(row, "exit_code", Cell::Text(exit_text(code)));
    true
}

/// A task's `exit_code` as text.
pub fn exit_text(code: i64) -> String {
    let (sig, status) = (code & 0xff, code >> 8);
    if sig == 0 {
        return if status == 0 {
            "0".into()
        } else {
            format!("code {status}")
        };
    }
    let mut s = String::new();
    if sig & 0x7f != 0 {
        s = format!("signal {} ({})", sig & 0x7f, strsignal(sig & 0x7f));
    }
    if sig & 0x80 != 0 {
        s.push_str(", core dumped");
    }
    s
}

/// strsignal(3): `Killed`, `Terminated`.
fn strsignal(sig: i64) -> String {
    // SAFETY: strsignal returns a static (or thread-local) C string.
    unsafe {
        let p = libc::strsignal(sig as libc::c_int);
        if p.is_null() {
            return format!("Unknown signal {sig}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::exit_text;

    #[test]
    fn exit_statuses() {
        assert_eq!(exit_text(0), "0");
        assert_eq!(exit_text(3 << 8), "code 3");
        assert_eq!(exit_text(9), "signal 9 (Killed)");
        assert_eq!(
            exit_text(11 | 0x80),
            "signal 11 (Segmentation fault), core dumped"
        );
    }
}
