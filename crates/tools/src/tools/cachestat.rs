//! cachestat: page cache hits, misses and dirtied pages per interval, with
//! the hit ratio and the size of the buffer and page caches (BCC's columns).
//!
//! With kprobes or fentry it counts what BCC counts: calls of
//! folio_mark_accessed (or mark_page_accessed), folios added to the cache,
//! folios dirtied (at the writeback tracepoint inside the accounting
//! function, which kernels inline) and buffers dirtied, and DIRTIES is
//! mark_buffer_dirty's count. Without them (this kernel) it counts pages through tracepoints:
//! accesses are the pages reads ask of the cache (so writes and mmap
//! accesses, which BCC counts as hits, are not counted), misses the pages
//! added less those dirtied, and DIRTIES the pages dirtied. `-v` says which.

use crate::params::Params;
use crate::spec::*;

const KFUNCS: &str = include_str!("../../tools/cachestat-kprobe.bt");
const TRACEPOINTS: &str = include_str!("../../tools/cachestat.bt");

pub static TOOL: Tool = Tool {
    name: "cachestat",
    summary: "Count page cache hits and misses per interval",
    answers: "Is the page cache serving reads, or are they going to disk?",
    flags: &[Flag::switch(
        'T',
        "timestamp",
        "Include a timestamp on output",
    )],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::text("probe", "fentry"),
        Slot::text("accessed", "folio_mark_accessed"),
        Slot::text("added", "filemap_add_folio"),
        Slot::text("dirtied", "writeback_dirty_folio"),
        Slot::text(
            "folio_pages",
            "$f->flags.f & (1 << PG_head) ? 1 << ($f->_flags_1 & 0xff) : 1",
        ),
    ],
    plans: &[
        Plan::new("fentry", "cachestat-kprobe.bt", KFUNCS, &[Need::Fentry]),
        Plan {
            set: &[("probe", "kprobe")],
            ..Plan::new("kprobe", "cachestat-kprobe.bt", KFUNCS, &[Need::Kprobes])
        },
        // Kernels before folios.
        Plan {
            set: &[
                ("probe", "kprobe"),
                ("accessed", "mark_page_accessed"),
                ("added", "add_to_page_cache_lru"),
                ("dirtied", "writeback_dirty_page"),
            ],
            ..Plan::new(
                "kprobe-page",
                "cachestat-kprobe.bt",
                KFUNCS,
                &[Need::Kprobes],
            )
        },
        // Folio flags as a struct (6.17+).
        Plan::new(
            "tracepoint",
            "cachestat.bt",
            TRACEPOINTS,
            &[
                Need::Btf,
                Need::Tracepoint("filemap:mm_filemap_add_to_page_cache"),
            ],
        ),
        // Folio flags as a word.
        Plan {
            set: &[(
                "folio_pages",
                "$f->flags & (1 << PG_head) ? 1 << ($f->_flags_1 & 0xff) : 1",
            )],
            ..Plan::new(
                "tracepoint-flags-word",
                "cachestat.bt",
                TRACEPOINTS,
                &[
                    Need::Btf,
                    Need::Tracepoint("filemap:mm_filemap_add_to_page_cache"),
                ],
            )
        },
    ],
    output: Output::Table(Table {
        tracing: "",
        maps: &[
            "@mpa",
            "@mbd",
            "@apcl",
            "@apd",
            "@accessed",
            "@added",
            "@dirtied",
        ],
        key: &[],
        columns: &[
            Column::when("TIME", "time", -8, "timestamp"),
            Column::new("HITS", "hits", 8),
            Column::new("MISSES", "misses", 8),
            Column::new("DIRTIES", "dirties", 8),
            Column::new("HITRATIO", "hit_pct", 8),
            Column::new("BUFFERS_MB", "buffers_mb", 12),
            Column::new("CACHED_MB", "cached_mb", 10),
        ],
        finish,
        order: None,
        header_every_interval: false,
        interval_header: "",
        default_interval: 1,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool cachestat", "one line per second"),
        (
            "scry tool cachestat -T 5 3",
            "every five seconds, three lines, timestamped",
        ),
    ],
};

/// BCC's arithmetic, from whichever counts the plan gathered.
fn finish(row: &mut Row, _: &Params) -> bool {
    let (total, misses, dirties) = if int_field(row, "mpa") + int_field(row, "apcl") > 0 {
        let mbd = int_field(row, "mbd");
        (
            int_field(row, "mpa") - mbd,
            int_field(row, "apcl") - int_field(row, "apd"),
            mbd,
        )
    } else {
        let dirtied = int_field(row, "dirtied");
        (
            int_field(row, "accessed"),
            int_field(row, "added") - dirtied,
            dirtied,
        )
    };
    let (hits, misses) = split(total.max(0), misses.max(0));
    let ratio = if hits + misses > 0 {
        100.0 * hits as f64 / (hits + misses) as f64
    } else {
        0.0
    };
    let (buffers, cached) = meminfo_mb();
    set_field(row, "hits", Cell::Int(hits));
    set_field(row, "misses", Cell::Int(misses));
    set_field(row, "dirties", Cell::Int(dirties));
    set_field(row, "hit_pct", Cell::Percent(ratio));
    set_field(row, "buffers_mb", Cell::Num(buffers, 0));
    set_field(row, "cached_mb", Cell::Num(cached, 0));
    true
}

/// Hits and misses of `total` accesses: more misses than accesses (read
/// ahead adds pages before they are read) count as all misses, as in BCC.
fn split(total: i64, misses: i64) -> (i64, i64) {
    if misses > total {
        (0, total)
    } else {
        (total - misses, misses)
    }
}

/// Buffers and Cached of /proc/meminfo, in MiB.
fn meminfo_mb() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("Buffers") / 1024.0, kb("Cached") / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_beyond_accesses_are_all_misses() {
        assert_eq!(split(100, 10), (90, 10));
        assert_eq!(split(10, 100), (0, 10));
        assert_eq!(split(0, 0), (0, 0));
    }

    #[test]
    fn meminfo_has_the_page_cache() {
        let (_, cached) = meminfo_mb();
        assert!(cached > 0.0);
    }
}
