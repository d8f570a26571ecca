//! Table output (biopattern, vfsstat, hardirqs, softirqs): every
//! interval, the script's count/sum maps joined by key into rows, printed
//! in BCC's columns or as one JSON object; then the maps are cleared.

use crate::params::Params;
use crate::rows::{pad, visible};
use crate::runner::{clear_map, clock_time, read_map, Printer};
use crate::spec::{field, Cell, Column, Row, Table};
use scry_output::{Agg, Value};
use scry_runtime::session::Session;
use std::io::Write;

pub struct TablePrinter<'a> {
    plan: &'a Table,
    params: &'a Params,
    columns: Vec<&'a Column>,
    /// The start of the interval being counted.
    since: std::time::Instant,
}

/// A map entry's value as one number.
fn number(a: &Agg) -> i64 {
    match a {
        Agg::Count(c) => *c as i64,
        Agg::Sum(s) | Agg::Min(s) | Agg::Max(s) => *s,
        Agg::Avg { sum, count } if *count > 0 => sum / *count as i64,
        Agg::Scalar(v) => v.int_bits().unwrap_or(0) as i64,
        _ => 0,
    }
}

impl<'a> TablePrinter<'a> {
    pub fn new(plan: &'a Table, params: &'a Params) -> TablePrinter<'a> {
        TablePrinter {
            plan,
            params,
            columns: visible(plan.columns, params),
            since: std::time::Instant::now(),
        }
    }

    /// The interval's rows: one per key, a field per map (0 where a map
    /// has no entry for the key), then the tool's derived fields.
    fn rows(&mut self, session: &Session) -> Result<Vec<Row>, String> {
        // The interval as it was (the last one may be cut short by Ctrl-C).
        let interval_s = self.since.elapsed().as_secs_f64();
        self.since = std::time::Instant::now();
        let mut keyed: Vec<(Option<Value>, Row)> = Vec::new();
        for map in self.plan.maps {
            let dump = read_map(session, map)?;
            clear_map(session, map)?;
            let name: &'static str = map.trim_start_matches('@');
            for (key, agg) in &dump.entries {
                let i = match keyed.iter().position(|(k, _)| k == key) {
                    Some(i) => i,
                    None => {
                        keyed.push((key.clone(), self.key_fields(key.as_ref())));
                        keyed.len() - 1
                    }
                };
                keyed[i].1.push((name, Cell::Int(number(agg))));
            }
        }
        if keyed.is_empty() && self.plan.key.is_empty() {
            // A table without a key always has its one row (vfsstat).
            keyed.push((None, Row::new()));
        }
        let mut rows = Vec::new();
        for (_, mut row) in keyed {
            for map in self.plan.maps {
                let name = map.trim_start_matches('@');
                if field(&row, name).is_none() {
                    row.push((name, Cell::Int(0)));
                }
            }
            row.push(("time", Cell::Text(clock_time())));
            row.push(("interval_s", Cell::Num(interval_s, 3)));
            if (self.plan.finish)(&mut row, self.params) {
                rows.push(row);
            }
        }
        if let Some(order) = self.plan.order {
            rows.sort_by(order);
        }
        Ok(rows)
    }

    /// The key's parts as the fields named by [`Table::key`].
    fn key_fields(&self, key: Option<&Value>) -> Row {
        let parts: Vec<Value> = match key {
            Some(Value::Tuple(v)) => v.clone(),
            Some(v) => vec![v.clone()],
            None => vec![],
        };
        self.plan
            .key
            .iter()
            .zip(parts.iter())
            .map(|(n, v)| (*n, Cell::from_value(v)))
            .collect()
    }

    fn header(&self) -> String {
        let cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| pad(c.header, c.width))
            .collect();
        format!("{}\n", cells.join(" ").trim_end())
    }

    fn text(&self, rows: &[Row]) -> String {
        let mut s = String::from(self.plan.interval_header);
        if self.plan.header_every_interval {
            if self.params.on("timestamp") {
                s.push_str(&format!("{:<8}\n", clock_time()));
            }
            s.push_str(&self.header());
        }
        for row in rows {
            let cells: Vec<String> = self
                .columns
                .iter()
                .map(|c| {
                    pad(
                        &field(row, c.field).map_or(String::new(), Cell::text),
                        c.width,
                    )
                })
                .collect();
            s.push_str(&format!("{}\n", cells.join(" ")));
        }
        s
    }

    fn json(&self, rows: &[Row]) -> String {
        let items: Vec<String> = rows
            .iter()
            .map(|row| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    // The time is the object's.
                    .filter(|c| c.header != "TIME")
                    .map(|c| {
                        let v = field(row, c.field).map_or("null".to_string(), Cell::json);
                        format!("\"{}\": {v}", c.field)
                    })
                    .collect();
                format!("{{{}}}", fields.join(", "))
            })
            .collect();
        format!(
            "{{\"time\": \"{}\", \"rows\": [{}]}}\n",
            clock_time(),
            items.join(", ")
        )
    }
}

impl Printer for TablePrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.since = std::time::Instant::now();
        if self.params.json {
            eprintln!(
                "{}",
                crate::spec::tracing_text(self.plan.tracing, self.params)
            );
            return Ok(());
        }
        if !self.plan.tracing.is_empty() {
            writeln!(
                out,
                "{}",
                crate::spec::tracing_text(self.plan.tracing, self.params)
            )?;
        }
        if !self.plan.header_every_interval {
            out.write_all(self.header().as_bytes())?;
        }
        Ok(())
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let rows = self.rows(session)?;
        Ok(if self.params.json {
            self.json(&rows)
        } else {
            self.text(&rows)
        })
    }

    fn ticks(&self) -> bool {
        true
    }
}
