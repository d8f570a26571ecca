//! Code generation: typed probe bodies → BPF instructions, one program per
//! target, plus the map and event tables the runtime reads.

mod builtins;
mod calls;
mod dead;
mod declare;
mod expr;
mod formap;
pub mod frame;
mod kptr;
mod kptr_vars;
mod maps;
mod stmt;
mod walk;

use crate::sema::maps::Maps;
use crate::sema::probes::Target;
use crate::sema::{Analysis, TypedProbe};
use crate::spec::{map_type, EventSpec, MapSpec, MapValue, Options};
use crate::types::{tuple_layout, Agg, Type};
use frame::{Frame, Loc, Val, CTX, SCRATCH};
use scry_asm::*;
use std::collections::HashMap;

/// Code generation error (a limit of the target, with the script line).
#[derive(Debug, Clone)]
pub struct GenError {
    pub span: crate::span::Span,
    pub message: String,
}

pub type GResult<T> = Result<T, GenError>;

/// One generated program.
pub struct Program {
    pub target: Target,
    pub asm: Asm,
    pub scratch_size: u32,
    /// Callback functions this program references: (symbol, code).
    pub functions: Vec<(String, Asm)>,
}

/// Everything generated for a script.
pub struct Output {
    pub programs: Vec<Program>,
    pub maps: Vec<MapSpec>,
    pub events: Vec<EventSpec>,
    pub probe_names: Vec<String>,
    pub scratch_size: u32,
    pub uses_stacks: bool,
    pub uses_globals: bool,
}

/// Script-wide state shared by all programs.
pub struct Shared<'a> {
    pub opts: &'a Options,
    pub env: &'a dyn crate::env::Env,
    pub maps: Vec<MapSpec>,
    pub map_index: HashMap<String, usize>,
    pub events: Vec<EventSpec>,
    pub probe_names: Vec<String>,
    pub uses_stacks: bool,
    pub uses_globals: bool,
    pub ncpus: u32,
    /// Callback functions generated so far (names are numbered).
    pub callbacks: u32,
}

/// The state of one program being generated.
pub struct Gen<'a, 'b> {
    pub sh: &'b mut Shared<'a>,
    pub asm: Asm,
    pub frame: Frame,
    pub target: &'b Target,
    /// Variables: scalars in stack slots, aggregates in memory.
    pub vars: HashMap<String, (Type, Val)>,
    pub exit_label: Label,
    /// (continue, break) labels of the enclosing loops.
    pub loops: Vec<(Label, Label)>,
    pub source: &'b str,
    pub env: &'a dyn crate::env::Env,
    /// Bodies of `for ($kv : @m)` loops, generated as callbacks after the
    /// frame that calls them.
    pub pending: Vec<formap::PendingLoop>,
    /// Generating a callback: the probe's context (r6) is not available.
    pub in_callback: bool,
    pub with_scratch: bool,
    /// Finished callbacks: (function symbol, instructions).
    pub functions: Vec<(String, Asm)>,
    /// The variables the probe reads: assignments to others are dead
    /// (`dead.rs`).
    pub read_vars: std::collections::HashSet<String>,
    /// Variables that keep a kernel pointer the program reads through
    /// (`kptr_vars.rs`).
    pub kptr_vars: HashMap<String, kptr::Kptr>,
}

fn symbol_for(name: &str, i: usize) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("map{i}{clean}")
}

fn build_maps(maps: &Maps, opts: &Options) -> Vec<MapSpec> {
    let mut out = Vec::new();
    for (i, m) in maps.maps.values().enumerate() {
        let key = m.key.clone().unwrap_or_default();
        let value = m.value.clone().unwrap_or(MapValue::Scalar(Type::I64));
        let key_size = if key.is_empty() {
            8
        } else {
            tuple_layout(&key).1.max(8)
        };
        let (key_size, value_size, percpu) = match &value {
            MapValue::Scalar(t) => (key_size, t.size().div_ceil(8).max(1) * 8, false),
            MapValue::Agg(Agg::Count | Agg::Sum) => (key_size, 8, true),
            MapValue::Agg(Agg::Min | Agg::Max | Agg::Avg | Agg::Stats) => (key_size, 16, true),
            // hist/lhist: the key has the bucket index appended.
            MapValue::Agg(Agg::Hist { .. } | Agg::Lhist { .. }) => {
                let base = if key.is_empty() { 0 } else { key_size };
                (base + 8, 8, true)
            }
        };
        out.push(MapSpec {
            name: m.name.clone(),
            symbol: symbol_for(&m.name, i),
            key,
            key_size,
            value,
            value_size,
            bpf_type: if percpu {
                map_type::PERCPU_HASH
            } else {
                map_type::HASH
            },
            max_entries: opts.map_entries,
            percpu,
        });
    }
    out
}

