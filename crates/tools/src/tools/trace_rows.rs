//! trace's rows: each event is a `printf()` whose first arguments are the
//! fixed columns (`[cpu,] pid, tid, comm, func`) and whose rest formats the
//! probe's message. Printed in BCC's layout, with the optional time and CPU
//! columns, or as one JSON object per event; `-n`/`-f` filter in user
//! space as BCC does, `-M` ends the run. With `-K`/`-U` the stacks follow
//! the fixed columns and are printed under the row, then a blank line.

use super::trace::{probes, stacks, CPU_PREFIX, PREFIX, STACK_PREFIX};
use crate::bccstack;
use crate::params::Params;
use crate::runner::{clock_time, Printer};
use scry_lang::spec::EventSpec;
use scry_output::{format_printf, json_string, Value};
use scry_runtime::session::Session;
use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub fn printer(params: &Params, session: &Session) -> Box<dyn Printer> {
    // The message formats, indexed as the runner numbers printfs.
    let mut formats: Vec<String> = Vec::new();
    for e in &session.compiled.events {
        if let EventSpec::Printf { format, .. } = e {
            if !formats.contains(format) {
                formats.push(format.clone());
            }
        }
    }
    let cpu = params.on("print-cpu");
    let stacks: Vec<bool> = stacks(params)
        .iter()
        .map(|(flag, _)| *flag == "kernel-stack")
        .collect();
    let skip =
        PREFIX.len() + if cpu { CPU_PREFIX.len() } else { 0 } + STACK_PREFIX.len() * stacks.len();
    let messages = formats
        .iter()
        .map(|f| {
            f.get(skip..)
                .unwrap_or("")
                .trim_end_matches('\n')
                .to_string()
        })
        .collect();
    let trivial = probes(params).is_ok_and(|ps| ps.iter().all(|p| p.format.is_empty()));
    Box::new(TraceRows {
        params: params.clone(),
        messages,
        fixed: (if cpu { 5 } else { 4 }) + stacks.len(),
        stacks,
        trivial,
        printed: 0,
        start: Instant::now(),
    })
}

struct TraceRows {
    params: Params,
    /// Each printf's message format (after the fixed columns).
    messages: Vec<String>,
    /// How many leading arguments are fixed columns (stacks included).
    fixed: usize,
    /// The stacks after the fixed columns: true for a kernel stack.
    stacks: Vec<bool>,
    /// No probe has a message: the last header is empty, not `-`.
    trivial: bool,
    printed: u64,
    start: Instant,
}

impl TraceRows {
    /// The TIME column's text and width, when shown.
    fn time(&self) -> Option<(String, usize)> {
        if self.params.on("timestamp") {
            let offset = self.start.elapsed().as_secs_f64();
            return Some(match self.params.on("unix-timestamp") {
                true => {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default();
                    (format!("{:.6}", now.as_secs_f64()), 17)
                }
                false => (format!("{offset:.6}"), 8),
            });
        }
        self.params.on("time").then(|| (clock_time(), 8))
    }
}

impl Printer for TraceRows {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.start = Instant::now();
        if self.params.json {
            eprintln!("Tracing... Hit Ctrl-C to end.");
            return Ok(());
        }
        let mut h = String::new();
        if let Some((_, w)) = self.time() {
            h.push_str(&format!("{:<w$} ", "TIME"));
        }
        if self.params.on("print-cpu") {
            h.push_str(&format!("{:<3} ", "CPU"));
        }
        let last = if self.trivial { "" } else { "-" };
        h.push_str(&format!(
            "{:<7} {:<7} {:<15} {:<16} {last}",
            "PID", "TID", "COMM", "FUNC"
        ));
        writeln!(out, "{h}")
    }

    fn event(&mut self, index: usize, args: &[Value], out: &mut dyn Write) -> std::io::Result<()> {
        if self.done() || args.len() < self.fixed {
            return Ok(());
        }
        let (fixed, rest) = args.split_at(self.fixed);
        let (fixed, stacks) = fixed.split_at(self.fixed - self.stacks.len());
        let [pid, tid, comm, func] = &fixed[fixed.len() - 4..] else {
            return Ok(());
        };
        let comm = comm.to_text();
        if self
            .params
            .get_text("name")
            .is_some_and(|n| !comm.contains(n))
        {
            return Ok(());
        }
        let fmt = self.messages.get(index).map_or("", String::as_str);
        let msg = format_printf(fmt, rest);
        if self
            .params
            .get_text("msg-filter")
            .is_some_and(|f| !msg.contains(f))
        {
            return Ok(());
        }
        self.printed += 1;
        let time = self.time();
        if self.params.json {
            let mut f = Vec::new();
            if let Some((t, _)) = &time {
                f.push(format!("\"time\": {}", json_string(t)));
            }
            if fixed.len() == 5 {
                f.push(format!("\"cpu\": {}", fixed[0].to_text()));
            }
            f.push(format!(
                "\"pid\": {}, \"tid\": {}",
                pid.to_text(),
                tid.to_text()
            ));
            f.push(format!("\"comm\": {}", json_string(&comm)));
            f.push(format!("\"func\": {}", json_string(&func.to_text())));
            f.push(format!("\"msg\": {}", json_string(&msg)));
            for (stack, kernel) in stacks.iter().zip(&self.stacks) {
                let frames = bccstack::frames(stack, self.params.on("address"));
                let items: Vec<String> = frames.iter().map(|l| json_string(l)).collect();
                let name = if *kernel { "kstack" } else { "ustack" };
                f.push(format!("\"{name}\": [{}]", items.join(", ")));
            }
            return writeln!(out, "{{{}}}", f.join(", "));
        }
        let mut line = String::new();
        if let Some((t, w)) = time {
            line.push_str(&format!("{:<w$} ", &t[..t.len().min(w)]));
        }
        if fixed.len() == 5 {
            line.push_str(&format!("{:<3} ", fixed[0].to_text()));
        }
        line.push_str(&format!(
            "{:<7} {:<7} {:<15} {:<16} {msg}\n",
            pid.to_text(),
            tid.to_text(),
            comm,
            func.to_text()
        ));
        for (stack, kernel) in stacks.iter().zip(&self.stacks) {
            line.push_str(&bccstack::text(stack, *kernel, self.params.on("address")));
        }
        if !self.stacks.is_empty() {
            line.push('\n');
        }
        out.write_all(line.as_bytes())
    }

    fn done(&self) -> bool {
        self.params
            .get_int("max-events")
            .is_some_and(|m| self.printed >= m as u64)
    }
}
