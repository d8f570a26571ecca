//! Histogram output (biolatency, runqlat): every interval, the script's
//! `hist()` map in BCC's `usecs : count distribution` layout (one
//! histogram per key), or one JSON object; then the map is cleared.

use crate::params::Params;
use crate::runner::{clear_map, clock_time, read_map, Printer};
use crate::spec::Hists;
use scry_output::{
    bcc_linear_json, bcc_linear_text, bcc_log2_json, bcc_log2_text, bcc_slots, Agg, Value,
};
use scry_runtime::session::Session;
use std::io::Write;

/// One histogram: its key (none for a plain `@usecs`) and its slots:
/// BCC's log2 slots, or (for an `lhist()`) the counts of each value
/// from the first one and the step.
pub struct Keyed {
    pub key: Option<Value>,
    pub slots: Vec<u64>,
    pub linear: Option<(i64, i64)>,
}

impl Keyed {
    fn from_agg(key: Option<Value>, agg: Agg) -> Option<Keyed> {
        match agg {
            Agg::Hist(h) => Some(Keyed {
                key,
                slots: bcc_slots(&h),
                linear: None,
            }),
            Agg::Lhist(l) => {
                // Drop the below-min bucket, fold the above-max one into
                // the last value.
                let mut slots: Vec<u64> = l.buckets.iter().skip(1).copied().collect();
                if let Some(over) = slots.pop() {
                    if let Some(last) = slots.last_mut() {
                        *last += over;
                    }
                }
                Some(Keyed {
                    key,
                    slots,
                    linear: Some((l.min, l.step)),
                })
            }
            _ => None,
        }
    }

    fn text(&self, unit: &str) -> String {
        match self.linear {
            Some((base, step)) => bcc_linear_text(&self.slots, base, step, unit),
            None => bcc_log2_text(&self.slots, unit),
        }
    }

    fn json(&self) -> String {
        match self.linear {
            Some((base, step)) => bcc_linear_json(&self.slots, base, step),
            None => bcc_log2_json(&self.slots),
        }
    }
}

pub struct HistPrinter<'a> {
    plan: &'a Hists,
    params: &'a Params,
}

impl<'a> HistPrinter<'a> {
    pub fn new(plan: &'a Hists, params: &'a Params) -> HistPrinter<'a> {
        HistPrinter { plan, params }
    }

    /// The map's histograms, sorted by key.
    fn histograms(&self, session: &Session) -> Result<Vec<Keyed>, String> {
        let map = format!("@{}", (self.plan.unit)(self.params));
        let dump = read_map(session, &map)?;
        let mut hists: Vec<Keyed> = dump
            .entries
            .into_iter()
            .filter_map(|(k, agg)| Keyed::from_agg(k, agg))
            .collect();
        hists.sort_by(|a, b| key_order(&a.key, &b.key));
        clear_map(session, &map)?;
        Ok(hists)
    }

    /// One interval in text.
    pub fn text(&self, hists: &[Keyed]) -> String {
        let unit = (self.plan.unit)(self.params);
        let mut s = String::from(self.plan.interval_header);
        if self.params.on("timestamp") {
            s.push_str(&format!("{:<8}\n", clock_time()));
        }
        for h in hists {
            s.push_str(&(self.plan.section)(h.key.as_ref(), self.params));
            s.push_str(&h.text(unit));
        }
        s
    }

    /// One interval as a JSON object.
    pub fn json(&self, hists: &[Keyed]) -> String {
        let unit = (self.plan.unit)(self.params);
        let items: Vec<String> = hists
            .iter()
            .map(|h| {
                let mut fields: Vec<String> = h
                    .key
                    .as_ref()
                    .map(|k| (self.plan.key_json)(k, self.params))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(n, v)| format!("\"{n}\": {v}"))
                    .collect();
                fields.push(format!("\"buckets\": {}", h.json()));
                format!("{{{}}}", fields.join(", "))
            })
            .collect();
        format!(
            "{{\"time\": \"{}\", \"unit\": \"{unit}\", \"histograms\": [{}]}}\n",
            clock_time(),
            items.join(", ")
        )
    }
}

/// Keys in order: numbers by value, then text.
fn key_order(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    let num = |v: &Option<Value>| match v {
        Some(Value::Int(i)) => Some(*i as i128),
        Some(Value::UInt(u)) => Some(*u as i128),
        Some(Value::Tuple(t)) => match t.first() {
            Some(Value::Int(i)) => Some(*i as i128),
            Some(Value::UInt(u)) => Some(*u as i128),
            _ => None,
        },
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let t = |v: &Option<Value>| v.as_ref().map(Value::to_text).unwrap_or_default();
            t(a).cmp(&t(b))
        }
    }
}

impl Printer for HistPrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.params.json {
            eprintln!(
                "{}",
                crate::spec::tracing_text(self.plan.tracing, self.params)
            );
            Ok(())
        } else {
            writeln!(
                out,
                "{}",
                crate::spec::tracing_text(self.plan.tracing, self.params)
            )
        }
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let hists = self.histograms(session)?;
        Ok(if self.params.json {
            self.json(&hists)
        } else {
            self.text(&hists)
        })
    }

    fn ticks(&self) -> bool {
        true
    }
}
