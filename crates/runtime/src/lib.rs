//! scry-runtime
