//! USDT argument specs (`-4@%edi`, `8@-16(%rbp)`, `4@$5`) as the compiler
//! reads them to generate `argN` of a usdt probe (x86-64).

/// Where a USDT argument's value lives at the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsdtArgLocation {
    /// In a register: read `size` bytes at this offset of `struct pt_regs`.
    Reg { pt_regs_offset: u32 },
    /// In memory at (register + offset): the register is read from
    /// `struct pt_regs` at `base_reg_pt_regs_offset`.
    Mem {
        base_reg_pt_regs_offset: u32,
        offset: i64,
    },
    /// A constant (`4@$5`).
    Const(i64),
}

/// One parsed USDT argument spec (`-4@%edi`: 4 bytes, signed, in rdi).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsdtArg {
    /// Size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    pub signed: bool,
    pub location: UsdtArgLocation,
}

/// x86-64 register names → (offset in `struct pt_regs`, width in bytes).
/// Sub-registers map to their full register (`%ah` to rax's second byte).
/// The `struct pt_regs` offset of a register as `reg()` names it (`ip`,
/// `sp`, `di`, `ax`, `r8`, or the full `rip`, `rdi`...).
pub fn pt_regs_offset(name: &str) -> Option<u32> {
    let full = match name {
        "ip" | "sp" | "ax" | "bx" | "cx" | "dx" | "si" | "di" | "bp" => format!("r{name}"),
        n => n.to_string(),
    };
    match x86_64_reg(&full) {
        Some((off, 8)) => Some(off),
        _ => None,
    }
}

fn x86_64_reg(name: &str) -> Option<(u32, u8)> {
    const FULL: &[(&str, u32)] = &[
        ("r15", 0),
        ("r14", 8),
        ("r13", 16),
        ("r12", 24),
        ("rbp", 32),
        ("rbx", 40),
        ("r11", 48),
        ("r10", 56),
        ("r9", 64),
        ("r8", 72),
        ("rax", 80),
        ("rcx", 88),
        ("rdx", 96),
        ("rsi", 104),
        ("rdi", 112),
        ("orig_ax", 120),
        ("rip", 128),
        ("cs", 136),
        ("flags", 144),
        ("rsp", 152),
        ("ss", 160),
    ];
    let full = |r: &str| FULL.iter().find(|(n, _)| *n == r).map(|&(_, o)| o);
    if let Some(o) = full(name) {
        return Some((o, 8));
    }
    // r8..r15 with d/w/b/l suffixes.
    if let Some(num) = name.strip_prefix('r') {
        for (suffix, width) in [("d", 4), ("w", 2), ("b", 1), ("l", 1)] {
            if let Some(n) = num.strip_suffix(suffix) {
                if let Some(o) = full(&format!("r{n}")) {
                    return Some((o, width));
                }
            }
        }
    }
    let legacy: &[(&str, &str, u32, u8)] = &[
        // (name, full register, byte offset within it, width)
        ("eax", "rax", 0, 4),
        ("ebx", "rbx", 0, 4),
        ("ecx", "rcx", 0, 4),
        ("edx", "rdx", 0, 4),
        ("esi", "rsi", 0, 4),
        ("edi", "rdi", 0, 4),
        ("ebp", "rbp", 0, 4),
        ("esp", "rsp", 0, 4),
        ("eip", "rip", 0, 4),
        ("ax", "rax", 0, 2),
        ("bx", "rbx", 0, 2),
        ("cx", "rcx", 0, 2),
        ("dx", "rdx", 0, 2),
        ("si", "rsi", 0, 2),
        ("di", "rdi", 0, 2),
        ("bp", "rbp", 0, 2),
        ("sp", "rsp", 0, 2),
        ("al", "rax", 0, 1),
        ("bl", "rbx", 0, 1),
        ("cl", "rcx", 0, 1),
        ("dl", "rdx", 0, 1),
        ("sil", "rsi", 0, 1),
        ("dil", "rdi", 0, 1),
        ("bpl", "rbp", 0, 1),
        ("spl", "rsp", 0, 1),
        ("ah", "rax", 1, 1),
        ("bh", "rbx", 1, 1),
        ("ch", "rcx", 1, 1),
        ("dh", "rdx", 1, 1),
    ];
    legacy
        .iter()
        .find(|(n, ..)| *n == name)
        .and_then(|&(_, r, byte, w)| Some((full(r)? + byte, w)))
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()? as i64
    } else {
        digits.parse::<u64>().ok()? as i64
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

fn reg_of(spec: &str, operand: &str) -> Result<(u32, u8), String> {
    let name = operand
        .strip_prefix('%')
        .ok_or_else(|| format!("USDT argument `{spec}`: expected a register, found `{operand}`"))?;
    x86_64_reg(name)
        .ok_or_else(|| format!("USDT argument `{spec}`: unknown x86-64 register `%{name}`"))
}

/// Parses an x86-64 USDT argument spec: `-4@%edi`, `8@%rax`, `8@-16(%rbp)`,
/// `8@(%rax)`, `4@$5`. The size prefix is optional (`%edi` reads the
/// register's width, unsigned). RIP-relative symbols (`8@foo(%rip)`) and
/// indexed addressing (`8@8(%rsp,%rax,4)`) are reported as unsupported.
pub fn parse_arg(spec: &str) -> Result<UsdtArg, String> {
    let spec = spec.trim();
    let (size_part, operand) = match spec.split_once('@') {
        Some((s, o)) => (Some(s), o),
        None => (None, spec),
    };
    let sized = match size_part {
        Some(s) => {
            let n: i64 = s
                .parse()
                .map_err(|_| format!("USDT argument `{spec}`: bad size `{s}`"))?;
            if !matches!(n.unsigned_abs(), 1 | 2 | 4 | 8) {
                return Err(format!(
                    "USDT argument `{spec}`: size must be 1, 2, 4 or 8 bytes"
                ));
            }
            Some((n.unsigned_abs() as u8, n < 0))
        }
        None => None,
    };
    if let Some(c) = operand.strip_prefix('$') {
        let v = parse_int(c).ok_or_else(|| {
            format!("USDT argument `{spec}`: unsupported constant `{c}` (symbolic constants are not supported)")
        })?;
        let (size, signed) = sized.unwrap_or((8, true));
        return Ok(UsdtArg {
            size,
            signed,
            location: UsdtArgLocation::Const(v),
        });
    }
    if operand.starts_with('%') {
        let (off, width) = reg_of(spec, operand)?;
        let (size, signed) = sized.unwrap_or((width, false));
        return Ok(UsdtArg {
            size,
            signed,
            location: UsdtArgLocation::Reg {
                pt_regs_offset: off,
            },
        });
    }
    // Memory: disp(%reg)
    let open = operand
        .find('(')
        .ok_or_else(|| format!("USDT argument `{spec}`: unrecognised operand `{operand}`"))?;
    let inner = operand[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("USDT argument `{spec}`: missing `)`"))?;
    if inner.contains(',') {
        return Err(format!(
            "USDT argument `{spec}`: indexed addressing is not supported"
        ));
    }
    let disp = &operand[..open];
    let offset = if disp.is_empty() {
        0
    } else {
        parse_int(disp).ok_or_else(|| {
            format!(
                "USDT argument `{spec}`: symbol-relative addressing (`{disp}`) is not supported"
            )
        })?
    };
    let (base, _) = reg_of(spec, inner)?;
    let (size, signed) = sized.unwrap_or((8, false));
    Ok(UsdtArg {
        size,
        signed,
        location: UsdtArgLocation::Mem {
            base_reg_pt_regs_offset: base,
            offset,
        },
    })
}
