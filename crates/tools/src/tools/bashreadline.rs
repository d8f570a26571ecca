//! bashreadline: the commands typed into every running bash, read where
//! bash's readline() returns them (libbpf-tools' columns).

use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "bashreadline",
    summary: "Print the commands entered in all running bash shells",
    answers: "What is being typed into shells on this machine?",
    flags: &[
        Flag::value(
            's',
            "shared",
            "PATH",
            Kind::Text,
            "Where readline() is: a libreadline.so that bash links to",
            Effect::Set {
                slot: "binary",
                text: "{}",
            },
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::text("binary", "/bin/bash")],
    plans: &[Plan::new(
        "uretprobe",
        "bashreadline.bt",
        include_str!("../../tools/bashreadline.bt"),
        &[],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing bash commands... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["pid", "command"]],
        columns: &[
            Column::new("TIME", "time", -9),
            Column::new("PID", "pid", -7),
            Column::new("COMMAND", "command", 0),
        ],
        assemble: None,
        finish: None,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool bashreadline", "print the commands of every bash"),
        (
            "scry tool bashreadline -s /usr/lib/libreadline.so",
            "bash linked to a shared libreadline",
        ),
    ],
};
