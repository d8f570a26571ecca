//! `for ($kv : @m) { body }`: `bpf_for_each_map_elem` with the body as a
//! callback: a separate function (its own instructions, stack and
//! registers), generated after the frame that calls it. The body sees
//! `$kv` (a (key, value) tuple), maps and context-free builtins.

use super::frame::{Val, SCRATCH};
use super::{GResult, Gen};
use crate::ast::Block;
use crate::span::Span;
use crate::spec::SCRATCH_MAP;
use crate::types::{tuple_layout, Type};
use scry_asm::*;

pub struct PendingLoop {
    function: String,
    var: String,
    map: String,
    body: Block,
    span: Span,
}

impl<'a, 'b> Gen<'a, 'b> {
    /// The loop's call: `bpf_for_each_map_elem(&map, callback, NULL, 0)`.
    pub fn for_map(&mut self, var: &str, map: &str, body: &Block, span: Span) -> GResult<()> {
        let m = self.map(map).1;
        self.sh.callbacks += 1;
        let function = format!("scry_cb{}", self.sh.callbacks);
        self.asm.ld_map(R1, &m.symbol);
        self.asm.ld_func(R2, &function);
        self.asm.emit(mov64_imm(R3, 0));
        self.asm.emit(mov64_imm(R4, 0));
        self.asm.emit(call(helpers::FOR_EACH_MAP_ELEM));
        self.pending.push(PendingLoop {
            function,
            var: var.to_string(),
            map: map.to_string(),
            body: body.clone(),
            span,
        });
        Ok(())
    }

    /// `len(@m)`: the number of elements, which `bpf_for_each_map_elem`
    /// returns when its callback visits them all.
    pub fn map_len(&mut self, map_expr: &crate::ast::Expr) -> GResult<Val> {
        let crate::ast::ExprKind::Map { name, .. } = &map_expr.kind else {
            unreachable!()
        };
        let m = self.map(name).1;
        self.sh.callbacks += 1;
        let function = format!("scry_cb{}", self.sh.callbacks);
        let mut cb = Asm::new();
        cb.emit(mov64_imm(R0, 0));
        cb.emit(exit());
        cb.finish()
            .map_err(|e| self.err_at(map_expr.span, format!("{e:?}")))?;
        self.functions.push((function.clone(), cb));
        self.asm.ld_map(R1, &m.symbol);
        self.asm.ld_func(R2, &function);
        self.asm.emit(mov64_imm(R3, 0));
        self.asm.emit(mov64_imm(R4, 0));
        self.asm.emit(call(helpers::FOR_EACH_MAP_ELEM));
        self.temp_from(R0)
    }

    /// Generates the callbacks queued by the frame just finished.
    pub fn gen_callbacks(&mut self) -> GResult<()> {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let callee = self.frame.callee();
            let parent = std::mem::replace(&mut self.frame, callee);
            let asm = std::mem::take(&mut self.asm);
            let vars = std::mem::take(&mut self.vars);
            let loops = std::mem::take(&mut self.loops);
            let (exit_label, in_callback) = (self.exit_label, self.in_callback);
            self.in_callback = true;
            let r = self.callback(&p);
            let mut body = std::mem::replace(&mut self.asm, asm);
            let child = std::mem::replace(&mut self.frame, parent);
            self.frame.scratch_max = self.frame.scratch_max.max(child.scratch_max);
            self.frame.scratch_used |= child.scratch_used;
            self.vars = vars;
            self.loops = loops;
            self.exit_label = exit_label;
            self.in_callback = in_callback;
            r?;
            body.finish().map_err(|e| {
                self.err_at(p.span, format!("loop body too large to assemble: {e:?}"))
            })?;
            self.functions.push((p.function, body));
        }
        Ok(())
    }

    fn callback(&mut self, p: &PendingLoop) -> GResult<()> {
        let m = self.map(&p.map).1;
        let (stop, next) = (self.asm.new_label(), self.asm.new_label());
        self.line_of(p.span);
        // r2 = key, r3 = value: keep them across the prologue's call.
        let (Some(rk), Some(rv)) = (self.frame.take_reg(), self.frame.take_reg()) else {
            return Err(self.err_at(p.span, "internal: no registers for the loop"));
        };
        self.asm.emit(mov64_reg(rk, R2));
        self.asm.emit(mov64_reg(rv, R3));
        if self.with_scratch {
            let key = self.frame.slot().map_err(|e| self.err_at(p.span, e))?;
            self.asm.emit(st_imm(Size::W, R10, key, 0));
            self.asm.ld_map(R1, SCRATCH_MAP);
            self.asm.emit(mov64_reg(R2, R10));
            self.asm.emit(alu64_imm(Alu::Add, R2, key as i32));
            self.asm.emit(call(helpers::MAP_LOOKUP_ELEM));
            self.asm.jmp_imm(Jmp::Jeq, R0, 0, stop);
            self.asm.emit(mov64_reg(SCRATCH, R0));
        }
        let value_type = match &m.value {
            crate::spec::MapValue::Scalar(t) => t.clone(),
            _ => Type::I64,
        };
        let key_type = match m.key.len() {
            0 => Type::I64,
            1 => m.key[0].clone(),
            _ => Type::Tuple(m.key.clone()),
        };
        let kv = Type::Tuple(vec![key_type, value_type]);
        let Type::Tuple(parts) = &kv else {
            unreachable!()
        };
        let (offs, size) = tuple_layout(parts);
        let loc = self.mem(size.max(offs[1] + m.value_size), p.span)?;
        for (src, off, n) in [(rk, offs[0], m.key_size), (rv, offs[1], m.value_size)] {
            let mut i = 0;
            while i + 8 <= n {
                self.asm.emit(ldx(Size::DW, R0, src, i as i16));
                self.asm
                    .emit(stx(Size::DW, loc.base(), loc.off() + (off + i) as i16, R0));
                i += 8;
            }
        }
        self.frame.free(Val::Reg(rk));
        self.frame.free(Val::Reg(rv));
        self.vars.insert(p.var.clone(), (kv, Val::Mem(loc)));
        self.exit_label = stop;
        self.loops.push((next, stop));
        self.declare_unassigned(&p.body)?;
        self.block(&p.body)?;
        self.loops.pop();
        self.asm.bind(next);
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.emit(exit());
        self.asm.bind(stop);
        self.asm.emit(mov64_imm(R0, 1));
        self.asm.emit(exit());
        self.gen_callbacks()
    }
}
