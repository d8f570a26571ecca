//! Row output (the snoop tools): BCC's header and columns, or one JSON
//! object per event.

use crate::params::Params;
use crate::runner::{clock_time, Printer};
use crate::spec::{Assembly, Cell, Column, Row, Rows};
use scry_output::Value;
use std::io::Write;
use std::time::Instant;

pub struct RowPrinter<'a> {
    plan: &'a Rows,
    params: &'a Params,
    columns: Vec<&'a Column>,
    assembly: Assembly,
    start: Instant,
    first_ts: Option<i64>,
}

/// `value` padded as printf's `%-Ns` (negative width) or `%Ns`.
pub fn pad(value: &str, width: i32) -> String {
    let w = width.unsigned_abs() as usize;
    if width < 0 {
        format!("{value:<w$}")
    } else {
        format!("{value:>w$}")
    }
}

/// The columns shown with these flags (`when`: shown with the flag;
/// `!flag`: hidden by it; `a,!b`: all of them).
pub fn visible<'a>(columns: &'a [Column], params: &Params) -> Vec<&'a Column> {
    columns
        .iter()
        .filter(|c| {
            c.when.is_none_or(|conds| {
                conds.split(',').all(|f| match f.strip_prefix('!') {
                    Some(off) => !params.on(off),
                    None => params.on(f),
                })
            })
        })
        .collect()
}

impl<'a> RowPrinter<'a> {
    pub fn new(plan: &'a Rows, params: &'a Params) -> RowPrinter<'a> {
        let columns = visible(plan.columns, params);
        RowPrinter {
            plan,
            params,
            columns,
            assembly: Assembly::default(),
            start: Instant::now(),
            first_ts: None,
        }
    }

    /// The "Tracing ..." line with this run's parameters.
    pub fn tracing(&self) -> String {
        crate::spec::tracing_text(self.plan.tracing, self.params)
    }

    /// With the tool's `csv` switch (tcplife, tcpstates `-s`), comma
    /// separated values: no padding, no literal columns (as BCC).
    fn csv(&self) -> bool {
        self.params.on("csv")
    }

    /// A cell as printed: padded to its column, or bare in CSV.
    fn cell(&self, value: &str, c: &Column) -> String {
        match self.csv() {
            true => value.to_string(),
            false => pad(value, c.width),
        }
    }

    /// The columns printed on the row's line (literals dropped in CSV).
    fn on_line(&self, c: &Column) -> bool {
        !(self.csv() && c.field.is_empty())
    }

    /// The header line, newline included; none when no column has a
    /// header (tools that print sentences, like oomkill).
    pub fn header(&self) -> String {
        if self.columns.iter().all(|c| c.header.is_empty()) {
            return String::new();
        }
        let cells: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !c.header.is_empty() && self.on_line(c))
            .map(|c| self.cell(c.header, c))
            .collect();
        format!("{}\n", cells.join(if self.csv() { "," } else { " " }))
    }

    /// One row in text, newline included. A value of lines (a stack) is
    /// printed under the row's line, a tab before each, then a blank line
    /// (BCC's tcpdrop); frames ([`Cell::Frames`]) as BCC's capable prints
    /// them, with no blank line.
    pub fn text(&self, row: &Row) -> String {
        let cell = |c: &Column| crate::spec::field(row, c.field);
        let (trailers, line): (Vec<&&Column>, Vec<&&Column>) = self
            .columns
            .iter()
            .partition(|c| matches!(cell(c), Some(Cell::Lines(_) | Cell::Frames(_))));
        let cells: Vec<String> = line
            .iter()
            .filter(|c| self.on_line(c))
            .map(|c| {
                let v = match c.field {
                    "" => c.header.to_string(),
                    _ => cell(c).map_or(String::new(), Cell::text),
                };
                self.cell(&v, c)
            })
            .collect();
        let sep = if self.csv() { "," } else { " " };
        let mut text = format!("{}\n", cells.join(sep));
        for c in trailers {
            let stack = cell(c);
            text.push_str(&stack.map_or(String::new(), Cell::text));
            if matches!(stack, Some(Cell::Lines(_))) {
                text.push('\n');
            }
        }
        text
    }

    /// One row as a JSON object (the shown columns), newline included.
    /// A sentence tool (no headers) gives its fields instead of the
    /// sentence.
    pub fn json(&self, row: &Row) -> String {
        if self.header().is_empty() {
            let fields: Vec<String> = row
                .iter()
                .filter(|(n, _)| !matches!(*n, "line" | "time_s" | "ts_rel"))
                .map(|(n, c)| format!("\"{n}\": {}", c.json()))
                .collect();
            return format!("{{{}}}\n", fields.join(", "));
        }
        let fields: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !c.field.is_empty())
            .map(|c| {
                let v = crate::spec::field(row, c.field).map_or("null".to_string(), Cell::json);
                format!("\"{}\": {v}", c.field)
            })
            .collect();
        format!("{{{}}}\n", fields.join(", "))
    }

    /// An event's arguments as a row, with the runner's time fields.
    fn row(&mut self, index: usize, args: &[Value]) -> Option<Row> {
        let names = self.plan.events.get(index)?;
        let mut row: Row = names
            .iter()
            .zip(args)
            .map(|(n, v)| (*n, Cell::from_value(v)))
            .collect();
        if let Some(assemble) = self.plan.assemble {
            row = assemble(&mut self.assembly, index, row, self.params)?;
        }
        // `ts` (nanoseconds, from the script) as seconds since the first
        // event: the `TIME(s)` column of statsnoop and friends.
        if let Some(ts) = crate::spec::field(&row, "ts").and_then(Cell::int) {
            let first = *self.first_ts.get_or_insert(ts);
            row.push(("ts_rel", Cell::Num((ts - first) as f64 / 1e9, 9)));
        }
        row.push(("time", Cell::Text(clock_time())));
        row.push(("time_s", Cell::Num(self.start.elapsed().as_secs_f64(), 3)));
        if let Some(finish) = self.plan.finish {
            if !finish(&mut row, self.params) {
                return None;
            }
        }
        Some(row)
    }
}

