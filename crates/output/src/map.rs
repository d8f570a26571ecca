//! Maps: the aggregated values the runtime reads back, and bpftrace's text
//! (`print(@m)`, end of run) and JSON forms of a whole map.

use crate::hist::{Histogram, Lhist};
use crate::value::{cmp_key, cmp_key_bytes, json_escape, Value};

/// The value stored under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agg {
    /// A plain assignment (`@x = expr`).
    Scalar(Value),
    Count(u64),
    Sum(i64),
    Min(i64),
    Max(i64),
    /// `avg()`: printed `sum / count` (integer division, 0 when empty).
    Avg {
        sum: i64,
        count: u64,
    },
    /// `stats()`: printed `count C, average A, total T`.
    Stats {
        sum: i64,
        count: u64,
    },
    Hist(Histogram),
    Lhist(Lhist),
}

/// The kind of a map, needed to print an empty map as bpftrace does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    Scalar,
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Stats,
    Hist,
    Lhist,
}

impl MapKind {
    /// The kind of map that holds this value.
    pub fn of(agg: &Agg) -> MapKind {
        match agg {
            Agg::Scalar(_) => MapKind::Scalar,
            Agg::Count(_) => MapKind::Count,
            Agg::Sum(_) => MapKind::Sum,
            Agg::Min(_) => MapKind::Min,
            Agg::Max(_) => MapKind::Max,
            Agg::Avg { .. } => MapKind::Avg,
            Agg::Stats { .. } => MapKind::Stats,
            Agg::Hist(_) => MapKind::Hist,
            Agg::Lhist(_) => MapKind::Lhist,
        }
    }

    fn is_hist(self) -> bool {
        matches!(self, MapKind::Hist | MapKind::Lhist)
    }

    fn is_stats(self) -> bool {
        matches!(self, MapKind::Avg | MapKind::Stats)
    }

    /// The `"type"` of this map's `-f json` message.
    pub fn json_type(self) -> &'static str {
        if self.is_hist() {
            "hist"
        } else if self.is_stats() {
            "stats"
        } else {
            "map"
        }
    }
}

/// A whole map as read back from the kernel, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDump {
    /// `"@x"`, or `"@"` for the anonymous map.
    pub name: String,
    /// Used only to print an empty map (bpftrace prints an empty avg/stats
    /// map as two newlines, any other as one); otherwise the entries' own
    /// kind wins.
    pub kind: MapKind,
    /// One entry per key: `None` for a keyless map (`@x`), the value for
    /// `@x[k]`, a [`Value::Tuple`] of the arguments for `@x[a, b]`.
    pub entries: Vec<(Option<Value>, Agg)>,
}

impl MapDump {
    /// An empty map.
    pub fn new(name: impl Into<String>, kind: MapKind) -> Self {
        MapDump {
            name: name.into(),
            kind,
            entries: Vec::new(),
        }
    }

    /// Adds one entry (builder style).
    pub fn with(mut self, key: Option<Value>, agg: Agg) -> Self {
        self.entries.push((key, agg));
        self
    }

    /// The kind that decides the format: the entries', else `kind`.
    pub fn effective_kind(&self) -> MapKind {
        self.entries
            .first()
            .map_or(self.kind, |(_, agg)| MapKind::of(agg))
    }
}

/// A key's arguments: none, one, or the elements of a multi-key tuple.
fn key_args(key: &Option<Value>) -> &[Value] {
    match key {
        None => &[],
        Some(Value::Tuple(args)) => args,
        Some(v) => std::slice::from_ref(v),
    }
}

fn avg_of(sum: i64, count: u64) -> i64 {
    if count == 0 {
        0
    } else {
        sum / count as i64
    }
}

/// What bpftrace sorts plain maps by: the value itself, for integers.
fn int_sort_key(a: &Agg) -> Option<i128> {
    Some(match a {
        Agg::Count(x) => *x as i128,
        Agg::Sum(x) | Agg::Min(x) | Agg::Max(x) => *x as i128,
        Agg::Scalar(Value::Int(x)) => *x as i128,
        Agg::Scalar(Value::UInt(x)) => *x as i128,
        Agg::Scalar(Value::Bool(x)) => *x as i128,
        _ => return None,
    })
}

/// The entries in bpftrace's print order:
/// * count / sum / min / max / integer maps: by value, ascending;
/// * histograms: by the total count of all buckets, ascending;
/// * avg / stats: by the average, ascending;
/// * other maps (strings, tuples, stacks ...): by key (integers as unsigned
///   numbers, strings bytewise, multi-keys argument by argument).
///
/// Ties, which bpftrace leaves in hash order, are broken by key so output
/// is deterministic.
pub fn sorted_entries(map: &MapDump) -> Vec<&(Option<Value>, Agg)> {
    let kind = map.effective_kind();
    let mut v: Vec<&(Option<Value>, Agg)> = map.entries.iter().collect();
    let by_value = v.iter().all(|e| int_sort_key(&e.1).is_some());
    if kind.is_hist() || kind.is_stats() {
        v.sort_by(|a, b| cmp_key_bytes(key_args(&a.0), key_args(&b.0)));
        v.sort_by_key(|e| match &e.1 {
            Agg::Hist(h) => h.total() as i128,
            Agg::Lhist(h) => h.total() as i128,
            Agg::Avg { sum, count } | Agg::Stats { sum, count } => avg_of(*sum, *count) as i128,
            _ => 0,
        });
    } else if by_value {
        v.sort_by(|a, b| {
            int_sort_key(&a.1)
                .cmp(&int_sort_key(&b.1))
                .then_with(|| cmp_key(key_args(&a.0), key_args(&b.0)))
        });
    } else {
        v.sort_by(|a, b| cmp_key(key_args(&a.0), key_args(&b.0)));
    }
    v
}

