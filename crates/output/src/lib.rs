//! scry-output
