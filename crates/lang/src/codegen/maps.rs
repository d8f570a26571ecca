//! Map keys, reads, updates and in-kernel aggregation.

use super::frame::{Loc, Val};
use super::{GResult, Gen};
use crate::ast::{Expr, ExprKind};
use crate::spec::{MapSpec, MapValue};
use crate::types::{tuple_layout, Agg};
use scry_asm::*;

const BPF_ANY: i32 = 0;

impl<'a, 'b> Gen<'a, 'b> {
    /// Builds a map's key in memory; for hist/lhist maps, room for the
    /// bucket index is left at the end (its offset is returned).
    pub fn build_key(&mut self, map: &MapSpec, keys: &[Expr], e: &Expr) -> GResult<(Loc, u32)> {
        let loc = self.mem(map.key_size, e.span)?;
        let bucket_off = map.key_size - 8;
        if keys.is_empty() {
            self.zero(loc, map.key_size);
            return Ok((loc, bucket_off));
        }
        let (offs, total) = tuple_layout(&map.key);
        if total < map.key_size || map.key.iter().any(|t| !t.is_scalar()) {
            self.zero(loc, map.key_size);
        }
        for ((k, off), t) in keys.iter().zip(offs).zip(&map.key) {
            self.expr_into(k, loc.plus(off), t.size())?;
        }
        Ok((loc, bucket_off))
    }

    /// `R0 = bpf_map_lookup_elem(map, key)`
    fn lookup(&mut self, map: &MapSpec, key: Loc) {
        self.asm.ld_map(R1, &map.symbol);
        self.addr_of(R2, key);
        self.asm.emit(call(helpers::MAP_LOOKUP_ELEM));
    }

    /// `bpf_map_update_elem(map, key, value, BPF_ANY)`
    fn update(&mut self, map: &MapSpec, key: Loc, value: Loc) {
        self.asm.ld_map(R1, &map.symbol);
        self.addr_of(R2, key);
        self.addr_of(R3, value);
        self.asm.emit(mov64_imm(R4, BPF_ANY));
        self.asm.emit(call(helpers::MAP_UPDATE_ELEM));
        // A refused update (the map is full) is counted, never silent.
        let ok = self.asm.new_label();
        self.asm.jmp_imm(Jmp::Jsge, R0, 0, ok);
        let index = self.sh.map_index[&map.name] as i32;
        self.bump_counter(2 + index);
        self.asm.bind(ok);
    }

    fn map_of(&self, target: &Expr) -> (MapSpec, Vec<Expr>) {
        let ExprKind::Map { name, keys } = &target.kind else {
            unreachable!()
        };
        (self.map(name).1, keys.clone())
    }

    /// `@m[k] = value` for scalar and aggregate values.
    pub fn map_assign(&mut self, target: &Expr, value: &Expr) -> GResult<()> {
        let (map, keys) = self.map_of(target);
        if let MapValue::Agg(agg) = &map.value {
            if let ExprKind::Call { args, .. } = &value.kind {
                return self.aggregate(&map, &keys, agg.clone(), args, target);
            }
        }
        let (key, _) = self.build_key(&map, &keys, target)?;
        let val = self.mem(map.value_size, value.span)?;
        self.expr_into(value, val, map.value_size)?;
        self.update(&map, key, val);
        Ok(())
    }

