//! Count tables (syscount): every interval, the top keys of the script's
//! count map (with their total time with `-L`), in BCC's layout or as one
//! JSON object; then the maps are cleared.

use crate::params::Params;
use crate::runner::{clear_map, clock_time, read_map, Printer};
use crate::spec::Counts;
use scry_output::{Agg, Value};
use scry_runtime::session::Session;
use std::io::Write;

pub struct CountPrinter<'a> {
    plan: &'a Counts,
    params: &'a Params,
}

/// One key's count and total time (ns).
pub struct Line {
    pub key: Value,
    pub count: u64,
    pub ns: u64,
}

fn agg_u64(a: &Agg) -> u64 {
    match a {
        Agg::Count(c) => *c,
        Agg::Sum(s) => (*s).max(0) as u64,
        _ => 0,
    }
}

impl<'a> CountPrinter<'a> {
    pub fn new(plan: &'a Counts, params: &'a Params) -> CountPrinter<'a> {
        CountPrinter { plan, params }
    }

    fn top(&self) -> usize {
        self.params.get_int("top").map_or(10, |t| t.max(0) as usize)
    }

    fn latency(&self) -> bool {
        self.params.on("latency")
    }

    /// The lines, sorted as BCC sorts them (by time with `-L`, else by
    /// count), cut to the top N.
    fn lines(&self, session: &Session) -> Result<Vec<Line>, String> {
        let counts = read_map(session, self.plan.count_map)?;
        let times = read_map(session, self.plan.time_map)?;
        let mut lines: Vec<Line> = counts
            .entries
            .iter()
            .filter_map(|(k, a)| {
                let key = k.clone()?;
                let ns = times
                    .entries
                    .iter()
                    .find(|(tk, _)| tk.as_ref() == Some(&key))
                    .map_or(0, |(_, t)| agg_u64(t));
                Some(Line {
                    key,
                    count: agg_u64(a),
                    ns,
                })
            })
            .collect();
        // Ties in key order, so that equal runs print alike.
        lines.sort_by_key(|l| l.key.to_key_text());
        if self.latency() {
            lines.sort_by(|a, b| b.ns.cmp(&a.ns).then(b.count.cmp(&a.count)));
        } else {
            lines.sort_by_key(|l| std::cmp::Reverse(l.count));
        }
        lines.truncate(self.top());
        clear_map(session, self.plan.count_map)?;
        clear_map(session, self.plan.time_map)?;
        Ok(lines)
    }

    fn div(&self) -> f64 {
        if self.params.on("milliseconds") {
            1e6
        } else {
            1e3
        }
    }

    /// One interval in text.
    pub fn text(&self, lines: &[Line]) -> String {
        let first = if self.params.on("process") {
            "PID    COMM"
        } else {
            "SYSCALL"
        };
        let mut s = format!("[{}]\n", clock_time());
        if self.latency() {
            let unit = if self.params.on("milliseconds") {
                "TIME (ms)"
            } else {
                "TIME (us)"
            };
            s.push_str(&format!("{first:<22} {:>8} {unit:>16}\n", "COUNT"));
            for l in lines {
                s.push_str(&format!(
                    "{:<22} {:>8} {:>16.3}\n",
                    (self.plan.key_text)(&l.key, self.params),
                    l.count,
                    l.ns as f64 / self.div()
                ));
            }
        } else {
            s.push_str(&format!("{first:<22} {:>8}\n", "COUNT"));
            for l in lines {
                s.push_str(&format!(
                    "{:<22} {:>8}\n",
                    (self.plan.key_text)(&l.key, self.params),
                    l.count
                ));
            }
        }
        s.push('\n');
        s
    }

    /// One interval as a JSON object.
    pub fn json(&self, lines: &[Line]) -> String {
        let items: Vec<String> = lines
            .iter()
            .map(|l| {
                let mut f: Vec<String> = (self.plan.key_json)(&l.key, self.params)
                    .into_iter()
                    .map(|(n, v)| format!("\"{n}\": {v}"))
                    .collect();
                f.push(format!("\"count\": {}", l.count));
                if self.latency() {
                    f.push(format!("\"total_ns\": {}", l.ns));
                }
                format!("{{{}}}", f.join(", "))
            })
            .collect();
        format!(
            "{{\"time\": \"{}\", \"counts\": [{}]}}\n",
            clock_time(),
            items.join(", ")
        )
    }
}

impl Printer for CountPrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        let line = self.plan.tracing.replace("{top}", &self.top().to_string());
        if self.params.json {
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
        let lines = self.lines(session)?;
        Ok(if self.params.json {
            self.json(&lines)
        } else {
            self.text(&lines)
        })
    }

    fn ticks(&self) -> bool {
        true
    }
}
