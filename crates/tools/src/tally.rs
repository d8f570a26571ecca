//! Map reads shared by the generic tools' printers: counts by key in BCC's
//! order (smallest first, so the busiest end up next to the prompt),
//! totals, histograms by key; each read clears the map unless the tool
//! keeps its counts across intervals (argdist `-c`).

use crate::runner::{clear_map, read_map};
use scry_output::{bcc_slots, Agg, Value};
use scry_runtime::session::Session;

/// One histogram: its key (none for a keyless map) and BCC's log2 slots.
pub type Keyed = (Option<Value>, Vec<u64>);

/// The integer of a count or sum.
pub fn agg_u64(a: &Agg) -> u64 {
    match a {
        Agg::Count(c) => *c,
        Agg::Sum(s) => (*s).max(0) as u64,
        Agg::Avg { sum, .. } | Agg::Stats { sum, .. } => (*sum).max(0) as u64,
        Agg::Scalar(v) => v.int_bits().unwrap_or(0),
        _ => 0,
    }
}

/// The key's text for sorting ties.
fn key_text(k: &Option<Value>) -> String {
    k.as_ref().map(Value::to_key_text).unwrap_or_default()
}

/// Counts by key, smallest first (ties in key order); zero counts left
/// out. The map is cleared unless `keep`.
pub fn counts(
    session: &Session,
    map: &str,
    keep: bool,
) -> Result<Vec<(Option<Value>, u64)>, String> {
    let dump = read_map(session, map)?;
    let mut v: Vec<(Option<Value>, u64)> = dump
        .entries
        .iter()
        .map(|(k, a)| (k.clone(), agg_u64(a)))
        .filter(|(_, c)| *c > 0)
        .collect();
    v.sort_by_key(|(k, _)| key_text(k));
    v.sort_by_key(|(_, c)| *c);
    if !keep {
        clear_map(session, map)?;
    }
    Ok(v)
}

/// A keyless count or sum (0 when never written); cleared unless `keep`.
pub fn total(session: &Session, map: &str, keep: bool) -> Result<u64, String> {
    let dump = read_map(session, map)?;
    let t = dump.entries.iter().map(|(_, a)| agg_u64(a)).sum();
    if !keep {
        clear_map(session, map)?;
    }
    Ok(t)
}

/// Histograms by key (BCC slots), sorted by key; cleared unless `keep`.
pub fn hists(session: &Session, map: &str, keep: bool) -> Result<Vec<Keyed>, String> {
    let dump = read_map(session, map)?;
    let mut v: Vec<Keyed> = dump
        .entries
        .into_iter()
        .filter_map(|(k, a)| match a {
            Agg::Hist(h) => Some((k, bcc_slots(&h))),
            _ => None,
        })
        .collect();
    v.sort_by_key(|(k, _)| key_text(k));
    if !keep {
        clear_map(session, map)?;
    }
    Ok(v)
}

/// The parts of a map key: the tuple's values, or the one value.
pub fn key_parts(k: &Option<Value>) -> Vec<Value> {
    match k {
        Some(Value::Tuple(v)) => v.clone(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    }
}

/// The first line: on stdout, or on stderr with `--json` (stdout is then
/// JSON only).
pub fn announce(json: bool, line: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if json {
        eprintln!("{line}");
        Ok(())
    } else {
        writeln!(out, "{line}")
    }
}

/// BCC's last line, in text mode.
pub fn detaching(json: bool) -> String {
    match json {
        true => String::new(),
        false => "Detaching...\n".to_string(),
    }
}

/// BCC's blank line and optional `HH:MM:SS` line before an interval's
/// output (`-T`).
pub fn interval_heading(timestamp: bool) -> String {
    match timestamp {
        true => format!("\n{:<8}\n", crate::runner::clock_time()),
        false => "\n".to_string(),
    }
}

/// `"Tracing N functions for "PATTERN"... Hit Ctrl-C to end."`, BCC's
/// first line, with the number of attach points of the session (returns
/// not counted: funclatency attaches twice per function).
pub fn tracing_line(session: &Session, pattern: &str) -> String {
    let mut probes: Vec<&str> = session
        .compiled
        .programs
        .iter()
        .map(|p| p.probe.as_str())
        .filter(|p| {
            !["uretprobe:", "kretprobe:", "fexit:"]
                .iter()
                .any(|r| p.starts_with(r))
        })
        .collect();
    probes.sort_unstable();
    probes.dedup();
    let n = probes.len();
    format!("Tracing {n} functions for \"{pattern}\"... Hit Ctrl-C to end.")
}
