//! Builtin variables, probe arguments and reads through pointers.

use super::frame::{Loc, Val, CTX};
use super::{GResult, Gen};
use crate::ast::{Expr, ExprKind, UnOp};
use crate::sema::builtins::arg_index;
use crate::sema::ctypes;
use crate::sema::probes::Context;
use crate::spec::Attach;
use crate::types::Type;
use scry_asm::*;

/// `struct pt_regs` offsets of the x86-64 argument registers.
const ARG_REGS: [i16; 6] = [112, 104, 96, 88, 72, 64];
const REG_AX: i16 = 80;
const REG_IP: i16 = 128;
const REG_SP: i16 = 152;

impl<'a, 'b> Gen<'a, 'b> {
    fn helper_temp(&mut self, helper: i32) -> GResult<Val> {
        self.asm.emit(call(helper));
        self.temp_from(R0)
    }

    pub fn builtin(&mut self, name: &str, e: &Expr) -> GResult<Val> {
        let needs_ctx = matches!(
            name,
            "ctx" | "func" | "retval" | "kstack" | "ustack" | "args"
        ) || arg_index(name, "arg").is_some()
            || arg_index(name, "sarg").is_some();
        if needs_ctx && self.in_callback {
            return Err(self.err_at(
                e.span,
                format!(
                    "{name} is not available inside a for loop over a map: copy it to a map first"
                ),
            ));
        }
        match name {
            "pid" | "tid" => {
                self.asm.emit(call(helpers::GET_CURRENT_PID_TGID));
                if name == "pid" {
                    self.asm.emit(alu64_imm(Alu::Rsh, R0, 32));
                } else {
                    self.extend(R0, 4, false);
                }
                self.temp_from(R0)
            }
            "uid" | "gid" | "username" => {
                self.asm.emit(call(helpers::GET_CURRENT_UID_GID));
                if name == "gid" {
                    self.asm.emit(alu64_imm(Alu::Rsh, R0, 32));
                } else {
                    self.extend(R0, 4, false);
                }
                self.temp_from(R0)
            }
            "nsecs" => self.helper_temp(helpers::KTIME_GET_NS),
            "elapsed" => {
                self.asm.emit(call(helpers::KTIME_GET_NS));
                let now = self.temp_from(R0)?;
                self.sh.uses_globals = true;
                self.global_start(R1);
                self.load_into(now, R0);
                self.asm.emit(alu64_reg(Alu::Sub, R0, R1));
                self.store_var(now, R0);
                Ok(now)
            }
            "cpu" => self.helper_temp(helpers::GET_SMP_PROCESSOR_ID),
            "ncpus" => Ok(Val::Imm(self.sh.ncpus as i64)),
            "cpid" => Ok(Val::Imm(self.sh.opts.child_pid.unwrap_or(0) as i64)),
            "curtask" => self.helper_temp(helpers::GET_CURRENT_TASK),
            "cgroup" => self.helper_temp(helpers::GET_CURRENT_CGROUP_ID),
            "rand" => self.helper_temp(helpers::GET_PRANDOM_U32),
            "jiffies" => self.helper_temp(helpers::JIFFIES64),
            "numaid" => Ok(Val::Imm(0)),
            "ctx" => self.temp_from(CTX),
            "probe" => {
                let name = self.target.name.clone();
                let idx = match self.sh.probe_names.iter().position(|n| *n == name) {
                    Some(i) => i,
                    None => {
                        self.sh.probe_names.push(name);
                        self.sh.probe_names.len() - 1
                    }
                };
                Ok(Val::Imm(idx as i64))
            }
            "func" => match (&self.target.context, &self.target.attach) {
                (Context::Regs { user: true, .. }, _) => self.ctx_load(REG_IP, 8, false),
                (Context::Regs { .. }, _)
                | (Context::BtfArgs { .. }, Attach::Fentry { .. } | Attach::Fexit { .. }) => {
                    self.asm.emit(mov64_reg(R1, CTX));
                    self.helper_temp(helpers::GET_FUNC_IP)
                }
                _ => Err(self.err_at(e.span, "func is not available in this probe")),
            },
            "retval" => match &self.target.context {
                Context::Regs { .. } => self.ctx_load(REG_AX, 8, true),
                Context::BtfArgs { args, .. } => {
                    let n = args.len() as i16;
                    let (bytes, signed) = int_shape(&e.ty);
                    self.ctx_load(n * 8, bytes, signed)
                }
                _ => Err(self.err_at(e.span, "retval is not available in this probe")),
            },
            "kstack" | "ustack" => {
                let Type::Stack { user, .. } = e.ty else {
                    unreachable!()
                };
                self.stack_id(user)
            }
            _ => {
                if let Some(i) = arg_index(name, "arg") {
                    if let Some(spec) = self.target.usdt_args.get(i as usize).cloned() {
                        return self.usdt_arg(&spec, e);
                    }
                    return match &self.target.context {
                        Context::Regs { .. } => self.ctx_load(ARG_REGS[i as usize], 8, false),
                        Context::BtfArgs { .. } => self.ctx_load(i as i16 * 8, 8, false),
                        _ => {
                            Err(self
                                .err_at(e.span, format!("{name} is not available in this probe")))
                        }
                    };
                }
                if let Some(i) = arg_index(name, "sarg") {
                    // The stack argument above the return address.
                    self.asm.emit(ldx(Size::DW, R3, CTX, REG_SP));
                    self.asm.emit(alu64_imm(Alu::Add, R3, 8 * (i as i32 + 1)));
                    return self.read_scalar_at(R3, 8, false, e);
                }
                Err(self.err_at(e.span, format!("unknown builtin {name}")))
            }
        }
    }