/// Generates all programs.
pub fn generate<'a>(
    analysis: &Analysis,
    opts: &'a Options,
    env: &'a dyn crate::env::Env,
    ncpus: u32,
    source: &str,
) -> GResult<Output> {
    let maps = build_maps(&analysis.maps, opts);
    let map_index = maps
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let mut sh = Shared {
        opts,
        env,
        maps,
        map_index,
        events: Vec::new(),
        probe_names: Vec::new(),
        uses_stacks: false,
        uses_globals: false,
        ncpus,
        callbacks: 0,
    };
    let mut programs = Vec::new();
    let mut scratch_size = 0;
    for p in &analysis.probes {
        let prog = gen_program(&mut sh, p, source)?;
        scratch_size = scratch_size.max(prog.scratch_size);
        programs.push(prog);
    }
    Ok(Output {
        programs,
        maps: sh.maps,
        events: sh.events,
        probe_names: sh.probe_names,
        scratch_size,
        uses_stacks: sh.uses_stacks,
        uses_globals: sh.uses_globals,
    })
}

fn gen_program(sh: &mut Shared, p: &TypedProbe, source: &str) -> GResult<Program> {
    // Generate once to learn whether the scratch map is needed, then for
    // real with the prologue that loads it.
    let first = gen_once(sh, p, source, false)?;
    if !first.frame.scratch_used {
        return finish(first);
    }
    gen_once(sh, p, source, true).and_then(finish)
}

fn finish(g: GenDone) -> GResult<Program> {
    let mut asm = g.asm;
    asm.finish().map_err(|e| GenError {
        span: Default::default(),
        message: format!("program too large to assemble: {e:?}"),
    })?;
    Ok(Program {
        target: g.target,
        asm,
        scratch_size: g.frame.scratch_max.max(8),
        functions: g.functions,
    })
}

struct GenDone {
    asm: Asm,
    frame: Frame,
    target: Target,
    functions: Vec<(String, Asm)>,
}

fn gen_once(sh: &mut Shared, p: &TypedProbe, source: &str, with_scratch: bool) -> GResult<GenDone> {
    let events_before = sh.events.len();
    let names_before = sh.probe_names.len();
    let mut asm = Asm::new();
    let exit_label = asm.new_label();
    let env = sh.env;
    let mut g = Gen {
        sh,
        asm,
        frame: Frame::new(),
        target: &p.target,
        vars: HashMap::new(),
        exit_label,
        loops: Vec::new(),
        source,
        env,
        pending: Vec::new(),
        in_callback: false,
        with_scratch,
        functions: Vec::new(),
        read_vars: dead::read_vars(p.predicate.as_ref(), &p.body),
        kptr_vars: HashMap::new(),
    };
    g.find_kptr_vars(p.predicate.as_ref(), &p.body);
    g.asm.emit(mov64_reg(CTX, R1));
    if with_scratch {
        // r9 = &scratch[0] for this CPU.
        let key = g
            .frame
            .slot()
            .map_err(|m| g.err_at(Default::default(), m))?;
        g.asm.emit(st_imm(Size::W, R10, key, 0));
        g.asm.ld_map(R1, crate::spec::SCRATCH_MAP);
        g.asm.emit(mov64_reg(R2, R10));
        g.asm.emit(alu64_imm(Alu::Add, R2, key as i32));
        g.asm.emit(call(helpers::MAP_LOOKUP_ELEM));
        g.asm.jmp_imm(Jmp::Jeq, R0, 0, exit_label);
        g.asm.emit(mov64_reg(SCRATCH, R0));
    }
    g.declare_unassigned(&p.body)?;
    if let Some(pred) = &p.predicate {
        g.line_of(pred.span);
        g.jump_if_false(pred, exit_label)?;
    }
    g.block(&p.body)?;
    g.asm.bind(exit_label);
    g.asm.emit(mov64_imm(R0, 0));
    g.asm.emit(exit());
    g.gen_callbacks()?;
    let done = GenDone {
        asm: std::mem::take(&mut g.asm),
        frame: std::mem::take(&mut g.frame),
        target: p.target.clone(),
        functions: std::mem::take(&mut g.functions),
    };
    if !with_scratch && done.frame.scratch_used {
        // Discard what the first attempt registered; the second run
        // registers it again.
        sh.events.truncate(events_before);
        sh.probe_names.truncate(names_before);
    }
    Ok(done)
}