/// Applies `top` as bpftrace does: keep the last `top` entries.
/// (bpftrace ignores `top` for stats() maps, and so does this.)
fn apply_top<T>(v: Vec<T>, top: usize, kind: MapKind) -> Vec<T> {
    if top == 0 || v.len() <= top || kind == MapKind::Stats {
        return v;
    }
    let skip = v.len() - top;
    v.into_iter().skip(skip).collect()
}

fn div_i(v: i64, div: u64) -> i64 {
    v / div.max(1) as i64
}

/// Text of one value of a plain or stats map (`div` applied where
/// bpftrace applies it).
fn agg_text(agg: &Agg, div: u64) -> String {
    let d = div.max(1);
    match agg {
        Agg::Scalar(Value::Int(v)) => div_i(*v, d).to_string(),
        Agg::Scalar(Value::UInt(v)) => (v / d).to_string(),
        Agg::Scalar(v) => v.to_text(),
        Agg::Count(v) => (v / d).to_string(),
        Agg::Sum(v) | Agg::Min(v) | Agg::Max(v) => div_i(*v, d).to_string(),
        Agg::Avg { sum, count } => div_i(avg_of(*sum, *count), d).to_string(),
        Agg::Stats { sum, count } => format!(
            "count {count}, average {}, total {sum}",
            avg_of(*sum, *count)
        ),
        Agg::Hist(h) => h.to_text(d),
        Agg::Lhist(h) => h.to_text(),
    }
}

fn key_text(name: &str, key: &Option<Value>) -> String {
    let key = key_args(key);
    if key.is_empty() {
        return name.to_string();
    }
    let args: Vec<String> = key.iter().map(Value::to_key_text).collect();
    format!("{name}[{}]", args.join(", "))
}

/// bpftrace's text for `print(@m, top, div)` (and, with `top = 0, div = 0`,
/// for the map at the end of the run), including its trailing newline(s):
/// plain maps end with one newline, histogram maps and avg/stats maps with
/// a blank line; an empty map prints one empty line.
pub fn print_map_text(map: &MapDump, top: usize, div: u64) -> String {
    let kind = map.effective_kind();
    let entries = apply_top(sorted_entries(map), top, kind);
    let delim = match entries.first() {
        Some((_, Agg::Scalar(v))) if v.ends_with_newline() => "",
        _ => "\n",
    };
    let elems: Vec<String> = entries
        .iter()
        .map(|(key, agg)| {
            let sep = if kind.is_hist() { ": \n" } else { ": " };
            format!("{}{sep}{}", key_text(&map.name, key), agg_text(agg, div))
        })
        .collect();
    let mut s = elems.join(delim);
    s.push('\n');
    if kind.is_stats() {
        s.push('\n');
    }
    s
}

fn agg_json(agg: &Agg, div: u64) -> String {
    let d = div.max(1);
    match agg {
        Agg::Scalar(Value::Int(v)) => div_i(*v, d).to_string(),
        Agg::Scalar(Value::UInt(v)) => (v / d).to_string(),
        Agg::Scalar(v) => v.to_json(),
        Agg::Stats { sum, count } => format!(
            "{{\"count\": {count}, \"average\": {}, \"total\": {sum}}}",
            avg_of(*sum, *count)
        ),
        Agg::Hist(h) => h.to_json(d),
        Agg::Lhist(h) => h.to_json(),
        other => agg_text(other, d),
    }
}

/// bpftrace `-f json`'s line for `print(@m, top, div)` / the end of the
/// run, without its newline: `{"type": "map", "data": {"@x": {"k": 1}}}`
/// (`"hist"` for histograms, `"stats"` for avg/stats). Keys are the key's
/// arguments joined by `,`. `None` for an empty map: bpftrace prints
/// nothing at all for it.
pub fn map_json(map: &MapDump, top: usize, div: u64) -> Option<String> {
    if map.entries.is_empty() {
        return None;
    }
    let kind = map.effective_kind();
    let entries = apply_top(sorted_entries(map), top, kind);
    let keyed = map.entries.first().is_some_and(|(k, _)| k.is_some());
    let elems: Vec<String> = entries
        .iter()
        .map(|(key, agg)| {
            let val = agg_json(agg, div);
            let args = key_args(key);
            if args.is_empty() {
                val
            } else {
                let args: Vec<String> = args.iter().map(Value::to_key_text).collect();
                format!("\"{}\": {val}", json_escape(&args.join(",")))
            }
        })
        .collect();
    let body = elems.join(", ");
    let body = if keyed { format!("{{{body}}}") } else { body };
    Some(format!(
        "{{\"type\": \"{}\", \"data\": {{\"{}\": {body}}}}}",
        kind.json_type(),
        json_escape(&map.name)
    ))
}

/// What bpftrace prints at the end of a run in text mode: two newlines,
/// then every map in name order.
pub fn end_of_run_text(maps: &[MapDump]) -> String {
    let mut sorted: Vec<&MapDump> = maps.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut s = String::from("\n\n");
    for m in sorted {
        s.push_str(&print_map_text(m, 0, 0));
    }
    s
}

/// The same in `-f json` mode: the two newlines (bpftrace prints them
/// there too), then one line per non-empty map, each with its newline.
pub fn end_of_run_json(maps: &[MapDump]) -> String {
    let mut sorted: Vec<&MapDump> = maps.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut s = String::from("\n\n");
    for line in sorted.into_iter().filter_map(|m| map_json(m, 0, 0)) {
        s.push_str(&line);
        s.push('\n');
    }
    s
}
