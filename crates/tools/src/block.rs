//! Block devices for the block I/O tools: a kernel `dev_t` and a disk's
//! name each way, and the tracepoints' `rwbs` flags as BCC names them.

use crate::spec::{Effect, Flag, Kind};
use scry_output::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// `-d DISK` of biosnoop, bitesize and biopattern: the block tracepoints'
/// `dev` compared with the disk's device number.
pub const DISK: Flag = Flag::value(
    'd',
    "disk",
    "DISK",
    Kind::Text,
    "Trace this disk only",
    Effect::FilterWith {
        slot: "filter",
        cond: "args.dev == {}",
        convert: disk_dev,
    },
);

/// A disk name (`vda`, `sdc`, `nvme0n1p1`) as the kernel's `dev_t`
/// (major << 20 | minor), for `-d DISK` filters.
pub fn disk_dev(name: &str) -> Result<String, String> {
    let name = name.trim_start_matches("/dev/");
    let text = std::fs::read_to_string(format!("/sys/class/block/{name}/dev"))
        .map_err(|_| format!("no such disk: '{name}' (see /sys/class/block)"))?;
    let (major, minor) = text
        .trim()
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .ok_or_else(|| format!("{name}: unreadable device number '{}'", text.trim()))?;
    Ok(((major << 20) | minor).to_string())
}

/// A kernel `dev_t` (major << 20 | minor) as its disk's name, from
/// /sys/dev/block; "Unknown" as BCC prints it.
pub fn disk_name(dev: &Value) -> String {
    let Some(n) = dev.int_bits() else {
        return "Unknown".into();
    };
    // Looked up once per device (biosnoop names the disk of every I/O),
    // as libbpf-tools reads the partition table once.
    // A device not there yet is looked up again next time.
    static NAMES: Mutex<BTreeMap<u64, String>> = Mutex::new(BTreeMap::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(name) = names.get(&n) {
        return name.clone();
    }
    match read_disk_name(n) {
        Some(name) => names.entry(n).or_insert(name).clone(),
        None => "Unknown".into(),
    }
}

/// The name of the disk with this `dev_t`, from /sys/dev/block.
fn read_disk_name(n: u64) -> Option<String> {
    let (major, minor) = (n >> 20, n & 0xfffff);
    let text = std::fs::read_to_string(format!("/sys/dev/block/{major}:{minor}/uevent")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("DEVNAME=").map(str::to_string))
}

/// The block tracepoints' `rwbs` text as libbpf-tools names the request
/// flags: `WS` is `Sync-Write`, `FWFS` is `PreFlush-FUA-Sync-Write`.
pub fn rwbs_flags(rwbs: &str) -> String {
    let mut chars = rwbs.chars().peekable();
    let mut preflush = false;
    // A leading F is a preflush when an operation follows.
    if rwbs.len() > 1 && chars.peek() == Some(&'F') {
        preflush = true;
        chars.next();
    }
    let op = match chars.next() {
        Some('R') => "Read",
        Some('W') => "Write",
        Some('F') => "Flush",
        Some('D') => "Discard",
        Some('E') => "SecureErase",
        Some('N') | None => "Unknown",
        Some(_) => "Unknown",
    };
    let rest: String = chars.collect();
    let mut s = String::new();
    if rest.contains('A') {
        s.push_str("ReadAhead-");
    }
    if preflush {
        s.push_str("PreFlush-");
    }
    if rest.contains('F') {
        s.push_str("FUA-");
    }
    if rest.contains('M') {
        s.push_str("Metadata-");
    }
    if rest.contains('S') {
        s.push_str("Sync-");
    }
    s.push_str(op);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_numbers() {
        assert!(disk_dev("no-such-disk")
            .unwrap_err()
            .contains("no such disk"));
    }

    #[test]
    fn rwbs_names() {
        assert_eq!(rwbs_flags("R"), "Read");
        assert_eq!(rwbs_flags("WS"), "Sync-Write");
        assert_eq!(rwbs_flags("FWFS"), "PreFlush-FUA-Sync-Write");
        assert_eq!(rwbs_flags("RA"), "ReadAhead-Read");
        assert_eq!(rwbs_flags("F"), "Flush");
        assert_eq!(rwbs_flags("WM"), "Metadata-Write");
    }
}
