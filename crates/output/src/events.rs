//! Event messages other than maps: `printf`, `time`, `join`, `system`,
//! `cat`, `print(value)`, attach and lost-event notices, in bpftrace's text
//! and `-f json` forms. The `*_text` functions return exactly the bytes to
//! write (with bpftrace's newlines); the `*_json` functions return one JSON
//! line *without* its newline.

use crate::value::{json_string, Value};

/// The `"type"` of a JSON message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Printf,
    Time,
    Cat,
    Join,
    Syscall,
    LostEvents,
    AttachedProbes,
    Value,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Printf => "printf",
            MessageType::Time => "time",
            MessageType::Cat => "cat",
            MessageType::Join => "join",
            MessageType::Syscall => "syscall",
            MessageType::LostEvents => "lost_events",
            MessageType::AttachedProbes => "attached_probes",
            MessageType::Value => "value",
        }
    }
}

/// `{"type": "<type>", "data": "<escaped text>"}`: the JSON
/// form of `printf` (type printf), `time` (time), `join` (join), `system`
/// (syscall) and `cat` (cat) output.
pub fn message_json(kind: MessageType, text: &str) -> String {
    format!(
        "{{\"type\": \"{}\", \"data\": {}}}",
        kind.as_str(),
        json_string(text)
    )
}

/// JSON line for a `printf()`: `{"type": "printf", "data": "..."}`.
/// In text mode the formatted text is printed as it is.
pub fn printf_json(text: &str) -> String {
    message_json(MessageType::Printf, text)
}

/// JSON line for a `time()`; in text mode its text is printed as it is.
pub fn time_json(text: &str) -> String {
    message_json(MessageType::Time, text)
}

/// Text of `join(array, delim)`: the elements joined, then a newline.
pub fn join_text(parts: &[&str], delim: &str) -> String {
    let mut s = parts.join(delim);
    s.push('\n');
    s
}

/// JSON line for `join()` (without the text form's newline in the data).
pub fn join_json(parts: &[&str], delim: &str) -> String {
    message_json(MessageType::Join, &parts.join(delim))
}

/// JSON line for the output of a `system()` command.
pub fn syscall_json(output: &str) -> String {
    message_json(MessageType::Syscall, output)
}

/// JSON line for the output of `cat()`.
pub fn cat_json(contents: &str) -> String {
    message_json(MessageType::Cat, contents)
}

/// The text of a value (`Value::to_text`): what `print(v)` prints before
/// its newline.
pub fn format_value(v: &Value) -> String {
    v.to_text()
}

/// Text of `print(value)` for a non-map value: its text and a newline.
pub fn value_text(v: &Value) -> String {
    let mut s = v.to_text();
    s.push('\n');
    s
}

/// JSON line of `print(value)`: `{"type": "value", "data": 5}`.
pub fn value_json(v: &Value) -> String {
    format!("{{\"type\": \"value\", \"data\": {}}}", v.to_json())
}

/// `Attaching 1 probe...` / `Attaching 3 probes...`.
pub fn attached_probes_text(n: u64) -> String {
    if n == 1 {
        "Attaching 1 probe...\n".to_string()
    } else {
        format!("Attaching {n} probes...\n")
    }
}

/// `{"type": "attached_probes", "data": {"probes": N}}`.
pub fn attached_probes_json(n: u64) -> String {
    format!("{{\"type\": \"attached_probes\", \"data\": {{\"probes\": {n}}}}}")
}

/// `Lost N events`.
pub fn lost_events_text(n: u64) -> String {
    format!("Lost {n} events\n")
}

/// `{"type": "lost_events", "data": {"events": N}}`.
pub fn lost_events_json(n: u64) -> String {
    format!("{{\"type\": \"lost_events\", \"data\": {{\"events\": {n}}}}}")
}

/// The JSON record of probe runs the kernel skipped (recursion).
pub fn skipped_runs_json(probe: &str, n: u64) -> String {
    let probe = serde_json::to_string(probe).unwrap_or_default();
    format!("{{\"type\": \"skipped_runs\", \"data\": {{\"probe\": {probe}, \"runs\": {n}}}}}")
}

/// The message of a failed BPF helper call, as bpftrace words it after
/// the `file:line:col: WARNING: ` prefix: `Failed to map_update_elem: No
/// space left on device (-28)` (negative errno) or `Failed to X: 3`.
pub fn helper_error_message(helper: &str, retcode: i64) -> String {
    if retcode < 0 {
        // SAFETY: strerror returns a valid NUL-terminated static string.
        let msg = unsafe { std::ffi::CStr::from_ptr(libc::strerror((-retcode) as libc::c_int)) };
        format!("Failed to {helper}: {} ({retcode})", msg.to_string_lossy())
    } else {
        format!("Failed to {helper}: {retcode}")
    }
}

/// JSON line of a failed BPF helper call.
pub fn helper_error_json(helper: &str, retcode: i64, line: u32, col: u32) -> String {
    format!(
        "{{\"type\": \"helper_error\", \"helper\": {}, \"retcode\": {retcode}, \"line\": {line}, \"col\": {col}}}",
        json_string(helper)
    )
}
