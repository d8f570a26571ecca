//! Power-of-two (`hist`) and linear (`lhist`) histograms: the bucket
//! mapping contract shared with the BPF code generator, bucket labels, and
//! bpftrace's text and JSON forms.
//!
//! # `hist(v)` / `hist(v, k)` bucket contract
//!
//! [`log2_bucket_k`] maps a signed 64-bit value to a bucket index; `k`
//! (0..=5, default 0) splits every power of two into `2^k` sub-buckets:
//!
//! * `v < 0`            → 0
//! * `0 <= v < 2^k`     → `v + 1` (one bucket per value)
//! * `v >= 2^k`         → `((l - k + 1) << k) + ((v >> (l - k)) & (2^k - 1)) + 1`
//!   where `l = 63 - v.leading_zeros()` is the position of the highest set bit.
//!
//! For `k = 0` this is bucket 0 = negative, 1 = zero, 2 = `[1]`,
//! 3 = `[2, 4)`, 4 = `[4, 8)`, ..., `2 + floor(log2 v)`, up to 64 for
//! `i64::MAX`. A histogram has [`hist_len`]`(k) = (64 - k) * 2^k + 1`
//! buckets (65 for `k = 0`).
//!
//! (bpftrace 0.17's generated code only looks at the low 32 bits when taking
//! the logarithm, so every value >= 2^31 lands in `[2G, 4G)` there; the
//! mapping above is the corrected one of newer bpftrace, identical below
//! 2^31.)
//!
//! # `lhist(v, min, max, step)` bucket contract
//!
//! [`lhist_bucket`]: `v < min` → 0; `v > max` → `1 + (max - min) / step`;
//! otherwise `1 + (v - min) / step`. So `v == max` lands in the last bucket,
//! labelled `[max, ...)`. An lhist has [`lhist_len`] `= (max - min) / step + 2`
//! buckets.

use std::collections::BTreeMap;

/// Bucket index of `v` in a `hist(v)` (k = 0). See the module docs.
pub fn log2_bucket(v: i64) -> usize {
    log2_bucket_k(v, 0)
}

/// Bucket index of `v` in a `hist(v, k)`, `k` in 0..=5. See the module docs.
pub fn log2_bucket_k(v: i64, k: u8) -> usize {
    let k = k as u32;
    if v < 0 {
        return 0;
    }
    let v = v as u64;
    let mask = (1u64 << k) - 1;
    if v <= mask {
        return v as usize + 1;
    }
    let l = 63 - v.leading_zeros() - k;
    let x = (v >> l) & mask;
    ((((l + 1) as u64) << k) + x + 1) as usize
}

/// Number of buckets of a `hist(v, k)`.
pub fn hist_len(k: u8) -> usize {
    (64 - k as usize) * (1 << k) + 1
}

/// Bucket index of `v` in an `lhist(v, min, max, step)`. See the module docs.
/// (A `step` below 1 is taken as 1 and `max` below `min` as `min`, so that
/// nothing here can panic; the compiler rejects such arguments.)
pub fn lhist_bucket(v: i64, min: i64, max: i64, step: i64) -> usize {
    let step = step.max(1) as u64;
    if v < min {
        0
    } else if v > max {
        1 + lhist_inner(min, max, step as i64)
    } else {
        1 + (v.wrapping_sub(min) as u64 / step) as usize
    }
}

/// Number of in-range buckets, `(max - min) / step`.
fn lhist_inner(min: i64, max: i64, step: i64) -> usize {
    (max.saturating_sub(min).max(0) / step.max(1)) as usize
}

/// Number of buckets of an `lhist(v, min, max, step)`.
pub fn lhist_len(min: i64, max: i64, step: i64) -> usize {
    lhist_inner(min, max, step) + 2
}

