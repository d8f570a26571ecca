//! scry-asm
