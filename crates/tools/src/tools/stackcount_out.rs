//! stackcount's output: each stack with its count, least frequent first,
//! as BCC prints them (kernel frames, `--` with -d, user frames, `comm
//! [pid]` per process, the count), or folded (`comm;user...;-;kernel...
//! count`, outermost frame first), or one JSON object per interval.

use super::stackcount::stacks;
use crate::params::Params;
use crate::runner::{clock_time, Printer};
use crate::tally;
use scry_output::{json_string, Value};
use scry_runtime::session::Session;
use std::io::Write;

pub fn printer(params: &Params, session: &Session) -> Box<dyn Printer> {
    let pattern = params.get_text("pattern").unwrap_or_default();
    Box::new(StackCounts {
        params: params.clone(),
        tracing: tally::tracing_line(session, pattern),
    })
}

struct StackCounts {
    params: Params,
    tracing: String,
}

/// One counted stack.
struct Entry {
    kernel: Vec<String>,
    user: Vec<String>,
    pid: Option<String>,
    comm: String,
    count: u64,
}

/// A frame as BCC prints it: the symbol (with `+offset` under -s), or
/// `[unknown]`.
fn frame(f: &str, offset: bool) -> String {
    if f.starts_with("0x") {
        return "[unknown]".into();
    }
    match f.rsplit_once('+') {
        Some((name, off))
            if !offset && !off.is_empty() && off.chars().all(|c| c.is_ascii_digit()) =>
        {
            name.into()
        }
        _ => f.into(),
    }
}

impl StackCounts {
    fn entries(&self, session: &Session) -> Result<Vec<Entry>, String> {
        let (kernel, user) = stacks(&self.params);
        let offset = self.params.on("offset");
        let frames = |v: Option<&Value>| match v {
            Some(Value::Stack(f)) => f.iter().map(|f| frame(f, offset)).collect(),
            _ => Vec::new(),
        };
        let counts = tally::counts(session, "@stacks", false)?;
        Ok(counts
            .iter()
            .map(|(k, count)| {
                let parts = tally::key_parts(k);
                let mut it = parts.iter();
                let kernel = if kernel {
                    frames(it.next())
                } else {
                    Vec::new()
                };
                let user = if user { frames(it.next()) } else { Vec::new() };
                let pid = it.next().map(Value::to_text);
                let comm = it.next().map(Value::to_text).unwrap_or_default();
                Entry {
                    kernel,
                    user,
                    pid,
                    comm,
                    count: *count,
                }
            })
            .collect())
    }

    fn text(&self, entries: &[Entry]) -> String {
        let (kernel, user) = stacks(&self.params);
        let delimit = self.params.on("delimited") && kernel && user;
        let folded = self.params.on("folded");
        let mut s = match (folded, self.params.on("timestamp")) {
            (true, true) => format!("{:<8}\n", clock_time()),
            (true, false) => String::new(),
            (false, t) => tally::interval_heading(t),
        };
        for e in entries {
            if folded {
                let mut line = vec![e.comm.clone()];
                line.extend(e.user.iter().rev().cloned());
                line.extend(delimit.then(|| "-".to_string()));
                line.extend(e.kernel.iter().rev().cloned());
                s.push_str(&format!("{} {}\n", line.join(";"), e.count));
                continue;
            }
            for f in &e.kernel {
                s.push_str(&format!("  {f}\n"));
            }
            if delimit {
                s.push_str("    --\n");
            }
            for f in &e.user {
                s.push_str(&format!("  {f}\n"));
            }
            if let (Some(pid), false) = (&e.pid, self.params.on("pid")) {
                s.push_str(&format!("    {} [{pid}]\n", e.comm));
            }
            s.push_str(&format!("    {}\n\n", e.count));
        }
        s
    }

    fn json(&self, entries: &[Entry]) -> String {
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|f| json_string(f)).collect();
            format!("[{}]", items.join(", "))
        };
        let items: Vec<String> = entries
            .iter()
            .map(|e| {
                let mut f = vec![format!("\"count\": {}", e.count)];
                let (kernel, user) = stacks(&self.params);
                f.extend(kernel.then(|| format!("\"kernel\": {}", list(&e.kernel))));
                f.extend(user.then(|| format!("\"user\": {}", list(&e.user))));
                if let Some(pid) = &e.pid {
                    f.push(format!(
                        "\"pid\": {pid}, \"comm\": {}",
                        json_string(&e.comm)
                    ));
                }
                format!("{{{}}}", f.join(", "))
            })
            .collect();
        format!(
            "{{\"time\": \"{}\", \"stacks\": [{}]}}\n",
            clock_time(),
            items.join(", ")
        )
    }
}

impl Printer for StackCounts {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.params.on("folded") && !self.params.json {
            true => Ok(()),
            false => tally::announce(self.params.json, &self.tracing, out),
        }
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let entries = self.entries(session)?;
        Ok(match self.params.json {
            true => self.json(&entries),
            false => self.text(&entries),
        })
    }

    fn ticks(&self) -> bool {
        true
    }

    fn end(&mut self) -> String {
        tally::detaching(self.params.json || self.params.on("folded"))
    }
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn bcc_frames() {
        assert_eq!(frame("vfs_read+12", false), "vfs_read");
        assert_eq!(frame("vfs_read+12", true), "vfs_read+12");
        assert_eq!(frame("operator+", false), "operator+");
        assert_eq!(frame("0x7f0012", false), "[unknown]");
    }
}
