//! BCC's log2 histogram layout (`print_log2_hist` of BCC's libbpf-tools,
//! which its Python tools print the same way):
//!
//! ```text
//!      usecs               : count    distribution
//!          0 -> 1          : 0        |                                        |
//!          2 -> 3          : 4        |*****                                   |
//!          4 -> 7          : 31       |****************************************|
//! ```
//!
//! Slot `0` counts the values 0 and 1, slot `i > 0` the values
//! `2^i ..= 2^(i+1) - 1`. Every slot from 0 up to the last non-empty one is
//! printed; the bar is 40 stars wide (20 when values reach slot 33).
//! [`bcc_slots`] converts a bpftrace-style [`Histogram`] (`hist()`) into
//! these slots.

use crate::hist::Histogram;

/// BCC log2 slots from a `hist(v)` histogram (k = 0): bpftrace's buckets
/// `[0]` and `[1]` share slot 0, `[2^i, 2^(i+1))` is slot `i`. Negative
/// values (bucket 0) are counted in slot 0, as BCC's `log2l` would.
pub fn bcc_slots(h: &Histogram) -> Vec<u64> {
    let mut slots = vec![0u64; 64];
    for (b, &count) in h.buckets.iter().enumerate() {
        let slot = if h.k == 0 {
            b.saturating_sub(2)
        } else {
            // Sub-bucketed histograms: place each bucket by its lower bound.
            match b {
                0 => 0,
                _ => {
                    let (lo, _) = crate::hist::hist_range(b, h.k);
                    if lo < 2 {
                        0
                    } else {
                        63 - lo.leading_zeros() as usize
                    }
                }
            }
        };
        if let Some(s) = slots.get_mut(slot) {
            *s += count;
        }
    }
    slots
}

/// The bounds `(low, high)` of slot `i`, as BCC prints them.
pub fn bcc_slot_range(i: usize) -> (u64, u64) {
    if i == 0 {
        return (0, 1);
    }
    let low = 1u64.checked_shl(i as u32).unwrap_or(u64::MAX);
    let high = 1u64.checked_shl(i as u32 + 1).map_or(u64::MAX, |v| v - 1);
    (low, high)
}

/// The histogram block, header line included (`unit` is `usecs`, `msecs`,
/// `nsecs`, `kbytes`...); empty when every slot is zero, as BCC prints
/// nothing then.
pub fn bcc_log2_text(slots: &[u64], unit: &str) -> String {
    let Some(idx_max) = slots.iter().rposition(|&v| v > 0) else {
        return String::new();
    };
    let val_max = slots.iter().copied().max().unwrap_or(0);
    let wide = idx_max > 32;
    let (pad, label_w, width, stars) = if wide {
        (15, 29, 20, 20)
    } else {
        (5, 19, 10, 40)
    };
    let mut s = format!("{:pad$}{unit:<label_w$} : count    distribution\n", "");
    for (i, &val) in slots.iter().enumerate().take(idx_max + 1) {
        let (low, high) = bcc_slot_range(i);
        s.push_str(&format!(
            "{low:>width$} -> {high:<width$} : {val:<8} |{}|\n",
            star_bar(val, val_max, stars)
        ));
    }
    s
}

/// `num_stars = val * width / val_max` stars, padded with spaces.
fn star_bar(val: u64, val_max: u64, width: usize) -> String {
    let n = if val_max == 0 {
        0
    } else {
        (val.min(val_max) as u128 * width as u128 / val_max as u128) as usize
    };
    format!("{}{}", "*".repeat(n), " ".repeat(width - n))
}

/// The slots as a JSON array of `{"min": .., "max": .., "count": ..}`, from
/// slot 0 up to the last non-empty one (`[]` when empty).
pub fn bcc_log2_json(slots: &[u64]) -> String {
    let Some(idx_max) = slots.iter().rposition(|&v| v > 0) else {
        return "[]".to_string();
    };
    let items: Vec<String> = slots
        .iter()
        .enumerate()
        .take(idx_max + 1)
        .map(|(i, c)| {
            let (lo, hi) = bcc_slot_range(i);
            format!("{{\"min\": {lo}, \"max\": {hi}, \"count\": {c}}}")
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// BCC's linear histogram block (runqlen): only the rows from the first
/// to the last non-empty value, empty rows left out, as libbpf-tools'
/// `print_linear_hist` prints them; `vals[i]` counts `base + i * step`.
pub fn bcc_linear_text(vals: &[u64], base: i64, step: i64, unit: &str) -> String {
    let max = vals.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return String::new();
    }
    let mut s = format!("     {unit:<13} : count     distribution\n");
    for (i, &v) in vals.iter().enumerate().filter(|(_, v)| **v > 0) {
        let stars = (v * 40 / max) as usize;
        s.push_str(&format!(
            "        {:<10} : {:<8} |{:<40}|\n",
            base + i as i64 * step,
            v,
            "*".repeat(stars)
        ));
    }
    s
}

/// A linear histogram as JSON: `[{"value": v, "count": c}, ...]`, the
/// non-empty values only.
pub fn bcc_linear_json(vals: &[u64], base: i64, step: i64) -> String {
    let items: Vec<String> = vals
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| format!("{{\"value\": {}, \"count\": {c}}}", base + i as i64 * step))
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_rows() {
        let text = bcc_linear_text(&[0, 5, 0, 10], 0, 1, "runqlen");
        assert_eq!(
            text,
            format!(
                "     runqlen       : count     distribution\n        1          : 5        |{:<40}|\n        3          : 10       |{}|\n",
                "*".repeat(20),
                "*".repeat(40)
            )
        );
        assert_eq!(bcc_linear_text(&[0, 0], 0, 1, "x"), "");
        assert_eq!(
            bcc_linear_json(&[0, 2], 0, 1),
            "[{\"value\": 1, \"count\": 2}]"
        );
    }

    #[test]
    fn slots_from_bpftrace_buckets() {
        let mut h = Histogram::new(0);
        for v in [0, 1, 2, 3, 4, 7, 8, 1000] {
            h.record(v);
        }
        let s = bcc_slots(&h);
        assert_eq!(&s[..4], &[2, 2, 2, 1]);
        assert_eq!(s[9], 1); // 512 -> 1023
        assert_eq!(s.iter().sum::<u64>(), 8);
    }

    #[test]
    fn layout_matches_libbpf_tools() {
        let mut slots = vec![0u64; 64];
        slots[7] = 6;
        slots[8] = 15;
        let text = bcc_log2_text(&slots, "usecs");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "     usecs               : count    distribution");
        assert_eq!(
            lines[1],
            "         0 -> 1          : 0        |                                        |"
        );
        assert_eq!(
            lines[8],
            "       128 -> 255        : 6        |****************                        |"
        );
        assert_eq!(
            lines[9],
            "       256 -> 511        : 15       |****************************************|"
        );
        assert_eq!(lines.len(), 10);
        assert_eq!(bcc_log2_text(&[0; 64], "usecs"), "");
    }

    #[test]
    fn wide_layout_and_json() {
        let mut slots = vec![0u64; 64];
        slots[0] = 1;
        slots[40] = 2;
        let text = bcc_log2_text(&slots, "nsecs");
        assert!(text.starts_with(&format!("{:15}{:<29} : count", "", "nsecs")));
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(" : 1        |**********          |"));
        assert_eq!(
            bcc_log2_json(&[0, 3]),
            "[{\"min\": 0, \"max\": 1, \"count\": 0}, {\"min\": 2, \"max\": 3, \"count\": 3}]"
        );
    }
}