impl<'a, 'b> Gen<'a, 'b> {
    /// The kernel's BTF, loaded on first use (only struct walks need it).
    pub fn btf(&self) -> Option<&'a scry_btf::Btf> {
        self.env.btf()
    }

    pub fn err_at(&self, span: crate::span::Span, message: impl Into<String>) -> GenError {
        GenError {
            span,
            message: message.into(),
        }
    }

    /// Attributes the next instructions to the line of `span`.
    pub fn line_of(&mut self, span: crate::span::Span) {
        let start = (span.start as usize).min(self.source.len());
        self.asm.line = self.source[..start].matches('\n').count() as u32 + 1;
    }

    /// Puts a scalar value in a register: its own when it has one, `scratch`
    /// otherwise.
    pub fn load(&mut self, v: Val, scratch: Reg) -> Reg {
        match v {
            Val::Imm(i) => {
                self.mov_imm(scratch, i);
                scratch
            }
            Val::Reg(r) => r,
            Val::Slot(s, _) => {
                self.asm.emit(ldx(Size::DW, scratch, R10, s));
                scratch
            }
            Val::Mem(loc) => {
                self.asm.emit(mov64_reg(scratch, loc.base()));
                self.asm
                    .emit(alu64_imm(Alu::Add, scratch, loc.off() as i32));
                scratch
            }
        }
    }

    /// Copies a scalar value into register `dst`.
    pub fn load_into(&mut self, v: Val, dst: Reg) {
        let r = self.load(v, dst);
        if r != dst {
            self.asm.emit(mov64_reg(dst, r));
        }
    }

    pub fn mov_imm(&mut self, dst: Reg, i: i64) {
        if i >= i32::MIN as i64 && i <= i32::MAX as i64 {
            self.asm.emit(mov64_imm(dst, i as i32));
        } else {
            self.asm.emit2(ld_imm64(dst, i as u64));
        }
    }

    /// A new scalar temporary holding register `r`'s value.
    pub fn temp_from(&mut self, r: Reg) -> GResult<Val> {
        if let Some(t) = self.frame.take_reg() {
            self.asm.emit(mov64_reg(t, r));
            return Ok(Val::Reg(t));
        }
        let s = self
            .frame
            .slot()
            .map_err(|m| self.err_at(Default::default(), m))?;
        self.asm.emit(stx(Size::DW, R10, s, r));
        Ok(Val::Slot(s, true))
    }

    pub fn mem(&mut self, size: u32, span: crate::span::Span) -> GResult<Loc> {
        self.frame.mem(size).map_err(|m| self.err_at(span, m))
    }

    /// Zeroes `size` bytes at `loc` (rounded up to 8).
    pub fn zero(&mut self, loc: Loc, size: u32) {
        let mut off = 0;
        while off < size {
            self.asm
                .emit(st_imm(Size::DW, loc.base(), loc.off() + off as i16, 0));
            off += 8;
        }
    }

    /// Stores scalar `r` at `loc` with `size` bytes.
    pub fn store(&mut self, loc: Loc, r: Reg, size: u32) {
        let sz = Size::from_bytes(size).unwrap_or(Size::DW);
        self.asm.emit(stx(sz, loc.base(), loc.off(), r));
    }

    /// Copies `size` bytes from `src` to `dst` (both in our memory).
    pub fn copy(&mut self, dst: Loc, src: Loc, size: u32) {
        let mut off = 0;
        while off + 8 <= size {
            self.asm
                .emit(ldx(Size::DW, R0, src.base(), src.off() + off as i16));
            self.asm
                .emit(stx(Size::DW, dst.base(), dst.off() + off as i16, R0));
            off += 8;
        }
        while off < size {
            self.asm
                .emit(ldx(Size::B, R0, src.base(), src.off() + off as i16));
            self.asm
                .emit(stx(Size::B, dst.base(), dst.off() + off as i16, R0));
            off += 1;
        }
    }

    /// `r1 = &loc`
    pub fn addr_of(&mut self, dst: Reg, loc: Loc) {
        self.asm.emit(mov64_reg(dst, loc.base()));
        self.asm.emit(alu64_imm(Alu::Add, dst, loc.off() as i32));
    }

    pub fn map(&self, name: &str) -> (usize, MapSpec) {
        let i = self.sh.map_index[name];
        (i, self.sh.maps[i].clone())
    }

    pub fn event(&mut self, e: EventSpec) -> u32 {
        self.sh.events.push(e);
        self.sh.events.len() as u32 - 1
    }
}

pub use frame::Loc as MemLoc;
