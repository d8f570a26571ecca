//! argdist's output every interval: `[HH:MM:SS]`, then for each count
//! specifier its heading and `COUNT EVENT` rows (smallest first, the top
//! `-T` only), for each histogram specifier a log2 histogram whose unit
//! column is its label or expression; or one JSON object.

use super::argdist::specs;
use crate::argspec::ArgSpec;
use crate::params::Params;
use crate::runner::{clock_time, Printer};
use crate::tally;
use scry_output::{bcc_log2_json, bcc_log2_text, json_string, Value};
use scry_runtime::session::Session;
use std::io::Write;
use std::time::Duration;

pub fn printer(params: &Params, _: &Session) -> Box<dyn Printer> {
    Box::new(Argdist {
        specs: specs(params).unwrap_or_default(),
        params: params.clone(),
    })
}

struct Argdist {
    params: Params,
    specs: Vec<ArgSpec>,
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Int(_) | Value::UInt(_) => v.to_text(),
        v => json_string(&v.to_text()),
    }
}

impl Printer for Argdist {
    fn start(&mut self, _: &mut dyn Write) -> std::io::Result<()> {
        if self.params.json {
            eprintln!("Tracing... Hit Ctrl-C to end.");
        }
        Ok(())
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        let keep = self.params.on("cumulative");
        let top = self.params.get_int("top").map(|t| t.max(0) as usize);
        let mut text = format!("[{}]\n", clock_time());
        let mut items = Vec::new();
        for (i, spec) in self.specs.iter().enumerate() {
            let map = format!("@p{i}");
            let head = spec.label.clone().unwrap_or_else(|| spec.raw.clone());
            if spec.hist {
                let slots = tally::hists(session, &map, keep)?
                    .pop()
                    .map_or(vec![0; 64], |h| h.1);
                text.push_str(&bcc_log2_text(&slots, &spec.hist_label()));
                items.push(format!(
                    "{{\"spec\": {}, \"unit\": {}, \"buckets\": {}}}",
                    json_string(&head),
                    json_string(&spec.hist_label()),
                    bcc_log2_json(&slots)
                ));
                continue;
            }
            let mut counts = tally::counts(session, &map, keep)?;
            if let Some(t) = top {
                counts.drain(..counts.len().saturating_sub(t));
            }
            text.push_str(&format!("{head}\n\t{:<10} {}\n", "COUNT", "EVENT"));
            let mut rows = Vec::new();
            for (k, c) in &counts {
                let values = tally::key_parts(k);
                let shown: Vec<String> = values.iter().map(Value::to_text).collect();
                text.push_str(&format!("\t{c:<10} {}\n", spec.key_text(&shown)));
                let fields: Vec<String> = spec
                    .exprs
                    .iter()
                    .zip(&values)
                    .map(|((_, e), v)| format!("{}: {}", json_string(e), json_value(v)))
                    .collect();
                rows.push(format!(
                    "{{\"count\": {c}, \"values\": {{{}}}}}",
                    fields.join(", ")
                ));
            }
            items.push(format!(
                "{{\"spec\": {}, \"counts\": [{}]}}",
                json_string(&head),
                rows.join(", ")
            ));
        }
        Ok(match self.params.json {
            true => format!(
                "{{\"time\": \"{}\", \"probes\": [{}]}}\n",
                clock_time(),
                items.join(", ")
            ),
            false => text,
        })
    }

    fn ticks(&self) -> bool {
        true
    }

    fn default_interval(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
}