    /// `@m[k] op= value` on a scalar map: read, compute, write back.
    pub fn map_compound(
        &mut self,
        target: &Expr,
        op: crate::ast::BinOp,
        value: &Expr,
    ) -> GResult<()> {
        let (map, keys) = self.map_of(target);
        if let MapValue::Agg(agg @ (Agg::Count | Agg::Sum)) = &map.value {
            // `@x += n` on a sum adds like sum(n).
            let neg;
            let args = if op == crate::ast::BinOp::Sub {
                neg = Expr::new(
                    ExprKind::Unary {
                        op: crate::ast::UnOp::Neg,
                        expr: Box::new(value.clone()),
                    },
                    value.span,
                );
                std::slice::from_ref(&neg)
            } else {
                std::slice::from_ref(value)
            };
            return self.aggregate(&map, &keys, agg.clone(), args, target);
        }
        let rhs = self.scalar(value)?;
        let (key, _) = self.build_key(&map, &keys, target)?;
        let cur = self.read_map_scalar(&map, key)?;
        self.load_into(cur, R0);
        let r = self.load(rhs, R1);
        let alu = match op {
            crate::ast::BinOp::Add => Alu::Add,
            crate::ast::BinOp::Sub => Alu::Sub,
            crate::ast::BinOp::Mul => Alu::Mul,
            crate::ast::BinOp::Div => Alu::Div,
            crate::ast::BinOp::Mod => Alu::Mod,
            crate::ast::BinOp::BitAnd => Alu::And,
            crate::ast::BinOp::BitOr => Alu::Or,
            crate::ast::BinOp::BitXor => Alu::Xor,
            crate::ast::BinOp::Shl => Alu::Lsh,
            _ => Alu::Rsh,
        };
        self.asm.emit(alu64_reg(alu, R0, r));
        self.frame.free(rhs);
        self.frame.free(cur);
        let val = self.mem(8, value.span)?;
        self.store(val, R0, 8);
        self.update(&map, key, val);
        Ok(())
    }