/// Formats a number with bpftrace's binary suffixes: divided by 1024 while
/// it divides evenly, up to `E` (`1024` → `1K`, `3145728` → `3M`,
/// `1536` → `1536`, `0` → `0`).
pub fn format_int_human(v: u64) -> String {
    const SUFFIX: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let (mut n, mut i) = (v, 0);
    while n != 0 && n % 1024 == 0 && i < 6 {
        n /= 1024;
        i += 1;
    }
    format!("{n}{}", SUFFIX[i])
}

/// The boundary below bucket `j` (exclusive upper bound of bucket `j`) of a
/// `hist(v, k)`, with its label.
fn hist_bound(j: usize, k: u8) -> (u64, String) {
    let k = k as u32;
    let n = 1u64 << k;
    if j as u64 <= 2 * n {
        return (j as u64, j.to_string());
    }
    let interval = j as u64 & (n - 1);
    let power = (j as u32 >> k) - 1;
    let value = (1u64 << power) * (n + interval);
    let decade = power / 10;
    let suffix = ["", "K", "M", "G", "T", "P", "E"][decade as usize];
    let shown = (1u64 << (power - 10 * decade)) * (n + interval);
    (value, format!("{shown}{suffix}"))
}

/// Text label of bucket `i` of a `hist(v, k)`: `(..., 0)`, `[0]`, `[1]`,
/// `[2, 4)`, `[512, 1K)`, `[1M, 2M)`.
pub fn hist_label(i: usize, k: u8) -> String {
    if i == 0 {
        return "(..., 0)".to_string();
    }
    if i <= 2 << k {
        return format!("[{}]", i - 1);
    }
    format!("[{}, {})", hist_bound(i - 1, k).1, hist_bound(i, k).1)
}

/// Inclusive value range `(min, max)` of bucket `i > 0` of a `hist(v, k)`.
pub fn hist_range(i: usize, k: u8) -> (u64, u64) {
    if i <= 2 << k {
        return (i as u64 - 1, i as u64 - 1);
    }
    (hist_bound(i - 1, k).0, hist_bound(i, k).0 - 1)
}

/// Label of an lhist boundary: `0`, `N` + `M` when a multiple of 1048576,
/// `N` + `K` when a multiple of 1024, else the plain number.
pub fn lhist_index_label(n: i64) -> String {
    const KILO: i64 = 1024;
    const MEGA: i64 = 1024 * 1024;
    if n == 0 {
        "0".to_string()
    } else if n % MEGA == 0 {
        format!("{}M", n / MEGA)
    } else if n % KILO == 0 {
        format!("{}K", n / KILO)
    } else {
        n.to_string()
    }
}

/// A power-of-two histogram: `buckets[i]` counts the values whose
/// [`log2_bucket_k`] is `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// Sub-buckets per power of two, as `2^k` (0 for plain `hist(v)`).
    pub k: u8,
    /// Counts, [`hist_len`]`(k)` long.
    pub buckets: Vec<u64>,
}

impl Histogram {
    /// An empty histogram.
    pub fn new(k: u8) -> Self {
        Histogram {
            k,
            buckets: vec![0; hist_len(k)],
        }
    }

    /// From bucket index → count, as read from the kernel map (the index is
    /// the last 8 bytes of the map key). Out-of-range indexes are ignored.
    pub fn from_buckets(k: u8, counts: &BTreeMap<u64, u64>) -> Self {
        let mut h = Histogram::new(k);
        for (&i, &c) in counts {
            if let Some(b) = h.buckets.get_mut(i as usize) {
                *b += c;
            }
        }
        h
    }

    /// Counts one value (for tests and user-space aggregation).
    pub fn record(&mut self, v: i64) {
        let i = log2_bucket_k(v, self.k);
        self.buckets[i] += 1;
    }

    /// Sum of all buckets (what bpftrace sorts histogram maps by).
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// bpftrace's text block (one line per bucket between the first and the
    /// last non-empty one); counts are divided by `div`, the bars are not.
    pub fn to_text(&self, div: u64) -> String {
        let Some((lo, hi)) = nonzero_span(&self.buckets) else {
            return String::new();
        };
        let max = self.buckets.iter().copied().max().unwrap_or(0);
        let mut s = String::new();
        for i in lo..=hi {
            let v = self.buckets[i];
            push_line(&mut s, &hist_label(i, self.k), v / div.max(1), v, max);
        }
        s
    }

