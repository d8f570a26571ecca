//! Reading the kernel verifier's log: which instruction it rejected, its own
//! error line, and, for the failures a script can cause, a hint in the
//! script's terms.
//!
//! A log (`log_level` 1) lists the path the verifier walked, one
//! instruction a line, then the error and a summary:
//!
//! ```text
//! 0: R1=ctx() R10=fp0
//! 0: (b7) r0 = 0                        ; R0=0
//! 1: (79) r0 = *(u64 *)(r0 +0)
//! R0 invalid mem access 'scalar'
//! processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 ...
//! ```
//!
//! The failing instruction is the last `N: (xx) ...` line before the error;
//! errors found before the walk (`unreachable insn 2`, `back-edge from insn
//! 7 to 3`) name it in the message instead. This is text processing only:
//! it makes no system call.

use std::fmt;

use crate::helpers::helper_name;

/// What went wrong, read from a verifier log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Index of the rejected instruction, when the log says.
    pub insn: Option<usize>,
    /// The verifier's own error text, e.g. `R1 invalid mem access 'scalar'`
    /// (several lines when the kernel printed several, joined by `\n`).
    pub message: String,
    /// What it usually means for a script, and what to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Explanation {
    /// `instruction 7: R0 invalid mem access 'scalar'` then, on its own
    /// line, `hint: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.insn {
            write!(f, "instruction {i}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// The message used when the log holds no error line (it was empty, or
/// truncated before the end on a kernel that keeps the start of the log).
pub const NO_MESSAGE: &str = "the verifier log has no error message (empty or truncated)";

/// Reads a verifier log.
pub fn explain(log: &str) -> Explanation {
    let mut last_insn = None;
    let mut insn_at_error = None;
    let mut errors: Vec<&str> = Vec::new();
    for line in log.lines() {
        let line = line.trim_end();
        if let Some(idx) = insn_line(line) {
            // A new instruction after error-looking lines means those were
            // not the error (e.g. a helper's note): keep only the last block.
            errors.clear();
            last_insn = Some(idx);
        } else if !is_noise(line) {
            if errors.is_empty() {
                insn_at_error = last_insn;
            }
            errors.push(line);
        }
    }
    if errors.is_empty() {
        return Explanation {
            insn: None,
            message: NO_MESSAGE.to_string(),
            hint: None,
        };
    }
    let message = errors.join("\n");
    let insn = insn_at_error.or_else(|| insn_in_message(&message));
    let hint = hint_for(&message);
    Explanation {
        insn,
        message,
        hint,
    }
}

/// `12: (79) r1 = *(u64 *)(r10 -8)` → 12. State lines (`0: R1=ctx()`) are
/// not instructions.
fn insn_line(line: &str) -> Option<usize> {
    let (num, rest) = line.split_once(": (")?;
    let idx = num.parse().ok()?;
    let bytes = rest.as_bytes();
    let hex = bytes.len() >= 3 && bytes[..2].iter().all(u8::is_ascii_hexdigit) && bytes[2] == b')';
    hex.then_some(idx)
}

/// Lines of a log that are not an error: register states, source lines,
/// branch markers, the statistics at the end, libbpf's frame.
fn is_noise(line: &str) -> bool {
    const PREFIXES: &[&str] = &[
        ";",
        "processed ",
        "verification time",
        "stack depth",
        "func#",
        "Func#",
        "from ",
        "cur state:",
        "old state:",
        "caller:",
        "callee:",
        "returning from callee",
        "to caller at",
        "mark_precise:",
        "last_idx ",
        "parent ",
        "regs=",
        "propagating ",
        "Validating ",
        "-- BEGIN",
        "-- END",
        "Verifier analysis",
    ];
    if line.is_empty() || line.starts_with(char::is_whitespace) {
        return true;
    }
    if PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    // `3: R1=ctx() R10=fp0`, `7: frame1: ...`, `4: safe`: a state at an index.
    match line.split_once(": ") {
        Some((num, _)) => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// `unreachable insn 2`, `back-edge from insn 7 to 3`, `jump out of range
/// from insn 1 to 9`, `infinite loop detected at insn 4` → the first index.
fn insn_in_message(message: &str) -> Option<usize> {
    let at = message.find("insn ")?;
    let digits: String = message[at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The register a message is about: `R0 invalid mem access` → `R0`.
fn register(message: &str) -> Option<&str> {
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() >= 2 && w.starts_with('R') && w[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// The number after `key` in `message`: `off=` in `... off=-520 size=8`.
fn number_after(message: &str, key: &str) -> Option<i64> {
    let at = message.find(key)? + key.len();
    let rest = &message[at..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// `program of this type cannot use helper bpf_get_stackid#27` → (name, 27).
fn helper_in(message: &str) -> Option<(String, i32)> {
    let hash = message.rfind('#')?;
    let id: i32 = message[hash + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    let name = helper_name(id).map_or_else(|| format!("helper #{id}"), |n| format!("{n} (#{id})"));
    Some((name, id))
}

const STACK_HINT: &str = "the program needs more than 512 bytes of stack: use smaller strings \
     (BPFTRACE_MAX_STRLEN / -s) or fewer variables";
const LOOP_HINT: &str = "the verifier could not finish checking the program within its budget \
     (1,000,000 instructions): an unbounded or too complex loop, or too many branches; bound \
     `while` loops by a small constant, lower `unroll` counts, or split the work across probes";
const BOUNDS_HINT: &str = "a variable index or size is not bounded: the verifier must see that \
     it lies within the buffer, so clamp it first (`if ($i < 64)` or `$i & 63`) and keep it \
     unsigned";
const CODEGEN_HINT: &str = "this is a bug in scry's code generation, not in the script: please \
     report it with the script and `scry -d asm` output";

/// A hint for the error text, for the failures scripts commonly cause.
pub fn hint_for(message: &str) -> Option<String> {
    let m = message;
    let has = |s: &str| m.contains(s);
    let reg = register(m).unwrap_or("a register");

    // Stack size.
    if has("combined stack size") || (has("stack size") && m.to_lowercase().contains("too large")) {
        return Some(STACK_HINT.to_string());
    }
    if (has("invalid write to stack")
        || has("invalid read from stack")
        || has("invalid indirect access to stack"))
        && has("off=")
    {
        let off = number_after(m, "off=").unwrap_or(-1);
        if off >= 0 && has("stack R10 ") {
            return Some(format!(
                "an access above the frame pointer (r10 {off:+}): the stack grows down from r10; {CODEGEN_HINT}"
            ));
        }
        return Some(STACK_HINT.to_string());
    }

    // Loops and complexity.
    if has("back-edge from insn") {
        return Some(
            "the program contains a loop, which this kernel or user cannot load (bounded loops \
             need Linux 5.3 and CAP_BPF or root): use `unroll` instead of `while`"
                .to_string(),
        );
    }
    if has("infinite loop detected") {
        return Some(
            "the verifier found a loop that never ends: make sure the loop condition changes on \
             every iteration"
                .to_string(),
        );
    }
    if has("BPF program is too large")
        || (has("the sequence of") && has("jumps is too complex"))
        || has("too many states")
    {
        return Some(LOOP_HINT.to_string());
    }

    // Helpers.
    if has("cannot call GPL-restricted function") {
        return Some(
            "this helper is GPL-only: the program must be loaded with a GPL-compatible license"
                .to_string(),
        );
    }
    if has("program of this type cannot use helper")
        || has("unknown func")
        || has("invalid func")
        || has("helper call is not allowed in probe")
    {
        let (name, id) = helper_in(m).unwrap_or_else(|| ("a helper".to_string(), -1));
        if has("cannot use helper") || has("not allowed in probe") {
            return Some(format!(
                "{name} cannot be used in this probe type: use the builtin or function that \
                 needs it from another probe type"
            ));
        }
        if helper_name(id).is_some() {
            return Some(format!(
                "{name} is not available here: this probe type cannot use it or the kernel is \
                 too old for it"
            ));
        }
        return Some(format!(
            "{name} is not known to this kernel: it is too old for a feature the script uses"
        ));
    }

    // Pointers.
    if has("invalid mem access") && has("_or_null") {
        return Some(format!(
            "{reg} may be NULL here: a pointer returned by a helper (such as a map lookup) \
             must be checked against 0 before it is dereferenced; {CODEGEN_HINT}"
        ));
    }
    if has("invalid mem access 'scalar'") || has("invalid mem access 'inv'") {
        return Some(format!(
            "{reg} holds a plain number, not a pointer the verifier can check: kernel and user \
             memory must be read through a probe read; cast the value to a pointer type (e.g. \
             `((struct task_struct *)$p)->pid`) or use str()/buf() instead of dereferencing it"
        ));
    }
    if has("invalid mem access") {
        return Some(format!(
            "{reg} is not a pointer this program may dereference directly: read the memory \
             through a probe read (cast it to a pointer type, or use str()/buf())"
        ));
    }

    // Bounds.
    if has("min value is negative")
        || has("unbounded memory access")
        || has("unbounded min value")
        || has("invalid unbounded variable-offset")
        || has("invalid variable-offset")
        || has("max value is outside of the allowed memory range")
        || has("makes fp pointer be out of bounds")
    {
        return Some(BOUNDS_HINT.to_string());
    }
    if has("invalid access to map value") {
        let size = number_after(m, "value_size=");
        let off = number_after(m, " off=");
        let len = number_after(m, " size=");
        if let (Some(size), Some(off), Some(len)) = (size, off, len) {
            return Some(format!(
                "an access of {len} bytes at offset {off} goes past the end of the {size}-byte \
                 map value; if the offset is a variable, bound it first; otherwise {CODEGEN_HINT}"
            ));
        }
        return Some(BOUNDS_HINT.to_string());
    }

    // Uninitialized memory and registers.
    if has("invalid indirect read from stack")
        || (has("read from stack") && (has(" off ") || has(" var_off ")))
    {
        return Some(
            "stack memory is read before it was written: the buffer must be fully initialized \
             (zeroed) before it is read or passed to a helper"
                .to_string(),
        );
    }
    if has("R0 !read_ok") {
        return Some(format!(
            "the program reaches exit without setting R0 (its return value); {CODEGEN_HINT}"
        ));
    }
    if has("!read_ok") {
        return Some(format!("{reg} is read before it is set; {CODEGEN_HINT}"));
    }

    // Context, references, leaks, types.
    if has("invalid bpf_context access") {
        return Some(
            "the probe reads past the fields of its context (args): check the field name and \
             the probe type"
                .to_string(),
        );
    }
    if has("Unreleased reference") {
        return Some(format!(
            "a ring buffer reservation (or another reference) is not submitted or released on \
             every path; {CODEGEN_HINT}"
        ));
    }
    if has("leaks addr") {
        return Some(
            "a kernel pointer would be stored in a map or printed: convert it to an integer \
             first (this needs CAP_PERFMON or root)"
                .to_string(),
        );
    }
    if has(" type=") && has(" expected=") {
        return Some(format!(
            "a helper argument has the wrong type ({}); {CODEGEN_HINT}",
            m.lines().find(|l| l.contains(" expected=")).unwrap_or(m)
        ));
    }
    if has("unreachable insn")
        || has("jump out of range")
        || has("last insn is not an exit or jmp")
        || has("invalid BPF_LD_IMM")
        || has("unknown opcode")
        || has("invalid insn")
    {
        return Some(CODEGEN_HINT.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real logs from Linux 6.18 (log_level 1).
    const SCALAR: &str = "\
0: R1=ctx() R10=fp0
0: (b7) r0 = 0                        ; R0=0
1: (79) r0 = *(u64 *)(r0 +0)
R0 invalid mem access 'scalar'
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const OR_NULL: &str = "\
0: R1=ctx() R10=fp0
0: (62) *(u32 *)(r10 -4) = 0          ; R10=fp0 fp-8=0000????
1: (bf) r2 = r10                      ; R2=fp0 R10=fp0
2: (07) r2 += -4                      ; R2=fp-4
3: (18) r1 = 0xffff888100256400       ; R1=map_ptr(ks=4,vs=8)
5: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,ks=4,vs=8)
6: (79) r0 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const MAP_OOB: &str = "\
0: R1=ctx() R10=fp0
0: (62) *(u32 *)(r10 -4) = 0          ; R10=fp0 fp-8=0000????
1: (bf) r2 = r10                      ; R2=fp0 R10=fp0
2: (07) r2 += -4                      ; R2=fp-4
3: (18) r1 = 0xffff88814b2b8400       ; R1=map_ptr(ks=4,vs=8)
5: (85) call bpf_map_lookup_elem#1    ; R0=map_value(ks=4,vs=8)
6: (15) if r0 == 0x0 goto pc+1        ; R0=map_value(ks=4,vs=8)
7: (79) r0 = *(u64 *)(r0 +8)
invalid access to map value, value_size=8 off=8 size=8
R0 min value is outside of the allowed memory range
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const STACK: &str = "\
0: R1=ctx() R10=fp0
0: (7a) *(u64 *)(r10 -520) = 0
invalid write to stack R10 off=-520 size=8
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const CANNOT_USE_HELPER: &str = "\
0: R1=ctx() R10=fp0
0: (85) call bpf_override_return#58
program of this type cannot use helper bpf_override_return#58
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const INVALID_FUNC: &str = "\
0: R1=ctx() R10=fp0
0: (85) call unknown#9999
invalid func unknown#9999
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const NEGATIVE_SIZE: &str = "\
0: R1=ctx() R10=fp0
0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()
1: (bf) r2 = r0                       ; R0=scalar(id=1) R2=scalar(id=1)
2: (bf) r1 = r10                      ; R1=fp0 R10=fp0
3: (07) r1 += -16                     ; R1=fp-16
4: (b7) r3 = 0                        ; R3=0
5: (85) call bpf_probe_read_kernel#113
R2 min value is negative, either use unsigned or 'var &= const'
processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const FP_MATH: &str = "\
0: R1=ctx() R10=fp0
0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()
1: (bf) r2 = r10                      ; R2=fp0 R10=fp0
2: (0f) r2 += r0
math between fp pointer and register with unbounded min value is not allowed
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    /// The tail of a 64 KiB rotating log (the kernel keeps the end).
    const TOO_LARGE: &str = "\
               ; R0=0x7a11e
1: (07) r0 += 1                       ; R0=0x7a11f
2: (55) if r0 != 0x0 goto pc-2        ; R0=0x7a11f
1: (07) r0 += 1
BPF program is too large. Processed 1000001 insn
processed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 25001 peak_states 25001 mark_read 0
";
    const INFINITE: &str = "\
0: (b7) r0 = 0                        ; R0=0
1: (15) if r0 == 0x0 goto pc-1        ; R0=0
1: (15) if r0 == 0x0 goto pc-1        ; R0=0
infinite loop detected at insn 1
cur state: R0=0 R1=ctx() R10=fp0
old state: R0=P0 R1=ctx() R10=fp0
processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
";
    const UNREACHABLE: &str = "\
unreachable insn 2
processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const CTX: &str = "\
0: R1=ctx() R10=fp0
0: (61) r0 = *(u32 *)(r1 +1000)
invalid bpf_context access off=1000 size=4
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const ARG_TYPE: &str = "\
0: R1=ctx() R10=fp0
0: (b7) r1 = 0                        ; R1=0
1: (b7) r2 = 0                        ; R2=0
2: (85) call bpf_map_lookup_elem#1
R1 type=scalar expected=map_ptr
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const R0_EXIT: &str = "\
0: R1=ctx() R10=fp0
0: (95) exit
R0 !read_ok
processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";

    /// Written from the kernel's message formats (older kernels, other paths).
    const COMBINED_STACK: &str = "\
combined stack size of 2 calls is 544. Too large
verification time 37 usec
stack depth 288+256
processed 40 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 1
";
    const BACK_EDGE: &str = "back-edge from insn 9 to 4\nprocessed 0 insns (limit 1000000)\n";
    const JUMPS: &str = "\
812: (bf) r1 = r6
813: (07) r1 += 16
the sequence of 8193 jumps is too complex.
verification time 912345 usec
";
    const UNKNOWN_FUNC: &str = "\
0: (85) call bpf_get_func_ip#173
unknown func bpf_get_func_ip#173
processed 1 insns (limit 1000000)
";
    const INDIRECT: &str = "\
; @ opensnoop.bt:3
4: (bf) r1 = r10
5: (07) r1 += -16
6: (b7) r2 = 16
7: (85) call bpf_get_current_comm#16
invalid indirect read from stack R1 off -16+8 size 16
processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";
    const INDIRECT_NEW: &str = "\
7: (85) call bpf_trace_printk#6
invalid read from stack R1 off -16+0 size 8
processed 8 insns (limit 1000000)
";
    const UNBOUNDED: &str = "\
10: (0f) r1 += r2
11: (85) call bpf_probe_read_kernel_str#115
R2 unbounded memory access, use 'var &= const' or 'if (var < const)'
processed 12 insns (limit 1000000)
";
    const INV: &str = "\
3: (79) r1 = *(u64 *)(r1 +16)
R1 invalid mem access 'inv'
";
    const LIBBPF: &str = "\
-- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
0: (79) r1 = *(u64 *)(r10 -8)
invalid read from stack off -8+0 size 8
processed 1 insns (limit 1000000)
-- END PROG LOAD LOG --
";

    fn check(log: &str, insn: Option<usize>, message: &str, hint_has: &str) {
        let e = explain(log);
        assert_eq!(e.insn, insn, "{log}");
        assert_eq!(e.message, message, "{log}");
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains(hint_has), "hint {hint:?} lacks {hint_has:?}");
    }

    #[test]
    fn real_logs() {
        check(
            SCALAR,
            Some(1),
            "R0 invalid mem access 'scalar'",
            "probe read",
        );
        check(
            OR_NULL,
            Some(6),
            "R0 invalid mem access 'map_value_or_null'",
            "R0 may be NULL",
        );
        check(
            MAP_OOB,
            Some(7),
            "invalid access to map value, value_size=8 off=8 size=8\n\
             R0 min value is outside of the allowed memory range",
            "8 bytes at offset 8 goes past the end of the 8-byte map value",
        );
        check(
            STACK,
            Some(0),
            "invalid write to stack R10 off=-520 size=8",
            "512 bytes",
        );
        check(
            CANNOT_USE_HELPER,
            Some(0),
            "program of this type cannot use helper bpf_override_return#58",
            "bpf_override_return (#58) cannot be used in this probe type",
        );
        check(
            INVALID_FUNC,
            Some(0),
            "invalid func unknown#9999",
            "helper #9999 is not known",
        );
        check(
            NEGATIVE_SIZE,
            Some(5),
            "R2 min value is negative, either use unsigned or 'var &= const'",
            "not bounded",
        );
        check(
            FP_MATH,
            Some(2),
            "math between fp pointer and register with unbounded min value is not allowed",
            "not bounded",
        );
        check(
            TOO_LARGE,
            Some(1),
            "BPF program is too large. Processed 1000001 insn",
            "loop",
        );
        check(
            INFINITE,
            Some(1),
            "infinite loop detected at insn 1",
            "never ends",
        );
        check(
            UNREACHABLE,
            Some(2),
            "unreachable insn 2",
            "code generation",
        );
        check(
            CTX,
            Some(0),
            "invalid bpf_context access off=1000 size=4",
            "context",
        );
        check(
            ARG_TYPE,
            Some(2),
            "R1 type=scalar expected=map_ptr",
            "wrong type",
        );
        check(R0_EXIT, Some(0), "R0 !read_ok", "without setting R0");
    }

    #[test]
    fn logs_from_message_formats() {
        check(
            COMBINED_STACK,
            None,
            "combined stack size of 2 calls is 544. Too large",
            "512 bytes",
        );
        check(BACK_EDGE, Some(9), "back-edge from insn 9 to 4", "unroll");
        check(
            JUMPS,
            Some(813),
            "the sequence of 8193 jumps is too complex.",
            "loop",
        );
        check(
            UNKNOWN_FUNC,
            Some(0),
            "unknown func bpf_get_func_ip#173",
            "bpf_get_func_ip (#173) is not available",
        );
        check(
            INDIRECT,
            Some(7),
            "invalid indirect read from stack R1 off -16+8 size 16",
            "before it was written",
        );
        check(
            INDIRECT_NEW,
            Some(7),
            "invalid read from stack R1 off -16+0 size 8",
            "before it was written",
        );
        check(
            UNBOUNDED,
            Some(11),
            "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'",
            "not bounded",
        );
        check(
            INV,
            Some(3),
            "R1 invalid mem access 'inv'",
            "R1 holds a plain number",
        );
        check(
            LIBBPF,
            Some(0),
            "invalid read from stack off -8+0 size 8",
            "before it was written",
        );
    }

    #[test]
    fn empty_and_truncated_logs() {
        let e = explain("");
        assert_eq!(
            (e.insn, e.message.as_str(), e.hint),
            (None, NO_MESSAGE, None)
        );
        let e = explain("0: R1=ctx() R10=fp0\n0: (b7) r0 = 0   ; R0=0\n1: (07) r0 += 1\n");
        assert_eq!(e.message, NO_MESSAGE);
        let e = explain("some new message\n");
        assert_eq!(
            (e.insn, e.message.as_str(), e.hint),
            (None, "some new message", None)
        );
    }

    #[test]
    fn display() {
        let e = explain(SCALAR);
        let text = e.to_string();
        assert!(text.starts_with("instruction 1: R0 invalid mem access 'scalar'\nhint: R0 holds"));
    }

    #[test]
    fn above_the_frame_pointer_is_a_codegen_bug() {
        let log = "0: (7a) *(u64 *)(r10 +8) = 0\ninvalid write to stack R10 off=8 size=8\n";
        let e = explain(log);
        assert!(e.hint.unwrap().contains("code generation"));
    }

    /// Loads programs the verifier rejects, through bpf(2) directly, and
    /// reads the real logs. Skipped when bpf() is not permitted.
    mod live {
        use super::super::*;
        use crate::disasm::insn_text;
        use crate::insn::*;

        const BPF_PROG_LOAD: libc::c_long = 5;
        const SOCKET_FILTER: u32 = 1;

        #[repr(C)]
        struct ProgLoadAttr {
            prog_type: u32,
            insn_cnt: u32,
            insns: u64,
            license: u64,
            log_level: u32,
            log_size: u32,
            log_buf: u64,
            rest: [u64; 12],
        }

        /// Some(log) when the kernel verified the program (`Ok` = loaded).
        fn load(insns: &[Insn], log_level: u32) -> Option<(bool, String)> {
            let code = encode_all(insns);
            let license = b"GPL\0";
            let mut log = vec![0u8; 64 * 1024];
            let attr = ProgLoadAttr {
                prog_type: SOCKET_FILTER,
                insn_cnt: insns.len() as u32,
                insns: code.as_ptr() as u64,
                license: license.as_ptr() as u64,
                log_level,
                log_size: log.len() as u32,
                log_buf: log.as_mut_ptr() as u64,
                rest: [0; 12],
            };
            // SAFETY: attr points at valid buffers that outlive the call.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_bpf,
                    BPF_PROG_LOAD,
                    &attr as *const ProgLoadAttr,
                    std::mem::size_of::<ProgLoadAttr>(),
                )
            };
            if fd >= 0 {
                // SAFETY: fd is a descriptor we own.
                unsafe { libc::close(fd as i32) };
            }
            let len = log.iter().position(|&b| b == 0).unwrap_or(0);
            let text = String::from_utf8_lossy(&log[..len]).into_owned();
            if text.is_empty() {
                eprintln!("bpf() not permitted here: skipping live verifier test");
                return None;
            }
            Some((fd >= 0, text))
        }

        #[test]
        fn load_through_a_scalar() {
            let prog = [mov64_imm(R0, 0), ldx(Size::DW, R0, R0, 0), exit()];
            let Some((loaded, log)) = load(&prog, 1) else {
                return;
            };
            assert!(!loaded);
            let e = explain(&log);
            assert_eq!(e.insn, Some(1), "{log}");
            assert_eq!(e.message, "R0 invalid mem access 'scalar'");
            assert!(e.hint.unwrap().contains("probe read"));
        }

        #[test]
        fn write_below_the_stack() {
            let prog = [st_imm(Size::DW, R10, -520, 0), mov64_imm(R0, 0), exit()];
            let Some((loaded, log)) = load(&prog, 1) else {
                return;
            };
            assert!(!loaded);
            let e = explain(&log);
            assert_eq!(e.insn, Some(0), "{log}");
            assert!(e.message.contains("stack R10 off=-520"), "{}", e.message);
            assert!(e.hint.unwrap().contains("more than 512 bytes of stack"));
        }

        #[test]
        fn variable_size_to_a_helper() {
            use crate::helpers::{GET_PRANDOM_U32, PROBE_READ_KERNEL};
            let prog = [
                call(GET_PRANDOM_U32),
                mov64_reg(R2, R0),
                alu64_imm(Alu::Lsh, R2, 32),
                alu64_imm(Alu::Arsh, R2, 32),
                mov64_reg(R1, R10),
                alu64_imm(Alu::Add, R1, -16),
                mov64_imm(R3, 0),
                call(PROBE_READ_KERNEL),
                mov64_imm(R0, 0),
                exit(),
            ];
            let Some((loaded, log)) = load(&prog, 1) else {
                return;
            };
            assert!(!loaded);
            let e = explain(&log);
            assert_eq!(e.insn, Some(7), "{log}");
            assert!(
                e.message.starts_with("R2 min value is negative"),
                "{}",
                e.message
            );
            assert!(e.hint.unwrap().contains("not bounded"));
        }

        /// The verifier prints every instruction it walks (log_level 2):
        /// our disassembly must read the same, but for the ` ll` suffix.
        #[test]
        fn disassembly_matches_the_verifier() {
            let mut prog = vec![
                mov64_imm(R0, 0),
                mov64_imm(R1, 5),
                alu32_imm(Alu::Mov, R2, 3),
                alu64_reg(Alu::Add, R1, R2),
                alu32_imm(Alu::Sub, R1, 1),
                alu64_imm(Alu::Arsh, R1, 3),
                alu64_imm(Alu::Neg, R0, 0),
                alu64_sdiv(Alu::Div, R1, R2),
                alu64_sdiv(Alu::Mod, R1, R2),
                movsx64(R3, R1, 32),
                Insn::new(BPF_ALU | BPF_X | Alu::Mov as u8, R3, R1, 8, 0),
                stx(Size::DW, R10, -8, R1),
                st_imm(Size::W, R10, -16, 7),
                ldx(Size::DW, R4, R10, -8),
                mov64_imm(R5, 0),
                stx(Size::DW, R10, -24, R5),
                atomic_add(Size::DW, R10, -24, R4),
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R10, R4, -24, 0x01),
                Insn::new(BPF_ALU | BPF_X | 0xd0, R1, 0, 0, 16),
                Insn::new(BPF_ALU64 | 0xd0, R1, 0, 0, 32),
                Insn::new(BPF_LDX | 0x80 | Size::W as u8, R6, R10, -8, 0),
                Insn::new(BPF_JMP32 | BPF_K | Jmp::Jgt as u8, R1, 0, 1, 3),
                mov64_imm(R0, 1),
                jmp_reg(Jmp::Jne, R1, R2, 0),
                ja(0),
            ];
            prog.extend(ld_imm64(R7, 0x1234567890));
            prog.extend([
                call(crate::helpers::GET_PRANDOM_U32),
                mov64_imm(R0, 0),
                exit(),
            ]);
            let Some((loaded, log)) = load(&prog, 2) else {
                return;
            };
            assert!(loaded, "{log}");
            let mut seen = 0;
            for line in log.lines() {
                let Some((num, rest)) = line.split_once(": (") else {
                    continue;
                };
                let Ok(i) = num.parse::<usize>() else {
                    continue;
                };
                let kernel = rest[4..].split(" ;").next().unwrap().trim_end();
                let ours = insn_text(&prog[i], prog.get(i + 1), None);
                assert_eq!(ours.trim_end_matches(" ll"), kernel, "instruction {i}");
                seen += 1;
            }
            assert!(seen >= prog.len() - 1, "{log}");
        }
    }
}
