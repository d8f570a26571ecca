//! Reads a script's maps back into the output model: per-CPU slots
//! combined, hist/lhist buckets grouped by key.

use crate::bpfsys;
use crate::decode::Decoder;
use scry_lang::spec::{MapSpec, MapValue};
use scry_lang::types::Agg;
use scry_output::{Agg as Out, MapDump, Value};
use std::collections::BTreeMap;
use std::os::fd::RawFd;

fn i64_at(b: &[u8], off: usize) -> i64 {
    b.get(off..off + 8)
        .map(|s| i64::from_ne_bytes(s.try_into().unwrap()))
        .unwrap_or(0)
}

/// The key as a value: none for `@x`, one value, or a tuple for `@x[a, b]`.
fn key_value(d: &Decoder, m: &MapSpec, key: &[u8]) -> Option<Value> {
    if m.key.is_empty() {
        return None;
    }
    let (offs, _) = scry_lang::types::tuple_layout(&m.key);
    let mut vals: Vec<Value> = m
        .key
        .iter()
        .zip(offs)
        .map(|(t, o)| d.value(t, &key[o as usize..]))
        .collect();
    if vals.len() == 1 {
        vals.pop()
    } else {
        Some(Value::Tuple(vals))
    }
}

/// The per-CPU slots of one value.
fn slots(m: &MapSpec, buf: &[u8], ncpus: usize) -> Vec<Vec<u8>> {
    if !m.percpu {
        return vec![buf.to_vec()];
    }
    let stride = m.value_size.div_ceil(8) as usize * 8;
    (0..ncpus)
        .map(|c| buf[c * stride..(c + 1) * stride].to_vec())
        .collect()
}

/// Reads one map.
pub fn read_map(d: &Decoder, m: &MapSpec, fd: RawFd, ncpus: u32) -> std::io::Result<MapDump> {
    let ncpus = ncpus as usize;
    let keys = bpfsys::map_keys(fd, m.key_size as usize)?;
    let stride = m.value_size.div_ceil(8) as usize * 8;
    let mut buf = vec![
        0u8;
        if m.percpu {
            stride * ncpus
        } else {
            m.value_size as usize
        }
    ];
    let mut entries = Vec::new();
    // hist/lhist: user key bytes → bucket counts.
    let mut buckets: BTreeMap<Vec<u8>, BTreeMap<u64, u64>> = BTreeMap::new();
    for key in keys {
        if !bpfsys::map_lookup(fd, &key, &mut buf)? {
            continue;
        }
        let s = slots(m, &buf, ncpus);
        let agg = match &m.value {
            MapValue::Scalar(t) => Out::Scalar(d.value(t, &s[0])),
            MapValue::Agg(Agg::Count) => Out::Count(s.iter().map(|v| i64_at(v, 0) as u64).sum()),
            MapValue::Agg(Agg::Sum) => Out::Sum(s.iter().map(|v| i64_at(v, 0)).sum()),
            MapValue::Agg(a @ (Agg::Min | Agg::Max)) => {
                let set = s.iter().filter(|v| i64_at(v, 8) != 0).map(|v| i64_at(v, 0));
                if *a == Agg::Min {
                    Out::Min(set.min().unwrap_or(0))
                } else {
                    Out::Max(set.max().unwrap_or(0))
                }
            }
            MapValue::Agg(a @ (Agg::Avg | Agg::Stats)) => {
                let sum = s.iter().map(|v| i64_at(v, 0)).sum();
                let count = s.iter().map(|v| i64_at(v, 8) as u64).sum();
                if *a == Agg::Avg {
                    Out::Avg { sum, count }
                } else {
                    Out::Stats { sum, count }
                }
            }
            MapValue::Agg(Agg::Hist { .. } | Agg::Lhist { .. }) => {
                let split = key.len() - 8;
                let bucket = i64_at(&key, split) as u64;
                let count: u64 = s.iter().map(|v| i64_at(v, 0) as u64).sum();
                *buckets
                    .entry(key[..split].to_vec())
                    .or_default()
                    .entry(bucket)
                    .or_default() += count;
                continue;
            }
        };
        entries.push((key_value(d, m, &key), agg));
    }
    for (key, counts) in buckets {
        let agg = match &m.value {
            MapValue::Agg(Agg::Hist { bits }) => {
                Out::Hist(scry_output::Histogram::from_buckets(*bits, &counts))
            }
            MapValue::Agg(Agg::Lhist { min, max, step }) => {
                Out::Lhist(scry_output::Lhist::from_buckets(*min, *max, *step, &counts))
            }
            _ => unreachable!(),
        };
        entries.push((key_value(d, m, &key), agg));
    }
    Ok(MapDump {
        name: m.name.clone(),
        kind: map_kind(&m.value),
        entries,
    })
}

fn map_kind(v: &MapValue) -> scry_output::MapKind {
    use scry_output::MapKind as K;
    match v {
        MapValue::Scalar(_) => K::Scalar,
        MapValue::Agg(Agg::Count) => K::Count,
        MapValue::Agg(Agg::Sum) => K::Sum,
        MapValue::Agg(Agg::Min) => K::Min,
        MapValue::Agg(Agg::Max) => K::Max,
        MapValue::Agg(Agg::Avg) => K::Avg,
        MapValue::Agg(Agg::Stats) => K::Stats,
        MapValue::Agg(Agg::Hist { .. }) => K::Hist,
        MapValue::Agg(Agg::Lhist { .. }) => K::Lhist,
    }
}

/// Empties a map (`clear()`), or sets every value to zero (`zero()`).
pub fn clear_map(m: &MapSpec, fd: RawFd, ncpus: u32, zero: bool) -> std::io::Result<()> {
    let keys = bpfsys::map_keys(fd, m.key_size as usize)?;
    let stride = m.value_size.div_ceil(8) as usize * 8;
    let zeros = vec![
        0u8;
        if m.percpu {
            stride * ncpus as usize
        } else {
            m.value_size as usize
        }
    ];
    for key in keys {
        if zero && !matches!(m.value, MapValue::Agg(Agg::Hist { .. } | Agg::Lhist { .. })) {
            bpfsys::map_update(fd, &key, &zeros)?;
        } else {
            bpfsys::map_delete(fd, &key)?;
        }
    }
    Ok(())
}
