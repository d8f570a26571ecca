//! Stack output (profile, offcputime): at the end (or every interval), the
//! script's map keyed by (kernel stack, user stack, comm, pid) in BCC's
//! layout: the frames, `--` between kernel and user, `-  comm (pid)` and
//! the value; or one folded line per stack (`-f`) for flame graphs; or
//! one JSON object.

use crate::params::Params;
use crate::runner::{clear_map, clock_time, read_map, Printer};
use crate::spec::{Effect, Flag, Stacks};
use scry_output::{Agg, Value};
use scry_runtime::session::Session;
use std::io::Write;

/// `-U`: user stacks only (the script's `{{kstack}}` slot becomes 0).
pub const USER_STACKS_ONLY: Flag = Flag::switch_with(
    'U',
    "user-stacks-only",
    "Show stacks from user space only (no kernel space stacks)",
    Effect::Set {
        slot: "kstack",
        text: "0",
    },
);

/// `-K`: kernel stacks only (the script's `{{ustack}}` slot becomes 0).
pub const KERNEL_STACKS_ONLY: Flag = Flag::switch_with(
    'K',
    "kernel-stacks-only",
    "Show stacks from kernel space only (no user space stacks)",
    Effect::Set {
        slot: "ustack",
        text: "0",
    },
);

/// `-d`: a `-` between user and kernel frames in folded lines.
pub const DELIMITED: Flag = Flag::switch(
    'd',
    "delimited",
    "Insert a '-' between kernel and user stacks",
);

/// `-f`: folded lines for flame graphs.
pub const FOLDED: Flag = Flag::switch(
    'f',
    "folded",
    "Output folded format, one line per stack (for flame graphs)",
);

/// The end of a stack tool's first line: `by user + kernel stack... Hit
/// Ctrl-C to end.` (or `for N secs.`), after whom it traces: `PID 185`,
/// `TID 188`, or `others` when neither flag is given.
pub fn stack_line_end(p: &Params, others: &str) -> String {
    let who = match (p.get_int("pid"), p.get_int("tid")) {
        (Some(pid), _) => format!("PID {pid}"),
        (None, Some(tid)) => format!("TID {tid}"),
        _ => others.to_string(),
    };
    let what = if p.on("user-stacks-only") {
        "user"
    } else if p.on("kernel-stacks-only") {
        "kernel"
    } else {
        "user + kernel"
    };
    let until = match p.get_int("duration") {
        Some(d) => format!(" for {d} secs."),
        None => "... Hit Ctrl-C to end.".to_string(),
    };
    format!("{who} by {what} stack{until}")
}

pub struct StackPrinter<'a> {
    plan: &'a Stacks,
    params: &'a Params,
}

/// One stack: kernel frames and user frames (innermost first), comm,
/// pid, value.
pub struct Sample {
    pub kernel: Vec<String>,
    pub user: Vec<String>,
    pub comm: String,
    pub pid: i64,
    pub value: u64,
}

/// A frame without its offset: `vfs_read+12` is `vfs_read`.
fn function(frame: &str) -> String {
    match frame.rsplit_once('+') {
        Some((name, off))
            if !name.is_empty() && !off.is_empty() && off.chars().all(|c| c.is_ascii_digit()) =>
        {
            name.to_string()
        }
        _ => frame.to_string(),
    }
}

fn frames(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Stack(f)) => f.iter().map(|s| function(s)).collect(),
        Some(Value::PerfStack(f)) => f.iter().map(|(_, s)| function(s)).collect(),
        _ => Vec::new(),
    }
}

