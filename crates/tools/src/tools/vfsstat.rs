//! vfsstat: file system calls of the whole system, per second, one line
//! per interval (libbpf-tools' columns). Through the syscall tracepoints
//! the counts are of system calls, not of VFS functions: reads done by the
//! kernel itself (sendfile, io_uring, exec) are not in them, and CREATE
//! counts opens with O_CREAT.

use crate::params::Params;
use crate::spec::*;

const KFUNCS: &str = include_str!("../../tools/vfsstat-kprobe.bt");

pub static TOOL: Tool = Tool {
    name: "vfsstat",
    summary: "Count VFS calls (reads, writes, opens, ...) per second",
    answers: "How busy is the file system layer, call by call?",
    flags: &[],
    positionals: INTERVAL_COUNT,
    slots: &[Slot::text("probe", "fentry")],
    plans: &[
        Plan::new("fentry", "vfsstat-kprobe.bt", KFUNCS, &[Need::Fentry]),
        Plan {
            set: &[("probe", "kprobe")],
            ..Plan::new("kprobe", "vfsstat-kprobe.bt", KFUNCS, &[Need::Kprobes])
        },
        Plan::new(
            "tracepoint",
            "vfsstat.bt",
            include_str!("../../tools/vfsstat.bt"),
            &[Need::Tracepoint("syscalls:sys_enter_read")],
        ),
    ],
    output: Output::Table(Table {
        tracing: "",
        maps: &[
            "@read", "@write", "@fsync", "@open", "@create", "@unlink", "@mkdir", "@rmdir",
        ],
        key: &[],
        columns: &[
            Column::new("TIME", "time_colon", -9),
            Column::new("READ/s", "read_s", 8),
            Column::new("WRITE/s", "write_s", 8),
            Column::new("FSYNC/s", "fsync_s", 8),
            Column::new("OPEN/s", "open_s", 8),
            Column::new("CREATE/s", "create_s", 8),
            Column::new("UNLINK/s", "unlink_s", 8),
            Column::new("MKDIR/s", "mkdir_s", 8),
            Column::new("RMDIR/s", "rmdir_s", 8),
        ],
        finish,
        order: None,
        header_every_interval: false,
        interval_header: "",
        default_interval: 1,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool vfsstat", "one line per second"),
        ("scry tool vfsstat 5 3", "every five seconds, three lines"),
    ],
};

/// Counts per second of the interval.
fn finish(row: &mut Row, _: &Params) -> bool {
    let secs = match field(row, "interval_s") {
        Some(Cell::Num(s, _)) if *s > 0.0 => *s,
        _ => 1.0,
    };
    let time = field(row, "time").map_or(String::new(), Cell::text);
    set_field(row, "time_colon", Cell::Text(format!("{time}:")));
    for (count, rate) in [
        ("read", "read_s"),
        ("write", "write_s"),
        ("fsync", "fsync_s"),
        ("open", "open_s"),
        ("create", "create_s"),
        ("unlink", "unlink_s"),
        ("mkdir", "mkdir_s"),
        ("rmdir", "rmdir_s"),
    ] {
        let n = int_field(row, count);
        set_field(row, rate, Cell::Int((n as f64 / secs) as i64));
    }
    true
}