    /// A USDT argument, read where its note says it lives.
    fn usdt_arg(&mut self, spec: &str, e: &Expr) -> GResult<Val> {
        use crate::usdt_arg::{parse_arg, UsdtArgLocation};
        let arg = parse_arg(spec).map_err(|m| self.err_at(e.span, m))?;
        let (size, signed) = (arg.size as u32, arg.signed);
        match arg.location {
            UsdtArgLocation::Const(v) => Ok(Val::Imm(v)),
            UsdtArgLocation::Reg { pt_regs_offset } => {
                self.ctx_load(pt_regs_offset as i16, size, signed)
            }
            UsdtArgLocation::Mem {
                base_reg_pt_regs_offset,
                offset,
            } => {
                self.asm
                    .emit(ldx(Size::DW, R3, CTX, base_reg_pt_regs_offset as i16));
                self.asm.emit(alu64_imm(Alu::Add, R3, offset as i32));
                self.read_scalar_at(R3, size, signed, e)
            }
        }
    }

    /// `R0 = *(size *)(ctx + off)`, extended; as a temporary.
    pub fn ctx_load(&mut self, off: i16, bytes: u32, signed: bool) -> GResult<Val> {
        let sz = Size::from_bytes(bytes).unwrap_or(Size::DW);
        self.asm.emit(ldx(sz, R0, CTX, off));
        self.extend(R0, bytes, signed);
        self.temp_from(R0)
    }