fn sample(key: &Value, agg: &Agg) -> Option<Sample> {
    let Value::Tuple(parts) = key else {
        return None;
    };
    let value = match agg {
        Agg::Count(c) => *c,
        Agg::Sum(s) => (*s).max(0) as u64,
        _ => 0,
    };
    let kernel = frames(parts.first());
    let mut user = frames(parts.get(1));
    // A user stack was asked for (not the 0 of -K) but none came back and
    // the thread was not in the kernel: unwinding failed (no frame
    // pointers), as BCC says.
    let asked = matches!(parts.get(1), Some(Value::Stack(_) | Value::PerfStack(_)));
    if asked && user.is_empty() && kernel.is_empty() {
        user.push("[Missed User Stack]".to_string());
    }
    Some(Sample {
        kernel,
        user,
        comm: parts.get(2).map_or(String::new(), Value::to_text),
        pid: parts
            .get(3)
            .and_then(Value::int_bits)
            .map_or(0, |p| p as i64),
        value,
    })
}

impl<'a> StackPrinter<'a> {
    pub fn new(plan: &'a Stacks, params: &'a Params) -> StackPrinter<'a> {
        StackPrinter { plan, params }
    }

    /// The samples, least first (BCC's order: the hottest end up last,
    /// nearest the prompt).
    fn samples(&self, session: &Session) -> Result<Vec<Sample>, String> {
        let dump = read_map(session, self.plan.map)?;
        clear_map(session, self.plan.map)?;
        let mut v: Vec<Sample> = dump
            .entries
            .iter()
            .filter_map(|(k, a)| sample(k.as_ref()?, a))
            .collect();
        v.sort_by(|a, b| a.value.cmp(&b.value).then(a.comm.cmp(&b.comm)));
        Ok(v)
    }

    pub fn text(&self, samples: &[Sample]) -> String {
        let mut s = String::new();
        for x in samples {
            for f in &x.kernel {
                s.push_str(&format!("    {f}\n"));
            }
            if !x.kernel.is_empty() && !x.user.is_empty() {
                s.push_str("    --\n");
            }
            for f in &x.user {
                s.push_str(&format!("    {f}\n"));
            }
            s.push_str(&format!("    {:<16} {} ({})\n", "-", x.comm, x.pid));
            s.push_str(&format!("        {}\n\n", x.value));
        }
        s
    }

    /// `comm;outer;...;inner value`: user frames, then (after `-` with
    /// -d) kernel frames, outermost first.
    pub fn folded(&self, samples: &[Sample]) -> String {
        let mut s = String::new();
        for x in samples {
            let mut line = vec![x.comm.replace(';', "_")];
            line.extend(x.user.iter().rev().cloned());
            if self.params.on("delimited") && !x.user.is_empty() && !x.kernel.is_empty() {
                line.push("-".to_string());
            }
            line.extend(x.kernel.iter().rev().cloned());
            s.push_str(&format!("{} {}\n", line.join(";"), x.value));
        }
        s
    }

    pub fn json(&self, samples: &[Sample]) -> String {
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|f| scry_output::json_string(f)).collect();
            format!("[{}]", items.join(", "))
        };
        let items: Vec<String> = samples
            .iter()
            .map(|x| {
                format!(
                    "{{\"pid\": {}, \"comm\": {}, \"kernel\": {}, \"user\": {}, \"{}\": {}}}",
                    x.pid,
                    scry_output::json_string(&x.comm),
                    list(&x.kernel),
                    list(&x.user),
                    self.plan.value_name,
                    x.value
                )
            })
            .collect();
        format!(
            "{{\"time\": \"{}\", \"stacks\": [{}]}}\n",
            clock_time(),
            items.join(", ")
        )
    }
}

impl Printer for StackPrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        let line = (self.plan.tracing)(self.params);
        if self.params.json || self.params.on("folded") {
            eprintln!("{line}");
            Ok(())
        } else {
            writeln!(out, "{line}")
        }
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let samples = self.samples(session)?;
        Ok(if self.params.json {
            self.json(&samples)
        } else if self.params.on("folded") {
            self.folded(&samples)
        } else {
            self.text(&samples)
        })
    }

    fn ticks(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::function;

    #[test]
    fn frames_lose_offsets() {
        assert_eq!(function("vfs_read+12"), "vfs_read");
        assert_eq!(function("0x7f00"), "0x7f00");
        assert_eq!(function("operator+"), "operator+");
        assert_eq!(function("[unknown]"), "[unknown]");
    }
}
