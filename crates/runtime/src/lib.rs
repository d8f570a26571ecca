//! scry-runtime
pub mod bpfsys;
pub mod child;
pub mod decode;
pub mod elfsyms;
pub mod error;
pub mod features;
pub mod glob;
pub mod listing;
pub mod mapread;
pub mod run;
pub mod session;
pub mod symbols;
pub mod sysenv;
pub mod tracefs;
pub mod usdt;
