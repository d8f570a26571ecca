//! The whole pipeline: source → AST → typed probes → BPF → object.

use crate::codegen::{self, GenError};
use crate::diag::Diagnostic;
use crate::elf::{write_object_with_functions, ElfFunction, ElfMap, ElfProgram};
use crate::env::Env;
use crate::spec::*;
use crate::{ast, parse, sema};

const BPF_F_NO_PREALLOC: u32 = 1;

fn symbol_name(i: usize, probe: &str) -> String {
    let clean: String = probe
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    format!("p{i}_{clean}")
}

/// Compiles a script for the machine described by `env`.
pub fn compile(source: &str, env: &dyn Env, opts: &Options) -> Result<Compiled, Vec<Diagnostic>> {
    let (program, diags) = parse::parse(source);
    let mut dumps = Vec::new();
    if opts.dump.iter().any(|d| d == "ast") {
        dumps.push(("ast".to_string(), parse::dump(&program)));
    }
    if diags.iter().any(|d| d.level == crate::diag::Level::Error) {
        return Err(diags);
    }
    if program.probes.is_empty() {
        let message = if source.trim().is_empty() {
            "the script is empty"
        } else {
            "the script has no probes"
        };
        return Err(vec![Diagnostic::error(
            crate::span::Span::new(0, 0),
            message,
        )]);
    }
    let opts = &sema::config::apply(&program.config, opts)?;
    let analysis = sema::analyze(&program, env, opts)?;
    if opts.dump.iter().any(|d| d == "types") {
        let typed = ast::Program {
            config: Vec::new(),
            probes: analysis
                .probes
                .iter()
                .map(|p| ast::Probe {
                    attach_points: Vec::new(),
                    predicate: p.predicate.clone(),
                    body: p.body.clone(),
                    span: Default::default(),
                })
                .collect(),
        };
        let mut text = String::new();
        for p in &analysis.probes {
            text.push_str(&format!("{}\n", p.target.name));
        }
        text.push_str(&parse::dump(&typed));
        dumps.push(("types".to_string(), text));
    }
    let out = codegen::generate(&analysis, opts, env, env.ncpus(), source)
        .map_err(|GenError { span, message }| vec![Diagnostic::error(span, message)])?;
    let mut elf_maps: Vec<ElfMap> = out
        .maps
        .iter()
        .map(|m| ElfMap {
            name: m.symbol.clone(),
            map_type: m.bpf_type,
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: m.max_entries,
            // Per-CPU hashes allocate as they fill (preallocating one costs
            // milliseconds at start-up, and their keys are inserted once);
            // plain hashes stay preallocated, since maps like runqlat's
            // @qtime insert and delete on every event.
            flags: if m.percpu { BPF_F_NO_PREALLOC } else { 0 },
        })
        .collect();
    let internal = |name: &str, map_type, key_size, value_size, max_entries| ElfMap {
        name: name.to_string(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    };
    elf_maps.push(internal(
        RINGBUF_MAP,
        map_type::RINGBUF,
        0,
        0,
        opts.ringbuf_size,
    ));
    // Counters: [0] events the ring buffer dropped, [1] exit() calls,
    // [2 + i] updates map i refused.
    let counters = 2 + out.maps.len() as u32;
    elf_maps.push(internal(LOST_MAP, map_type::PERCPU_ARRAY, 4, 8, counters));
    if out.programs.iter().any(|p| p.scratch_size > 8) {
        elf_maps.push(internal(
            SCRATCH_MAP,
            map_type::PERCPU_ARRAY,
            4,
            out.scratch_size,
            1,
        ));
    }
    if out.uses_stacks {
        elf_maps.push(internal(
            STACKS_MAP,
            map_type::STACK_TRACE,
            4,
            127 * 8,
            4096,
        ));
    }
    if out.uses_globals {
        elf_maps.push(internal(GLOBALS_MAP, map_type::ARRAY, 4, 8, 1));
    }
    let mut programs = Vec::new();
    let mut elf_programs = Vec::new();
    let mut asm_dump = String::new();
    for (i, p) in out.programs.iter().enumerate() {
        let name = symbol_name(i, &p.target.name);
        if opts.dump.iter().any(|d| d == "asm") {
            asm_dump.push_str(&format!("{} ({}):\n", p.target.name, p.target.section));
            asm_dump.push_str(&scry_asm::disasm::disasm_with_maps(
                &p.asm.insns,
                &p.asm.relocs,
            ));
        }
        elf_programs.push(ElfProgram {
            section: p.target.section.clone(),
            name: name.clone(),
            code: scry_asm::encode_all(&p.asm.insns),
            map_relocs: p.asm.relocs.clone(),
        });
        programs.push(ProgramSpec {
            name,
            section: p.target.section.clone(),
            attach: p.target.attach.clone(),
            probe: p.target.name.clone(),
            lines: p.asm.lines.clone(),
            code: scry_asm::encode_all(&p.asm.insns),
            map_relocs: p.asm.relocs.clone(),
            insn_count: p.asm.insns.len(),
        });
    }
    if opts.dump.iter().any(|d| d == "ir") {
        dumps.push(("ir".to_string(), ir_dump(&programs, &out.maps, &out.events)));
    }
    if !asm_dump.is_empty() {
        dumps.push(("asm".to_string(), asm_dump));
    }
    // Callback functions (for-map loop bodies) live in `.text`.
    let functions: Vec<ElfFunction> = out
        .programs
        .iter()
        .flat_map(|p| &p.functions)
        .map(|(name, asm)| ElfFunction {
            name: name.clone(),
            code: scry_asm::encode_all(&asm.insns),
            map_relocs: asm.relocs.clone(),
            func_relocs: asm.func_relocs.clone(),
        })
        .collect();
    let func_relocs: Vec<Vec<(usize, String)>> = out
        .programs
        .iter()
        .map(|p| p.asm.func_relocs.clone())
        .collect();
    let object =
        write_object_with_functions(&elf_programs, &func_relocs, &functions, &elf_maps, "GPL")
            .map_err(|e| {
                vec![Diagnostic::error(
                    Default::default(),
                    format!("internal: cannot write the object: {e}"),
                )]
            })?;
    let has_end = out.events.iter().any(|e| matches!(e, EventSpec::Exit));
    Ok(Compiled {
        object,
        programs,
        maps: out.maps,
        events: out.events,
        probe_names: out.probe_names,
        ringbuf_size: opts.ringbuf_size,
        has_end,
        dumps,
    })
}

/// The `-d ir` dump: what was generated, as tables.
fn ir_dump(programs: &[ProgramSpec], maps: &[MapSpec], events: &[EventSpec]) -> String {
    let mut s = String::from("programs:\n");
    for p in programs {
        s.push_str(&format!(
            "  {} [{}] {} insns: {:?}\n",
            p.name, p.section, p.insn_count, p.attach
        ));
    }
    s.push_str("maps:\n");
    for m in maps {
        let key: Vec<String> = m.key.iter().map(|t| t.to_string()).collect();
        s.push_str(&format!(
            "  {} ({}) key [{}] {}B value {:?} {}B type {}{}\n",
            m.name,
            m.symbol,
            key.join(", "),
            m.key_size,
            m.value,
            m.value_size,
            m.bpf_type,
            if m.percpu { " per-cpu" } else { "" }
        ));
    }
    s.push_str("events:\n");
    for (i, e) in events.iter().enumerate() {
        s.push_str(&format!("  {i}: {e:?}\n"));
    }
    s
}
