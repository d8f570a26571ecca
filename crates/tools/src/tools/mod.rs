//! The tools, one file each: the flag table, the probe plans (scripts under
//! `crates/tools/tools/`), the output plan.

pub mod argdist;
pub mod argdist_tables;
pub mod bashreadline;
pub mod biolatency;
pub mod biopattern;
pub mod biosnoop;
pub mod bitesize;
pub mod capable;
pub mod cpudist;
pub mod execsnoop;
pub mod exitsnoop;
pub mod funccount;
pub mod funclatency;
pub mod gethostlatency;
pub mod irqs;
pub mod killsnoop;
pub mod offcputime;
pub mod oomkill;
pub mod opensnoop;
pub mod profile;
pub mod runqlat;
pub mod runqlen;
pub mod runqslower;
pub mod stackcount;
pub mod stackcount_out;
pub mod statsnoop;
pub mod syncsnoop;
pub mod syscount;
pub mod tcpretrans;
pub mod threadsnoop;
pub mod trace;
pub mod trace_rows;
pub mod vfsstat;