    /// Reads a scalar map value (0 when absent) into a temporary.
    fn read_map_scalar(&mut self, map: &MapSpec, key: Loc) -> GResult<Val> {
        self.lookup(map, key);
        let (null, done) = (self.asm.new_label(), self.asm.new_label());
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, null);
        match &map.value {
            MapValue::Agg(Agg::Avg) => {
                self.asm.emit(ldx(Size::DW, R1, R0, 8));
                self.asm.emit(ldx(Size::DW, R0, R0, 0));
                let skip = self.asm.new_label();
                self.asm.jmp_imm(Jmp::Jeq, R1, 0, skip);
                self.asm.emit(alu64_sdiv(Alu::Div, R0, R1));
                self.asm.bind(skip);
            }
            _ => self.asm.emit(ldx(Size::DW, R0, R0, 0)),
        }
        self.asm.ja(done);
        self.asm.bind(null);
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.bind(done);
        self.temp_from(R0)
    }

    /// `@m[k]` as a scalar.
    pub fn map_read(&mut self, e: &Expr) -> GResult<Val> {
        let (map, keys) = self.map_of(e);
        let (key, _) = self.build_key(&map, &keys, e)?;
        self.read_map_scalar(&map, key)
    }

    /// `@m[k]` of an aggregate type, copied to `dst` (zeroes when absent).
    pub fn map_read_into(&mut self, e: &Expr, dst: Loc, size: u32) -> GResult<()> {
        let (map, keys) = self.map_of(e);
        let (key, _) = self.build_key(&map, &keys, e)?;
        self.zero(dst, size);
        self.lookup(&map, key);
        let null = self.asm.new_label();
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, null);
        let n = size.min(map.value_size);
        // Whole words, then the tail (a string[11] value is 8 + 2 + 1).
        let mut off = 0;
        for (size, width) in [(Size::DW, 8), (Size::W, 4), (Size::H, 2), (Size::B, 1)] {
            while off + width <= n {
                self.asm.emit(ldx(size, R1, R0, off as i16));
                self.asm
                    .emit(stx(size, dst.base(), dst.off() + off as i16, R1));
                off += width;
            }
        }
        self.asm.bind(null);
        Ok(())
    }

    /// `@m[k]++` and friends on a scalar map.
    pub fn map_incdec(&mut self, target: &Expr, delta: i32, prefix: bool) -> GResult<Val> {
        let (map, keys) = self.map_of(target);
        let (key, _) = self.build_key(&map, &keys, target)?;
        let old = self.read_map_scalar(&map, key)?;
        self.load_into(old, R0);
        self.asm.emit(alu64_imm(Alu::Add, R0, delta));
        let val = self.mem(8, target.span)?;
        self.store(val, R0, 8);
        self.update(&map, key, val);
        if prefix {
            self.frame.free(old);
            self.asm.emit(ldx(Size::DW, R0, val.base(), val.off()));
            return self.temp_from(R0);
        }
        Ok(old)
    }

    /// `delete(@m[k])`
    pub fn map_delete(&mut self, target: &Expr) -> GResult<()> {
        let (map, keys) = self.map_of(target);
        let (key, _) = self.build_key(&map, &keys, target)?;
        self.asm.ld_map(R1, &map.symbol);
        self.addr_of(R2, key);
        self.asm.emit(call(helpers::MAP_DELETE_ELEM));
        Ok(())
    }

    /// `has_key(@m, k)`
    pub fn map_has_key(&mut self, map_expr: &Expr, key: &Expr) -> GResult<Val> {
        let ExprKind::Map { name, .. } = &map_expr.kind else {
            unreachable!()
        };
        let map = self.map(name).1;
        let (k, _) = self.build_key(&map, std::slice::from_ref(key), map_expr)?;
        self.lookup(&map, k);
        let done = self.asm.new_label();
        self.asm.emit(mov64_reg(R1, R0));
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.jmp_imm(Jmp::Jeq, R1, 0, done);
        self.asm.emit(mov64_imm(R0, 1));
        self.asm.bind(done);
        self.temp_from(R0)
    }

    /// count/sum/avg/min/max/stats/hist/lhist, summed per CPU in the kernel.
    fn aggregate(
        &mut self,
        map: &MapSpec,
        keys: &[Expr],
        agg: Agg,
        args: &[Expr],
        at: &Expr,
    ) -> GResult<()> {
        let v = match args.first() {
            Some(a) if !matches!(agg, Agg::Count) => Some(self.scalar(a)?),
            _ => None,
        };
        let (key, bucket_off) = self.build_key(map, keys, at)?;
        if let Some(v) = v {
            match agg {
                Agg::Hist { bits } => {
                    self.load_into(v, R1);
                    self.log2_bucket(R1, bits);
                    self.store(key.plus(bucket_off), R0, 8);
                }
                Agg::Lhist { min, max, step } => {
                    self.load_into(v, R1);
                    self.lhist_bucket(R1, min, max, step);
                    self.store(key.plus(bucket_off), R0, 8);
                }
                _ => {}
            }
        }
        self.lookup(map, key);
        let (init, done) = (self.asm.new_label(), self.asm.new_label());
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, init);
        // The element exists: update this CPU's slot in place.
        match agg {
            Agg::Count | Agg::Hist { .. } | Agg::Lhist { .. } => {
                self.asm.emit(ldx(Size::DW, R1, R0, 0));
                self.asm.emit(alu64_imm(Alu::Add, R1, 1));
                self.asm.emit(stx(Size::DW, R0, 0, R1));
            }
            Agg::Sum => {
                let r = self.load(v.unwrap(), R2);
                self.asm.emit(ldx(Size::DW, R1, R0, 0));
                self.asm.emit(alu64_reg(Alu::Add, R1, r));
                self.asm.emit(stx(Size::DW, R0, 0, R1));
            }
            Agg::Avg | Agg::Stats => {
                let r = self.load(v.unwrap(), R2);
                self.asm.emit(ldx(Size::DW, R1, R0, 0));
                self.asm.emit(alu64_reg(Alu::Add, R1, r));
                self.asm.emit(stx(Size::DW, R0, 0, R1));
                self.asm.emit(ldx(Size::DW, R1, R0, 8));
                self.asm.emit(alu64_imm(Alu::Add, R1, 1));
                self.asm.emit(stx(Size::DW, R0, 8, R1));
            }
            Agg::Min | Agg::Max => {
                let r = self.load(v.unwrap(), R2);
                let (set, keep) = (self.asm.new_label(), self.asm.new_label());
                self.asm.emit(ldx(Size::DW, R1, R0, 8));
                self.asm.jmp_imm(Jmp::Jeq, R1, 0, set);
                self.asm.emit(ldx(Size::DW, R1, R0, 0));
                let j = if agg == Agg::Min {
                    Jmp::Jsge
                } else {
                    Jmp::Jsle
                };
                self.asm.jmp_reg(j, r, R1, keep);
                self.asm.bind(set);
                self.asm.emit(stx(Size::DW, R0, 0, r));
                self.asm.emit(mov64_imm(R1, 1));
                self.asm.emit(stx(Size::DW, R0, 8, R1));
                self.asm.bind(keep);
            }
        }
        self.asm.ja(done);
        // A new element: insert its first value.
        self.asm.bind(init);
        let val = self.mem(map.value_size, at.span)?;
        self.zero(val, map.value_size);
        match agg {
            Agg::Count | Agg::Hist { .. } | Agg::Lhist { .. } => {
                self.asm.emit(st_imm(Size::DW, val.base(), val.off(), 1));
            }
            _ => {
                let r = self.load(v.unwrap(), R2);
                self.store(val, r, 8);
                if map.value_size >= 16 {
                    self.asm
                        .emit(st_imm(Size::DW, val.base(), val.off() + 8, 1));
                }
            }
        }
        self.update(map, key, val);
        self.asm.bind(done);
        if let Some(v) = v {
            self.frame.free(v);
        }
        Ok(())
    }

    /// `R0 = log2 bucket of R1`: 0 for negatives, 1 for zero, 2 + floor(log2)
    /// otherwise; with `bits` sub-buckets per power of two.
    fn log2_bucket(&mut self, v: Reg, bits: u8) {
        let (neg, zero, done) = (
            self.asm.new_label(),
            self.asm.new_label(),
            self.asm.new_label(),
        );
        self.asm.jmp_imm(Jmp::Jslt, v, 0, neg);
        self.asm.jmp_imm(Jmp::Jeq, v, 0, zero);
        // R0 = floor(log2(v)) by binary search; R2 = v shifted.
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.emit(mov64_reg(R2, v));
        for shift in [32, 16, 8, 4, 2, 1] {
            let skip = self.asm.new_label();
            self.mov_imm(R3, 1i64 << shift);
            self.asm.jmp_reg(Jmp::Jlt, R2, R3, skip);
            self.asm.emit(alu64_imm(Alu::Rsh, R2, shift));
            self.asm.emit(alu64_imm(Alu::Add, R0, shift));
            self.asm.bind(skip);
        }
        if bits == 0 {
            self.asm.emit(alu64_imm(Alu::Add, R0, 2));
        } else {
            // With k sub-buckets: v < 2^k → v + 1; else, l = log2(v) - k:
            // ((l + 1) << k) + ((v >> l) & (2^k - 1)) + 1.
            let (small, out) = (self.asm.new_label(), self.asm.new_label());
            self.asm.jmp_imm(Jmp::Jlt, v, 1 << bits, small);
            self.asm.emit(alu64_imm(Alu::Sub, R0, bits as i32));
            self.asm.emit(mov64_reg(R2, v));
            self.asm.emit(alu64_reg(Alu::Rsh, R2, R0));
            self.asm.emit(alu64_imm(Alu::And, R2, (1 << bits) - 1));
            self.asm.emit(alu64_imm(Alu::Add, R0, 1));
            self.asm.emit(alu64_imm(Alu::Lsh, R0, bits as i32));
            self.asm.emit(alu64_reg(Alu::Add, R0, R2));
            self.asm.emit(alu64_imm(Alu::Add, R0, 1));
            self.asm.ja(out);
            self.asm.bind(small);
            self.asm.emit(mov64_reg(R0, v));
            self.asm.emit(alu64_imm(Alu::Add, R0, 1));
            self.asm.bind(out);
        }
        self.asm.ja(done);
        self.asm.bind(neg);
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.ja(done);
        self.asm.bind(zero);
        self.asm.emit(mov64_imm(R0, 1));
        self.asm.bind(done);
    }

    /// `R0 = lhist bucket of R1`: 0 below min, 1.. inside, last at/above max.
    fn lhist_bucket(&mut self, v: Reg, min: i64, max: i64, step: i64) {
        let (below, above, done) = (
            self.asm.new_label(),
            self.asm.new_label(),
            self.asm.new_label(),
        );
        self.mov_imm(R2, min);
        self.asm.jmp_reg(Jmp::Jslt, v, R2, below);
        self.mov_imm(R2, max);
        self.asm.jmp_reg(Jmp::Jsge, v, R2, above);
        self.asm.emit(mov64_reg(R0, v));
        self.mov_imm(R2, min);
        self.asm.emit(alu64_reg(Alu::Sub, R0, R2));
        self.mov_imm(R2, step);
        self.asm.emit(alu64_reg(Alu::Div, R0, R2));
        self.asm.emit(alu64_imm(Alu::Add, R0, 1));
        self.asm.ja(done);
        self.asm.bind(below);
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.ja(done);
        self.asm.bind(above);
        self.mov_imm(R0, (max - min) / step + 1);
        self.asm.bind(done);
    }
}
