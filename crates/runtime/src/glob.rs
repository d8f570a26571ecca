//! Wildcard matching: the compiler's (probe patterns are part of the
//! language), re-exported for the runtime's listings and lookups.

pub use scry_lang::glob::{glob_match, has_wildcard};
