//! scry-output: the neutral output model (values, map dumps, histograms)
//! and its renderers, byte-for-byte compatible with bpftrace 0.17's text
//! and `-f json` output. This crate never sees a BPF type: the runtime
//! decodes map bytes and events into [`Value`] / [`MapDump`] and calls the
//! renderers here.
//!
//! Conventions: `*_text` functions return exactly the bytes to write,
//! newlines included; `*_json` functions return one JSON line without its
//! newline (`map_json` returns `None` for an empty map, which bpftrace does
//! not print at all); `end_of_run_*` return whole blocks.

pub mod bcc_hist;
pub mod events;
pub mod hist;
pub mod map;
pub mod printf;
pub mod time;
pub mod value;

pub use bcc_hist::{
    bcc_linear_json, bcc_linear_text, bcc_log2_json, bcc_log2_text, bcc_slot_range, bcc_slots,
};
pub use events::*;
pub use hist::{
    format_int_human, hist_label, hist_len, hist_range, lhist_bucket, lhist_index_label, lhist_len,
    log2_bucket, log2_bucket_k, Histogram, Lhist,
};
pub use map::{
    end_of_run_json, end_of_run_text, map_json, print_map_text, sorted_entries, Agg, MapDump,
    MapKind,
};
pub use printf::{
    check_args, format_printf, format_printf_bytes, parse_format, ArgKind, Conv, Length, Printf,
    Spec,
};
pub use time::{format_time, DEFAULT_TIME_FORMAT};
pub use value::{hex_format_buffer, json_escape, json_string, Value};
