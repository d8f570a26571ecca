//! The tools, one file each: the flag table, the probe plans (scripts under
//! `crates/tools/tools/`), the output plan.

pub mod opensnoop;