    /// `dst = scry's start time` from the globals map (slot 0).
    fn global_start(&mut self, dst: Reg) {
        let slot = self.frame.slot().unwrap_or(-8);
        self.asm.emit(st_imm(Size::W, R10, slot, 0));
        self.asm.ld_map(R1, crate::spec::GLOBALS_MAP);
        self.asm.emit(mov64_reg(R2, R10));
        self.asm.emit(alu64_imm(Alu::Add, R2, slot as i32));
        self.asm.emit(call(helpers::MAP_LOOKUP_ELEM));
        let (null, done) = (self.asm.new_label(), self.asm.new_label());
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, null);
        self.asm.emit(ldx(Size::DW, dst, R0, 0));
        self.asm.ja(done);
        self.asm.bind(null);
        self.asm.emit(mov64_imm(dst, 0));
        self.asm.bind(done);
    }

    /// A stack id (low 32 bits) with the process id (high 32 bits).
    pub fn stack_id(&mut self, user: bool) -> GResult<Val> {
        self.sh.uses_stacks = true;
        self.asm.emit(mov64_reg(R1, CTX));
        self.asm.ld_map(R2, crate::spec::STACKS_MAP);
        self.asm.emit(mov64_imm(R3, if user { 1 << 8 } else { 0 }));
        self.asm.emit(call(helpers::GET_STACKID));
        self.extend(R0, 4, false);
        let id = self.temp_from(R0)?;
        self.asm.emit(call(helpers::GET_CURRENT_PID_TGID));
        self.asm.emit(alu64_imm(Alu::Rsh, R0, 32));
        self.asm.emit(alu64_imm(Alu::Lsh, R0, 32));
        let r = self.load(id, R1);
        self.asm.emit(alu64_reg(Alu::Or, R0, r));
        self.store_var(id, R0);
        Ok(id)
    }

    /// Reads a scalar of `bytes` at the address in `addr` (through
    /// `probe_read`), extended to 64 bits.
    pub fn read_scalar_at(
        &mut self,
        addr: Reg,
        bytes: u32,
        signed: bool,
        e: &Expr,
    ) -> GResult<Val> {
        let slot = self.frame.slot().map_err(|m| self.err_at(e.span, m))?;
        if addr != R3 {
            self.asm.emit(mov64_reg(R3, addr));
        }
        self.asm.emit(mov64_reg(R1, R10));
        self.asm.emit(alu64_imm(Alu::Add, R1, slot as i32));
        self.asm.emit(mov64_imm(R2, bytes.clamp(1, 8) as i32));
        self.asm.emit(call(helpers::PROBE_READ));
        let sz = Size::from_bytes(bytes).unwrap_or(Size::DW);
        self.asm.emit(ldx(sz, R0, R10, slot));
        self.extend(R0, bytes, signed);
        self.asm.emit(stx(Size::DW, R10, slot, R0));
        Ok(Val::Slot(slot, true))
    }

    /// Reads `size` bytes at the address in `R3` into `dst`; as a string
    /// (stopping at NUL) when `string`.
    pub fn read_mem_at(&mut self, dst: Loc, size: u32, string: bool) {
        self.zero(dst, size);
        self.addr_of(R1, dst);
        self.asm.emit(mov64_imm(R2, size as i32));
        let helper = if string {
            helpers::PROBE_READ_STR
        } else {
            helpers::PROBE_READ
        };
        self.asm.emit(call(helper));
    }

    /// The address of a field/element/dereference expression, as a scalar
    /// temporary.
    pub fn address_of(&mut self, e: &Expr) -> GResult<Val> {
        match &e.kind {
            ExprKind::Field { expr, field, .. } => {
                let (base, record) = match &expr.ty {
                    Type::Ptr(inner) => match inner.as_ref() {
                        Type::Record(r) => (self.pointer_base(expr)?, r.clone()),
                        _ => return Err(self.err_at(e.span, "field of a non-struct pointer")),
                    },
                    Type::Record(r) => (self.address_of(expr)?, r.clone()),
                    _ => return Err(self.err_at(e.span, "cannot take this field's address")),
                };
                let btf = self.btf().ok_or_else(|| self.err_at(e.span, "no BTF"))?;
                let m = btf
                    .member(record.btf_id, field)
                    .ok_or_else(|| self.err_at(e.span, format!("no field {field}")))?;
                self.load_into(base, R0);
                self.frame.free(base);
                self.asm
                    .emit(alu64_imm(Alu::Add, R0, (m.bit_offset / 8) as i32));
                self.temp_from(R0)
            }
            ExprKind::Index { expr, index } => {
                let elem = e.ty.size().max(1);
                let base = match &expr.ty {
                    Type::Ptr(_) => self.pointer_base(expr)?,
                    Type::Array(..) | Type::Str(_) => self.address_of(expr)?,
                    _ => return Err(self.err_at(e.span, "cannot index this value")),
                };
                let i = self.scalar(index)?;
                self.load_into(i, R1);
                self.frame.free(i);
                self.asm.emit(alu64_imm(Alu::Mul, R1, elem as i32));
                self.load_into(base, R0);
                self.frame.free(base);
                self.asm.emit(alu64_reg(Alu::Add, R0, R1));
                self.temp_from(R0)
            }
            ExprKind::Unary {
                op: UnOp::Deref,
                expr,
            } => self.pointer_base(expr),
            ExprKind::Cast { expr, .. } => self.address_of(expr),
            _ => Err(self.err_at(e.span, "this expression has no address")),
        }
    }

    /// A tracepoint field or BTF argument: `args.name`.
    fn arg_field(&mut self, e: &Expr, field: &str) -> GResult<ArgPlace> {
        if self.in_callback {
            return Err(self.err_at(
                e.span,
                "args is not available inside a for loop over a map: copy it to a map first",
            ));
        }
        match &self.target.context {
            Context::Tracepoint(fields) => {
                let f = fields
                    .iter()
                    .find(|f| f.name == field)
                    .ok_or_else(|| self.err_at(e.span, format!("no field {field}")))?
                    .clone();
                Ok(ArgPlace::Ctx {
                    off: f.offset as i16,
                    data_loc: ctypes::is_data_loc(&f),
                })
            }
            Context::BtfArgs { args, .. } => {
                let i = args
                    .iter()
                    .position(|(n, _)| n == field)
                    .ok_or_else(|| self.err_at(e.span, format!("no argument {field}")))?;
                Ok(ArgPlace::Ctx {
                    off: i as i16 * 8,
                    data_loc: false,
                })
            }
            _ => Err(self.err_at(e.span, "args is not available in this probe")),
        }
    }

    /// The scalar value of a field, element or dereference.
    pub fn field_scalar(&mut self, e: &Expr) -> GResult<Val> {
        if let ExprKind::Field { expr, field, .. } = &e.kind {
            if matches!(&expr.kind, ExprKind::Builtin(b) if b == "args") {
                let ArgPlace::Ctx { off, .. } = self.arg_field(e, field)?;
                let (bytes, signed) = int_shape(&e.ty);
                return self.ctx_load(off, bytes, signed);
            }
        }
        let (bytes, signed) = int_shape(&e.ty);
        if let Some(v) = self.direct_field(e, bytes, signed) {
            return v;
        }
        let bitfield = self.bitfield(e);
        let addr = self.address_of(e)?;
        self.load_into(addr, R3);
        self.frame.free(addr);
        match bitfield {
            Some((shift, width)) => {
                let v = self.read_scalar_at(R3, 8, false, e)?;
                self.load_into(v, R0);
                self.asm.emit(alu64_imm(Alu::Rsh, R0, shift as i32));
                if width < 32 {
                    self.asm
                        .emit(alu64_imm(Alu::And, R0, ((1u64 << width) - 1) as i32));
                }
                self.store_var(v, R0);
                Ok(v)
            }
            None => self.read_scalar_at(R3, bytes, signed, e),
        }
    }

    /// (shift, width) when `e` is a bitfield member.
    fn bitfield(&self, e: &Expr) -> Option<(u32, u32)> {
        let ExprKind::Field { expr, field, .. } = &e.kind else {
            return None;
        };
        let rec = match &expr.ty {
            Type::Ptr(inner) => match inner.as_ref() {
                Type::Record(r) => r.clone(),
                _ => return None,
            },
            Type::Record(r) => r.clone(),
            _ => return None,
        };
        let m = self.btf()?.member(rec.btf_id, field)?;
        (m.bitfield_size > 0).then_some((m.bit_offset % 8, m.bitfield_size))
    }

    /// An aggregate field (char array, array, struct) written to `dst`.
    pub fn field_into(&mut self, e: &Expr, dst: Loc, size: u32) -> GResult<()> {
        let string = matches!(e.ty, Type::Str(_));
        let n = e.ty.size().min(size);
        if let ExprKind::Field { expr, field, .. } = &e.kind {
            if matches!(&expr.kind, ExprKind::Builtin(b) if b == "args") {
                let ArgPlace::Ctx { off, data_loc } = self.arg_field(e, field)?;
                if data_loc {
                    self.asm.emit(ldx(Size::W, R3, CTX, off));
                    self.asm.emit(alu64_imm(Alu::And, R3, 0xffff));
                    self.asm.emit(alu64_reg(Alu::Add, R3, CTX));
                } else {
                    self.asm.emit(mov64_reg(R3, CTX));
                    self.asm.emit(alu64_imm(Alu::Add, R3, off as i32));
                }
                if size > n {
                    self.zero(dst, size);
                }
                self.read_mem_at(dst, n, string);
                return Ok(());
            }
        }
        let addr = self.address_of(e)?;
        self.load_into(addr, R3);
        self.frame.free(addr);
        if size > n {
            self.zero(dst, size);
        }
        self.read_mem_at(dst, n, string);
        Ok(())
    }
}

enum ArgPlace {
    Ctx { off: i16, data_loc: bool },
}

/// The width and signedness of a scalar type in memory.
pub fn int_shape(t: &Type) -> (u32, bool) {
    match t {
        Type::Int { bytes, signed } => (*bytes as u32, *signed),
        Type::Bool => (1, false),
        _ => (8, false),
    }
}