impl Printer for RowPrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.start = Instant::now();
        if self.params.json {
            eprintln!("{}", self.tracing());
            return Ok(());
        }
        if self.plan.announce {
            writeln!(out, "{}", self.tracing())?;
        }
        out.write_all(self.header().as_bytes())
    }

    fn event(&mut self, index: usize, args: &[Value], out: &mut dyn Write) -> std::io::Result<()> {
        let Some(row) = self.row(index, args) else {
            return Ok(());
        };
        let text = if self.params.json {
            self.json(&row)
        } else {
            self.text(&row)
        };
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Cell, Column, Rows};

    static PLAN: Rows = Rows {
        tracing: "",
        announce: false,
        events: &[],
        columns: &[
            Column::when("COMM", "comm", -4, "!wide"),
            Column::when("COMMAND", "comm", -8, "wide"),
            Column::new("OLD", "old", -3),
            Column::literal("->"),
            Column::new("NEW", "new", 0),
        ],
        assemble: None,
        finish: None,
    };

    #[test]
    fn negated_and_literal_columns() {
        let row = vec![
            ("comm", Cell::Text("sh".into())),
            ("old", Cell::Int(1)),
            ("new", Cell::Int(2)),
        ];
        let narrow = Params::new();
        let p = RowPrinter::new(&PLAN, &narrow);
        assert_eq!(p.header(), "COMM OLD -> NEW\n");
        assert_eq!(p.text(&row), "sh   1   -> 2\n");
        assert_eq!(p.json(&row), "{\"comm\": \"sh\", \"old\": 1, \"new\": 2}\n");
        let wide = Params::new().switch("wide");
        let p = RowPrinter::new(&PLAN, &wide);
        assert_eq!(p.header(), "COMMAND  OLD -> NEW\n");
    }

    static STACKED: Rows = Rows {
        tracing: "",
        announce: false,
        events: &[],
        columns: &[Column::new("PID", "pid", 0), Column::new("", "stack", 0)],
        assemble: None,
        finish: None,
    };

    #[test]
    fn stacks_are_printed_under_their_row() {
        let frames = vec!["f+1".to_string(), "g+2".to_string()];
        let row = vec![
            ("pid", Cell::Int(7)),
            ("stack", Cell::from_value(&Value::Stack(frames))),
        ];
        let params = Params::new();
        let p = RowPrinter::new(&STACKED, &params);
        assert_eq!(p.header(), "PID\n");
        assert_eq!(p.text(&row), "7\n\tf+1\n\tg+2\n\n");
        assert_eq!(
            p.json(&row),
            "{\"pid\": 7, \"stack\": [\"f+1\", \"g+2\"]}\n"
        );
        // A sentence (no header at all, oomkill) stays on its line.
        static SENTENCE: Rows = Rows {
            columns: &[Column::new("", "line", 0)],
            ..STACKED
        };
        let p = RowPrinter::new(&SENTENCE, &params);
        let row = vec![("line", Cell::Text("Killed 7".into()))];
        assert_eq!(p.header(), "");
        assert_eq!(p.text(&row), "Killed 7\n");
    }

    #[test]
    fn csv_rows() {
        let row = vec![
            ("comm", Cell::Text("sh".into())),
            ("old", Cell::Int(1)),
            ("new", Cell::Int(2)),
        ];
        let csv = Params::new().switch("csv");
        let p = RowPrinter::new(&PLAN, &csv);
        assert_eq!(p.header(), "COMM,OLD,NEW\n");
        assert_eq!(p.text(&row), "sh,1,2\n");
    }

    #[test]
    fn frames_are_printed_as_bcc_capable_does() {
        let v = Value::PerfStack(vec![(1, "f+1".into()), (2, "g+2 (/lib/libc.so.6)".into())]);
        let row = vec![("pid", Cell::Int(7)), ("stack", Cell::from_value(&v))];
        let params = Params::new();
        let p = RowPrinter::new(&STACKED, &params);
        assert_eq!(
            p.text(&row),
            "7\n        f+0x1 [kernel]\n        g+0x2 [libc.so.6]\n"
        );
    }

    #[test]
    fn printf_widths() {
        assert_eq!(pad("PID", -6), "PID   ");
        assert_eq!(pad("3", 3), "  3");
        assert_eq!(pad("/etc/passwd", 0), "/etc/passwd");
    }
}
