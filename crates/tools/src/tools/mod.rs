//! The tools, one file each: the flag table, the probe plans (scripts under
//! `crates/tools/tools/`), the output plan.

pub mod bashreadline;
pub mod biolatency;
pub mod biopattern;
pub mod biosnoop;
pub mod bitesize;
pub mod capable;
pub mod cpudist;
pub mod execsnoop;
pub mod exitsnoop;
pub mod filelife;
pub mod gethostlatency;
pub mod irqs;
pub mod killsnoop;
mod net;
pub mod offcputime;
pub mod oomkill;
pub mod opensnoop;
pub mod profile;
pub mod runqlat;
pub mod runqlen;
pub mod runqslower;
pub mod statsnoop;
pub mod syncsnoop;
pub mod syscount;
pub mod tcpaccept;
pub mod tcpconnect;
pub mod tcpdrop;
pub mod tcplife;
pub mod tcpretrans;
pub mod tcpstates;
pub mod tcptop;
pub mod threadsnoop;
pub mod vfsstat;
