//! Function calls: printf and the other events, str(), buf(), ...

use super::expr::in_memory;
use super::frame::{Loc, Val, CTX};
use super::{GResult, Gen};
use crate::ast::{Expr, ExprKind};
use crate::sema::typeck::const_int;
use crate::spec::{EventSpec, LOST_MAP, RINGBUF_MAP};
use crate::types::{tuple_layout, Type};
use scry_asm::*;

/// The storage type of an event argument: integers widen to 8 bytes.
fn arg_type(t: &Type) -> Type {
    crate::sema::maps::storage_type(t)
}

impl<'a, 'b> Gen<'a, 'b> {
    /// Sends `size` bytes at `loc` through the ring buffer; counts a loss
    /// when it is full.
    pub fn send_event(&mut self, loc: Loc, size: u32) {
        self.asm.ld_map(R1, RINGBUF_MAP);
        self.addr_of(R2, loc);
        self.asm.emit(mov64_imm(R3, size as i32));
        self.asm.emit(mov64_imm(R4, 0));
        self.asm.emit(call(helpers::RINGBUF_OUTPUT));
        let ok = self.asm.new_label();
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, ok);
        self.bump_counter(0);
        self.asm.bind(ok);
    }

    /// Adds one to a counter (`spec::LOST_MAP`): 0 counts events the full
    /// ring buffer dropped, 1 exit() calls, 2 + i updates that map i
    /// refused (it was full).
    pub fn bump_counter(&mut self, index: i32) {
        let slot = self.frame.slot().unwrap_or(-8);
        self.asm.emit(st_imm(Size::DW, R10, slot, index));
        self.asm.ld_map(R1, LOST_MAP);
        self.asm.emit(mov64_reg(R2, R10));
        self.asm.emit(alu64_imm(Alu::Add, R2, slot as i32));
        self.asm.emit(call(helpers::MAP_LOOKUP_ELEM));
        let done = self.asm.new_label();
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, done);
        self.asm.emit(ldx(Size::DW, R1, R0, 0));
        self.asm.emit(alu64_imm(Alu::Add, R1, 1));
        self.asm.emit(stx(Size::DW, R0, 0, R1));
        self.asm.bind(done);
    }

    /// An event: its id, then `args` laid out as a tuple.
    fn event_with_args(
        &mut self,
        spec: EventSpec,
        args: &[Expr],
        span: crate::span::Span,
    ) -> GResult<()> {
        let types: Vec<Type> = args.iter().map(|a| arg_type(&a.ty)).collect();
        let (offs, total) = tuple_layout(&types);
        let spec = match spec {
            EventSpec::Printf { format, .. } => EventSpec::Printf {
                format,
                args: types.iter().cloned().zip(offs.iter().copied()).collect(),
            },
            EventSpec::System { format, .. } => EventSpec::System {
                format,
                args: types.iter().cloned().zip(offs.iter().copied()).collect(),
            },
            EventSpec::Cat { format, .. } => EventSpec::Cat {
                format,
                args: types.iter().cloned().zip(offs.iter().copied()).collect(),
            },
            other => other,
        };
        let id = self.event(spec);
        let size = 8 + total;
        let loc = self.mem(size, span)?;
        self.asm
            .emit(st_imm(Size::DW, loc.base(), loc.off(), id as i32));
        for ((a, off), t) in args.iter().zip(offs).zip(&types) {
            self.expr_into(a, loc.plus(8 + off), t.size())?;
        }
        self.send_event(loc, size);
        Ok(())
    }

    /// A call evaluated for its effect or its scalar value.
    pub fn call(&mut self, e: &Expr) -> GResult<Val> {
        let ExprKind::Call { name, args } = &e.kind else {
            unreachable!()
        };
        let fmt = || match args.first().map(|a| &a.kind) {
            Some(ExprKind::Str(s)) => s.clone(),
            _ => String::new(),
        };
        let none = Ok(Val::Imm(0));
        match name.as_str() {
            "printf" => {
                let spec = EventSpec::Printf {
                    format: fmt(),
                    args: Vec::new(),
                };
                self.event_with_args(spec, &args[1..], e.span)?;
                none
            }
            "system" => {
                let spec = EventSpec::System {
                    format: fmt(),
                    args: Vec::new(),
                };
                self.event_with_args(spec, &args[1..], e.span)?;
                none
            }
            "cat" => {
                let spec = EventSpec::Cat {
                    format: fmt(),
                    args: Vec::new(),
                };
                self.event_with_args(spec, &args[1..], e.span)?;
                none
            }
            "print" => {
                if let ExprKind::Map { name, keys } = &args[0].kind {
                    if keys.is_empty() {
                        let map = self.map(name).0;
                        let top = args.get(1).and_then(const_int).unwrap_or(0) as u64;
                        let div = args.get(2).and_then(const_int).unwrap_or(0) as u64;
                        self.event_with_args(EventSpec::PrintMap { map, top, div }, &[], e.span)?;
                        return none;
                    }
                }
                let spec = EventSpec::PrintValue {
                    ty: arg_type(&args[0].ty),
                };
                self.event_with_args(spec, &args[..1], e.span)?;
                none
            }
            "clear" | "zero" => {
                let ExprKind::Map { name: m, .. } = &args[0].kind else {
                    unreachable!()
                };
                let map = self.map(m).0;
                let spec = if name == "clear" {
                    EventSpec::Clear { map }
                } else {
                    EventSpec::Zero { map }
                };
                self.event_with_args(spec, &[], e.span)?;
                none
            }
            "delete" => {
                self.map_delete(&args[0])?;
                none
            }
            "has_key" => self.map_has_key(&args[0], &args[1]),
            "len" => self.map_len(&args[0]),
            "exit" => {
                self.event_with_args(EventSpec::Exit, &[], e.span)?;
                // Also flagged outside the ring buffer, which may be full.
                self.bump_counter(1);
                // Stop this program here, as bpftrace does.
                self.asm.ja(self.exit_label);
                none
            }
            "time" => {
                let format = if args.is_empty() {
                    "%H:%M:%S\n".to_string()
                } else {
                    fmt()
                };
                self.event_with_args(EventSpec::Time { format }, &[], e.span)?;
                none
            }
            "join" => {
                self.join(&args[0], args.get(1), e.span)?;
                none
            }
            "ksym" => self.scalar(&args[0]),
            "reg" => {
                let ExprKind::Str(r) = &args[0].kind else {
                    unreachable!()
                };
                let off = crate::usdt_arg::pt_regs_offset(r).unwrap_or(0);
                self.ctx_load(off as i16, 8, false)
            }
            "kstack" | "ustack" => {
                let Type::Stack { user, .. } = e.ty else {
                    unreachable!()
                };
                self.stack_id(user)
            }
            "sizeof" => Ok(Val::Imm(args[0].ty.size() as i64)),
            "offsetof" => {
                let (Type::Record(r), ExprKind::Builtin(field) | ExprKind::Var(field)) =
                    (&args[0].ty, &args[1].kind)
                else {
                    return Err(self.err_at(e.span, "offsetof() expects a struct and a field name"));
                };
                let btf = self
                    .btf()
                    .ok_or_else(|| self.err_at(e.span, "offsetof() needs BTF"))?;
                let m = btf.member(r.btf_id, field).ok_or_else(|| {
                    self.err_at(
                        args[1].span,
                        format!("{} has no field named '{field}'", r.name),
                    )
                })?;
                Ok(Val::Imm((m.bit_offset / 8) as i64))
            }
            "strncmp" => {
                let n = const_int(&args[2]).unwrap_or(0).max(0) as u32;
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                let (Val::Mem(la), Val::Mem(lb)) = (a, b) else {
                    return Err(self.err_at(e.span, "strncmp() compares strings"));
                };
                let size = args[0].ty.size().min(args[1].ty.size());
                // strncmp returns 0 when equal.
                let v = self.mem_compare(la, lb, size, Some(n))?;
                self.load_into(v, R0);
                self.asm.emit(alu64_imm(Alu::Xor, R0, 1));
                self.store_var(v, R0);
                Ok(v)
            }
            "strcontains" => self.strcontains(&args[0], &args[1]),
            "signal" => {
                let v = self.scalar(&args[0])?;
                self.load_into(v, R1);
                self.frame.free(v);
                self.asm.emit(call(helpers::SEND_SIGNAL));
                none
            }
            "override" => {
                let v = self.scalar(&args[0])?;
                self.load_into(v, R2);
                self.frame.free(v);
                self.asm.emit(mov64_reg(R1, CTX));
                self.asm.emit(call(helpers::OVERRIDE_RETURN));
                none
            }
            "bswap" => {
                let v = self.scalar(&args[0])?;
                self.load_into(v, R0);
                self.frame.free(v);
                let bits = args[0].ty.size().clamp(2, 8) * 8;
                // BPF_END | BPF_TO_BE on a little-endian machine swaps.
                self.asm
                    .emit(Insn::new(BPF_ALU | 0xd0 | BPF_X, R0, 0, 0, bits as i32));
                self.temp_from(R0)
            }
            _ => {
                if in_memory(&e.ty) {
                    let loc = self.mem(e.ty.size(), e.span)?;
                    self.call_into(e, loc, e.ty.size())?;
                    return Ok(Val::Mem(loc));
                }
                Err(self.err_at(e.span, format!("{name}() is not supported yet")))
            }
        }
    }

    /// `join(argv[, sep])`: up to 16 strings of a NULL-terminated array
    /// of string pointers, sent as one event.
    fn join(&mut self, arr: &Expr, sep: Option<&Expr>, span: crate::span::Span) -> GResult<()> {
        const ELEMS: u32 = 16;
        let elem_size = self.sh.opts.max_strlen;
        let sep = match sep.map(|s| &s.kind) {
            Some(ExprKind::Str(s)) => s.clone(),
            _ => " ".to_string(),
        };
        let id = self.event(EventSpec::Join {
            sep,
            elems: ELEMS,
            elem_size,
        });
        let size = 8 + ELEMS * elem_size;
        let loc = self
            .frame
            .scratch_mem(size)
            .map_err(|m| self.err_at(span, m))?;
        let base = self.scalar(arr)?;
        self.asm
            .emit(st_imm(Size::DW, loc.base(), loc.off(), id as i32));
        let done = self.asm.new_label();
        for i in 0..ELEMS {
            let dst = loc.plus(8 + i * elem_size);
            self.zero(dst, elem_size);
        }
        for i in 0..ELEMS {
            self.load_into(base, R3);
            self.asm.emit(alu64_imm(Alu::Add, R3, 8 * i as i32));
            let p = self.read_scalar_at(R3, 8, false, arr)?;
            self.load_into(p, R3);
            self.frame.free(p);
            self.asm.jmp_imm(Jmp::Jeq, R3, 0, done);
            let dst = loc.plus(8 + i * elem_size);
            self.addr_of(R1, dst);
            self.asm.emit(mov64_imm(R2, elem_size as i32));
            self.asm.emit(call(scry_asm::helpers::PROBE_READ_STR));
        }
        self.asm.bind(done);
        self.frame.free(base);
        self.send_event(loc, size);
        Ok(())
    }

    /// A call whose value lives in memory, written to `dst`.
    pub fn call_into(&mut self, e: &Expr, dst: Loc, size: u32) -> GResult<()> {
        let ExprKind::Call { name, args } = &e.kind else {
            unreachable!()
        };
        match name.as_str() {
            "str" => {
                let n = e.ty.size().min(size);
                if let (Type::Str(_), false) = (&args[0].ty, args.len() > 1) {
                    return self.expr_into(&args[0], dst, size);
                }
                let p = self.scalar(&args[0])?;
                self.load_into(p, R3);
                self.frame.free(p);
                if size > n {
                    self.zero(dst, size);
                }
                self.read_mem_at(dst, n, true);
                Ok(())
            }
            "buf" => {
                let Type::Buf(n) = e.ty else { unreachable!() };
                // Layout: u32 length, then the bytes.
                self.zero(dst, size);
                let p = match &args[0].ty {
                    // A string value: into memory of ours first.
                    Type::Str(k) => {
                        let tmp = self.mem(*k, args[0].span)?;
                        self.expr_into(&args[0], tmp, *k)?;
                        self.addr_of(R0, tmp);
                        self.temp_from(R0)?
                    }
                    Type::Array(..) => self.address_of(&args[0])?,
                    _ => self.scalar(&args[0])?,
                };
                self.load_into(p, R3);
                self.frame.free(p);
                self.asm
                    .emit(st_imm(Size::W, dst.base(), dst.off(), n as i32));
                // The bytes start 4 bytes in: already zeroed above, and
                // not 8-byte aligned, so no zeroing stores here.
                self.addr_of(R1, dst.plus(4));
                self.asm.emit(mov64_imm(R2, n as i32));
                self.asm.emit(call(helpers::PROBE_READ));
                Ok(())
            }
            "usym" => {
                let v = self.scalar(&args[0])?;
                self.load_into(v, R0);
                self.frame.free(v);
                self.store(dst, R0, 8);
                self.asm.emit(call(helpers::GET_CURRENT_PID_TGID));
                self.asm.emit(alu64_imm(Alu::Rsh, R0, 32));
                self.store(dst.plus(8), R0, 8);
                Ok(())
            }
            "strftime" => {
                let format = match &args[0].kind {
                    ExprKind::Str(s) => s.clone(),
                    _ => String::new(),
                };
                let id = self.event(EventSpec::TimeFormat { format });
                let v = self.scalar(&args[1])?;
                self.load_into(v, R0);
                self.frame.free(v);
                self.asm
                    .emit(st_imm(Size::DW, dst.base(), dst.off(), id as i32));
                self.store(dst.plus(8), R0, 8);
                Ok(())
            }
            "ntop" => {
                self.zero(dst, size);
                let (af, addr) = if args.len() == 2 {
                    (const_int(&args[0]), &args[1])
                } else {
                    (None, &args[0])
                };
                match &addr.ty {
                    Type::Array(_, _) | Type::Str(_) => {
                        let n = addr.ty.size().min(16);
                        let family = af.unwrap_or(if n == 4 { 2 } else { 10 });
                        self.asm
                            .emit(st_imm(Size::W, dst.base(), dst.off(), family as i32));
                        let v = self.expr(addr)?;
                        let Val::Mem(src) = v else { unreachable!() };
                        self.copy(dst.plus(8), src, n);
                    }
                    _ => {
                        let family = af.unwrap_or(2);
                        let v = self.scalar(addr)?;
                        self.load_into(v, R0);
                        self.frame.free(v);
                        self.asm
                            .emit(st_imm(Size::W, dst.base(), dst.off(), family as i32));
                        self.store(dst.plus(8), R0, 4);
                    }
                }
                Ok(())
            }
            _ => Err(self.err_at(e.span, format!("{name}() is not supported yet"))),
        }
    }

    /// `strcontains(haystack, needle)`: a bounded double loop, unrolled.
    fn strcontains(&mut self, hay: &Expr, needle: &Expr) -> GResult<Val> {
        let h = self.expr(hay)?;
        let n = self.expr(needle)?;
        let (Val::Mem(lh), Val::Mem(ln)) = (h, n) else {
            return Err(self.err_at(hay.span, "strcontains() compares strings"));
        };
        let (hn, nn) = (hay.ty.size(), needle.ty.size());
        if hn * nn > 4096 {
            return Err(self.err_at(
                hay.span,
                "strcontains(): strings too long (at most 4096 byte pairs)",
            ));
        }
        let result = self.temp_from_imm(0)?;
        let found = self.asm.new_label();
        let done = self.asm.new_label();
        for i in 0..hn as i16 {
            let next = self.asm.new_label();
            for j in 0..nn as i16 {
                if i + j >= hn as i16 {
                    // The needle must end here.
                    self.asm.emit(ldx(Size::B, R2, ln.base(), ln.off() + j));
                    self.asm.jmp_imm(Jmp::Jeq, R2, 0, found);
                    self.asm.ja(next);
                    break;
                }
                self.asm.emit(ldx(Size::B, R2, ln.base(), ln.off() + j));
                self.asm.jmp_imm(Jmp::Jeq, R2, 0, found);
                self.asm.emit(ldx(Size::B, R1, lh.base(), lh.off() + i + j));
                self.asm.jmp_reg(Jmp::Jne, R1, R2, next);
            }
            self.asm.bind(next);
            self.asm.emit(ldx(Size::B, R1, lh.base(), lh.off() + i));
            self.asm.jmp_imm(Jmp::Jeq, R1, 0, done);
        }
        self.asm.ja(done);
        self.asm.bind(found);
        self.asm.emit(mov64_imm(R0, 1));
        self.store_var(result, R0);
        self.asm.bind(done);
        Ok(result)
    }
}