    /// bpftrace's JSON array of `{"min": .., "max": .., "count": ..}`.
    pub fn to_json(&self, div: u64) -> String {
        let Some((lo, hi)) = nonzero_span(&self.buckets) else {
            return "[]".to_string();
        };
        let items: Vec<String> = (lo..=hi)
            .map(|i| {
                let count = self.buckets[i] / div.max(1);
                if i == 0 {
                    format!("{{\"max\": -1, \"count\": {count}}}")
                } else {
                    let (min, max) = hist_range(i, self.k);
                    format!("{{\"min\": {min}, \"max\": {max}, \"count\": {count}}}")
                }
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// A linear histogram: bucket 0 counts values below `min`, the last one
/// values at or above the top, see [`lhist_bucket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lhist {
    pub min: i64,
    pub max: i64,
    pub step: i64,
    /// Counts, [`lhist_len`]`(min, max, step)` long.
    pub buckets: Vec<u64>,
}

impl Lhist {
    /// An empty linear histogram.
    pub fn new(min: i64, max: i64, step: i64) -> Self {
        Lhist {
            min,
            max,
            step,
            buckets: vec![0; lhist_len(min, max, step)],
        }
    }

    /// From bucket index → count, as read from the kernel map.
    pub fn from_buckets(min: i64, max: i64, step: i64, counts: &BTreeMap<u64, u64>) -> Self {
        let mut h = Lhist::new(min, max, step);
        for (&i, &c) in counts {
            if let Some(b) = h.buckets.get_mut(i as usize) {
                *b += c;
            }
        }
        h
    }

    /// Counts one value.
    pub fn record(&mut self, v: i64) {
        let i = lhist_bucket(v, self.min, self.max, self.step);
        if let Some(b) = self.buckets.get_mut(i) {
            *b += 1;
        }
    }

    /// Sum of all buckets.
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }

    fn inner(&self) -> usize {
        lhist_inner(self.min, self.max, self.step)
    }

    /// Text label of bucket `i`: `(..., min)`, `[a, b)`, `[max, ...)`.
    pub fn label(&self, i: usize) -> String {
        if i == 0 {
            format!("(..., {})", lhist_index_label(self.min))
        } else if i == self.inner() + 1 {
            format!("[{}, ...)", lhist_index_label(self.max))
        } else {
            let lo = (i as i64 - 1) * self.step + self.min;
            let hi = i as i64 * self.step + self.min;
            format!("[{}, {})", lhist_index_label(lo), lhist_index_label(hi))
        }
    }

    /// bpftrace's text block; lhist counts are never divided.
    pub fn to_text(&self) -> String {
        let Some((lo, hi)) = nonzero_span(&self.buckets) else {
            return String::new();
        };
        let max = self.buckets.iter().copied().max().unwrap_or(0);
        let mut s = String::new();
        for i in lo..=hi {
            let v = self.buckets[i];
            push_line(&mut s, &self.label(i), v, v, max);
        }
        s
    }

    /// bpftrace's JSON array of buckets.
    pub fn to_json(&self) -> String {
        let Some((lo, hi)) = nonzero_span(&self.buckets) else {
            return "[]".to_string();
        };
        let items: Vec<String> = (lo..=hi)
            .map(|i| {
                let count = self.buckets[i];
                if i == 0 {
                    format!("{{\"max\": {}, \"count\": {count}}}", self.min - 1)
                } else if i == self.inner() + 1 {
                    format!("{{\"min\": {}, \"count\": {count}}}", self.max)
                } else {
                    let lo = (i as i64 - 1) * self.step + self.min;
                    let hi = i as i64 * self.step + self.min - 1;
                    format!("{{\"min\": {lo}, \"max\": {hi}, \"count\": {count}}}")
                }
            })
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// First and last non-zero bucket.
fn nonzero_span(b: &[u64]) -> Option<(usize, usize)> {
    let lo = b.iter().position(|&v| v > 0)?;
    let hi = b.iter().rposition(|&v| v > 0)?;
    Some((lo, hi))
}

/// One histogram line: label left-aligned in 16 columns, count
/// right-aligned in 8, and a 52-column bar scaled to the largest bucket
/// (computed in single precision, as bpftrace does).
fn push_line(s: &mut String, label: &str, shown: u64, v: u64, max: u64) {
    const WIDTH: usize = 52;
    let bar = (v as f32 / max as f32 * WIDTH as f32) as usize;
    s.push_str(&format!(
        "{label:<16}{shown:>8} |{:<WIDTH$}|\n",
        "@".repeat(bar.min(WIDTH))
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_mapping() {
        assert_eq!(log2_bucket(-100), 0);
        assert_eq!(log2_bucket(-1), 0);
        assert_eq!(log2_bucket(0), 1);
        assert_eq!(log2_bucket(1), 2);
        assert_eq!(log2_bucket(2), 3);
        assert_eq!(log2_bucket(3), 3);
        assert_eq!(log2_bucket(4), 4);
        assert_eq!(log2_bucket(1023), 11);
        assert_eq!(log2_bucket(1024), 12);
        assert_eq!(log2_bucket(1 << 40), 42);
        assert_eq!(log2_bucket(i64::MAX), 64);
        assert_eq!(hist_len(0), 65);
        assert_eq!(log2_bucket_k(i64::MAX, 5), hist_len(5) - 1);
        // k = 2, from bpftrace's own comment: 225 -> 28
        assert_eq!(log2_bucket_k(225, 2), 28);
    }

    #[test]
    fn log2_ranges_agree() {
        for k in 0..=3 {
            for v in 0..5000i64 {
                let i = log2_bucket_k(v, k);
                let (lo, hi) = hist_range(i, k);
                assert!(lo <= v as u64 && v as u64 <= hi, "k={k} v={v} i={i}");
            }
        }
    }

    #[test]
    fn labels() {
        assert_eq!(hist_label(0, 0), "(..., 0)");
        assert_eq!(hist_label(1, 0), "[0]");
        assert_eq!(hist_label(2, 0), "[1]");
        assert_eq!(hist_label(3, 0), "[2, 4)");
        assert_eq!(hist_label(11, 0), "[512, 1K)");
        assert_eq!(hist_label(22, 0), "[1M, 2M)");
        assert_eq!(hist_label(52, 0), "[1P, 2P)");
        assert_eq!(hist_label(64, 0), "[4E, 8E)");
        assert_eq!(hist_range(64, 0), (1 << 62, i64::MAX as u64));
        assert_eq!(hist_label(5, 1), "[4, 6)");
        assert_eq!(format_int_human(0), "0");
        assert_eq!(format_int_human(1024), "1K");
        assert_eq!(format_int_human(1536), "1536");
        assert_eq!(format_int_human(3 << 20), "3M");
        assert_eq!(format_int_human(1 << 60), "1E");
        assert_eq!(lhist_index_label(3 << 20), "3M");
        assert_eq!(lhist_index_label(2048), "2K");
        assert_eq!(lhist_index_label(25), "25");
    }

    #[test]
    fn lhist_mapping() {
        assert_eq!(lhist_bucket(-5, 0, 10, 1), 0);
        assert_eq!(lhist_bucket(0, 0, 10, 1), 1);
        assert_eq!(lhist_bucket(9, 0, 10, 1), 10);
        assert_eq!(lhist_bucket(10, 0, 10, 1), 11);
        assert_eq!(lhist_bucket(200, 0, 10, 1), 11);
        assert_eq!(lhist_len(0, 10, 1), 12);
        // uneven step: 9 and 10 both land in the top bucket
        assert_eq!(lhist_bucket(9, 0, 10, 3), 4);
        assert_eq!(lhist_bucket(10, 0, 10, 3), 4);
    }
}
