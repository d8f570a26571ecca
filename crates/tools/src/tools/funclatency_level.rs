//! funclatency -l LEVEL: nested or recursive calls of the traced
//! functions, the outermost LEVEL levels each timed. Without it a thread
//! has one start time, which the calls it nests overwrite: only the
//! innermost call is timed. Here a per-thread depth counts the calls in
//! progress and start times are kept by depth; calls deeper than LEVEL
//! are counted in the depth but not timed.
//!
//! BCC honours -l only when it keys by function (`-F`, or user functions
//! traced in every process), and its stack of start times does not count
//! the calls it drops, so their returns take outer calls' starts; scry
//! honours -l always and times each of the outermost levels.

/// The entry and return blocks: `record` is run with `$ns`, the time a
/// call of one of the outermost `level` levels took.
pub fn blocks(
    entry: &[String],
    exit: &[String],
    filters: &[String],
    record: &[String],
    level: i64,
) -> String {
    let enter = [
        "$d = @depth[tid];".to_string(),
        format!("if ($d < {level}) {{"),
        "\t@start[tid, $d] = nsecs;".into(),
        "}".into(),
        "@depth[tid] = $d + 1;".into(),
    ];
    let mut leave = vec![
        "$d = @depth[tid] - 1;".to_string(),
        "if ($d == 0) {".into(),
        "\tdelete(@depth[tid]);".into(),
        "} else {".into(),
        "\t@depth[tid] = $d;".into(),
        "}".into(),
        format!("if ($d < {level}) {{"),
        "\t$ns = nsecs - @start[tid, $d];".into(),
    ];
    leave.extend(record.iter().map(|r| format!("\t{r}")));
    leave.push("\tdelete(@start[tid, $d]);".into());
    leave.push("}".into());
    format!(
        "{}\n{}",
        crate::generic::block(entry, filters, &enter),
        crate::generic::block(exit, &["@depth[tid]".into()], &leave),
    )
}
