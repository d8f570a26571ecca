//! The BPF object: an ELF relocatable file that aya (and libbpf, bpftool)
//! can read. One section per program (named for its probe type), a Text
//! symbol per program, `R_BPF_64_64` relocations on map loads, BTF-defined
//! maps in `.maps` described by a generated `.BTF`, and a `license`.
//!
//! Callback subprograms (for `bpf_for_each_map_elem` and its kin) live in
//! `.text`, one local (static) Text symbol each, as clang emits a `static`
//! function. A reference to one is what clang emits for a static callback:
//! an `ld_imm64` with src_reg `BPF_PSEUDO_FUNC` (4) whose immediate is the
//! function's byte offset in `.text`, with an `R_BPF_64_64` relocation
//! against the `.text` section symbol. (libbpf refuses a relocation
//! against a local FUNC symbol, "bad map relo"; aya 0.14 takes either.)
//! aya then appends the function's instructions to every program that
//! refers to it, patches the immediate to the pc-relative distance and
//! carries the function's func_info along (aya-obj `relocation.rs`,
//! `FunctionLinker`). The `.BTF` has a global
//! FUNC per program and a static FUNC per function (the verifier refuses a
//! non-static callback), and `.BTF.ext` has one func_info record per
//! program and per function: the kernel wants one per subprogram ("missing
//! btf func_info" otherwise).

use std::collections::HashMap;
use std::fmt;

use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};
use scry_btf::{BtfExtWriter, BtfWriter};

/// `R_BPF_64_64`: a 64-bit immediate (`ld_imm64`) referring to a symbol.
const R_BPF_64_64: object::elf::RelocationType = object::elf::R_BPF_64_64;
/// Opcode of `ld_imm64` (BPF_LD | BPF_IMM | BPF_DW).
const LD_IMM64: u8 = 0x18;
/// `src_reg` of an `ld_imm64` that loads a subprogram's address.
const BPF_PSEUDO_FUNC: u8 = 4;
/// The section that holds the functions.
const TEXT: &str = ".text";

/// One program of the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfProgram {
    /// ELF section; its first `/`-separated part selects the program type
    /// (`tracepoint/syscalls/sys_enter_openat`, `uprobe`, `perf_event`,
    /// `raw_tracepoint/sched_switch`, `kprobe/do_sys_open`, `tp_btf/...`).
    /// Programs may share a section.
    pub section: String,
    /// Symbol name: a unique C identifier.
    pub name: String,
    /// Encoded instructions, 8 bytes each.
    pub code: Vec<u8>,
    /// (instruction index of an `ld_imm64`, map name) for each map load.
    pub map_relocs: Vec<(usize, String)>,
}

/// A callback subprogram, `long name(void *map, void *key, void *value,
/// void *ctx)` (the shape `bpf_for_each_map_elem` calls), placed in
/// `.text`. Programs refer to it with an `ld_imm64` listed in their
/// function relocations; aya copies it into each program that does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfFunction {
    /// Symbol name: a unique C identifier (shared namespace with programs
    /// and maps).
    pub name: String,
    /// Encoded instructions, 8 bytes each, ending in `exit`.
    pub code: Vec<u8>,
    /// (instruction index of an `ld_imm64`, map name) for each map load.
    pub map_relocs: Vec<(usize, String)>,
    /// (instruction index of an `ld_imm64`, function name) for each
    /// reference to another function.
    pub func_relocs: Vec<(usize, String)>,
}

/// One BTF-defined map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfMap {
    /// A C identifier.
    pub name: String,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
}

/// Input that cannot make an object (a bug in the code generator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// A relocation names a map that is not in the map list.
    UnknownMap { program: String, map: String },
    /// A relocation names a function that is not in the function list.
    UnknownFunction { program: String, function: String },
    /// A relocation's instruction is missing or is not an `ld_imm64`.
    BadRelocation { program: String, insn: usize },
    /// Code length is not a multiple of 8, or is empty.
    BadCode { program: String },
    /// Two programs, functions or maps share a symbol name.
    DuplicateSymbol(String),
    /// More lists of function relocations than programs.
    ExtraFuncRelocs { programs: usize, lists: usize },
    /// The object writer failed.
    Write(String),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::UnknownMap { program, map } => {
                write!(f, "program {program} refers to unknown map {map}")
            }
            ElfError::UnknownFunction { program, function } => {
                write!(f, "program {program} refers to unknown function {function}")
            }
            ElfError::BadRelocation { program, insn } => {
                write!(
                    f,
                    "program {program}: instruction {insn} is not a 64-bit load"
                )
            }
            ElfError::BadCode { program } => {
                write!(
                    f,
                    "program {program}: code is empty or not whole instructions"
                )
            }
            ElfError::DuplicateSymbol(name) => write!(f, "duplicate symbol {name}"),
            ElfError::ExtraFuncRelocs { programs, lists } => write!(
                f,
                "{lists} lists of function relocations for {programs} programs"
            ),
            ElfError::Write(e) => write!(f, "cannot write object: {e}"),
        }
    }
}

impl std::error::Error for ElfError {}

/// Writes the object. Panics on inconsistent input (see [`try_write_object`]),
/// which only a code generator bug produces.
pub fn write_object(programs: &[ElfProgram], maps: &[ElfMap], license: &str) -> Vec<u8> {
    match try_write_object(programs, maps, license) {
        Ok(bytes) => bytes,
        Err(e) => panic!("write_object: {e}"),
    }
}

/// Writes the object, or says what is wrong with the input.
pub fn try_write_object(
    programs: &[ElfProgram],
    maps: &[ElfMap],
    license: &str,
) -> Result<Vec<u8>, ElfError> {
    write_object_with_functions(programs, &[], &[], maps, license)
}

fn check_len(owner: &str, code: &[u8]) -> Result<(), ElfError> {
    if code.is_empty() || !code.len().is_multiple_of(8) {
        return Err(ElfError::BadCode {
            program: owner.to_string(),
        });
    }
    Ok(())
}

/// Checks a piece of code and its relocations; returns the code with each
/// function reference's `ld_imm64` set to src_reg `BPF_PSEUDO_FUNC` and
/// its immediate to the function's offset in `.text` (`func_offsets`).
fn checked_code(
    owner: &str,
    code: &[u8],
    map_relocs: &[(usize, String)],
    func_relocs: &[(usize, String)],
    func_offsets: &HashMap<&str, u64>,
) -> Result<Vec<u8>, ElfError> {
    check_len(owner, code)?;
    let mut code = code.to_vec();
    for (insn, _) in map_relocs.iter().chain(func_relocs) {
        let at = insn * 8;
        if code.get(at) != Some(&LD_IMM64) || code.len() < at + 16 {
            return Err(ElfError::BadRelocation {
                program: owner.to_string(),
                insn: *insn,
            });
        }
    }
    for (insn, function) in func_relocs {
        let offset =
            *func_offsets
                .get(function.as_str())
                .ok_or_else(|| ElfError::UnknownFunction {
                    program: owner.to_string(),
                    function: function.clone(),
                })?;
        let at = insn * 8;
        code[at + 1] = (BPF_PSEUDO_FUNC << 4) | (code[at + 1] & 0x0f);
        code[at + 4..at + 8].copy_from_slice(&(offset as u32).to_le_bytes());
    }
    Ok(code)
}

/// Where a program or function was placed, and what it refers to.
struct Placed<'a> {
    owner: &'a str,
    section: SectionId,
    base: u64,
    map_relocs: &'a [(usize, String)],
    func_relocs: &'a [(usize, String)],
}

/// Adds `p`'s relocations: map loads against the maps' symbols, function
/// references against `text` (the `.text` section symbol; the
/// instruction's immediate says where in `.text`).
fn add_relocations(
    obj: &mut Object<'_>,
    p: &Placed<'_>,
    map_syms: &HashMap<&str, SymbolId>,
    text: Option<SymbolId>,
) -> Result<(), ElfError> {
    let mut targets = Vec::new();
    for (insn, map) in p.map_relocs {
        let symbol = *map_syms
            .get(map.as_str())
            .ok_or_else(|| ElfError::UnknownMap {
                program: p.owner.to_string(),
                map: map.clone(),
            })?;
        targets.push((*insn, symbol));
    }
    for (insn, function) in p.func_relocs {
        // checked_code has resolved every name, so `.text` exists.
        let symbol = text.ok_or_else(|| ElfError::UnknownFunction {
            program: p.owner.to_string(),
            function: function.clone(),
        })?;
        targets.push((*insn, symbol));
    }
    for (insn, symbol) in targets {
        obj.add_relocation(
            p.section,
            Relocation {
                offset: p.base + insn as u64 * 8,
                symbol,
                addend: 0,
                flags: RelocationFlags::Elf {
                    r_type: R_BPF_64_64,
                },
            },
        )
        .map_err(|e| ElfError::Write(e.to_string()))?;
    }
    Ok(())
}

/// Writes an object whose programs may use callback functions.
/// `program_func_relocs[i]` lists (instruction index of an `ld_imm64`,
/// function name) for `programs[i]`; the list may be shorter than
/// `programs` (missing entries mean no references). The writer sets those
/// `ld_imm64`s' src_reg to `BPF_PSEUDO_FUNC` and their immediate to the
/// function's offset in `.text` (whatever the caller left there).
/// Functions no program refers to are written but never loaded.
pub fn write_object_with_functions(
    programs: &[ElfProgram],
    program_func_relocs: &[Vec<(usize, String)>],
    functions: &[ElfFunction],
    maps: &[ElfMap],
    license: &str,
) -> Result<Vec<u8>, ElfError> {
    if program_func_relocs.len() > programs.len() {
        return Err(ElfError::ExtraFuncRelocs {
            programs: programs.len(),
            lists: program_func_relocs.len(),
        });
    }
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let mut btf = BtfWriter::new();
    let mut ext = BtfExtWriter::new();
    let mut names: HashMap<&str, ()> = HashMap::new();

    // Maps: one symbol each in `.maps`, at the offset the BTF gives it.
    let mut map_syms: HashMap<&str, SymbolId> = HashMap::new();
    if !maps.is_empty() {
        let placed: Vec<_> = maps
            .iter()
            .map(|m| {
                btf.map_def(
                    &m.name,
                    m.map_type,
                    m.key_size,
                    m.value_size,
                    m.max_entries,
                    m.flags,
                )
            })
            .collect();
        let size = btf.datasec_end(".maps") as usize;
        let sec = obj.add_section(Vec::new(), b".maps".to_vec(), SectionKind::Data);
        obj.append_section_data(sec, &vec![0; size], 8);
        for (m, p) in maps.iter().zip(&placed) {
            if names.insert(&m.name, ()).is_some() {
                return Err(ElfError::DuplicateSymbol(m.name.clone()));
            }
            let sym = obj.add_symbol(Symbol {
                name: m.name.as_bytes().to_vec(),
                value: p.offset as u64,
                size: p.size as u64,
                kind: SymbolKind::Data,
                // Linkage scope makes the symbol hidden, which libbpf rejects.
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Section(sec),
                flags: SymbolFlags::None,
            });
            map_syms.insert(&m.name, sym);
        }
    }

    let mut placed: Vec<Placed<'_>> = Vec::new();

    // Functions: back to back in `.text` (aya wants every byte of `.text`
    // covered by a sized Text symbol), local symbols like clang's statics.
    let mut func_offsets: HashMap<&str, u64> = HashMap::new();
    let mut end = 0;
    for f in functions {
        check_len(&f.name, &f.code)?;
        if names.insert(&f.name, ()).is_some() {
            return Err(ElfError::DuplicateSymbol(f.name.clone()));
        }
        func_offsets.insert(&f.name, end);
        end += f.code.len() as u64;
    }
    let mut text = None;
    if !functions.is_empty() {
        let sec = obj.add_section(Vec::new(), TEXT.as_bytes().to_vec(), SectionKind::Text);
        text = Some(obj.section_symbol(sec));
        let sec_name = btf.add_string(TEXT);
        for f in functions {
            let code = checked_code(
                &f.name,
                &f.code,
                &f.map_relocs,
                &f.func_relocs,
                &func_offsets,
            )?;
            let base = obj.append_section_data(sec, &code, 8);
            debug_assert_eq!(Some(&base), func_offsets.get(f.name.as_str()));
            obj.add_symbol(Symbol {
                name: f.name.as_bytes().to_vec(),
                value: base,
                size: code.len() as u64,
                kind: SymbolKind::Text,
                scope: SymbolScope::Compilation,
                weak: false,
                section: SymbolSection::Section(sec),
                flags: SymbolFlags::None,
            });
            let ty = btf.callback(&f.name);
            ext.func_info(sec_name, base as u32, ty);
            placed.push(Placed {
                owner: &f.name,
                section: sec,
                base,
                map_relocs: &f.map_relocs,
                func_relocs: &f.func_relocs,
            });
        }
    }

    // Programs: sections by name, shared when names repeat.
    let mut sections: HashMap<&str, SectionId> = HashMap::new();
    for (i, p) in programs.iter().enumerate() {
        let func_relocs: &[(usize, String)] = program_func_relocs.get(i).map_or(&[], |v| v);
        let code = checked_code(&p.name, &p.code, &p.map_relocs, func_relocs, &func_offsets)?;
        if names.insert(&p.name, ()).is_some() {
            return Err(ElfError::DuplicateSymbol(p.name.clone()));
        }
        let sec = *sections.entry(&p.section).or_insert_with(|| {
            obj.add_section(Vec::new(), p.section.as_bytes().to_vec(), SectionKind::Text)
        });
        let base = obj.append_section_data(sec, &code, 8);
        obj.add_symbol(Symbol {
            name: p.name.as_bytes().to_vec(),
            value: base,
            size: code.len() as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(sec),
            flags: SymbolFlags::None,
        });
        let ty = btf.program(&p.name);
        let sec_name = btf.add_string(&p.section);
        ext.func_info(sec_name, base as u32, ty);
        placed.push(Placed {
            owner: &p.name,
            section: sec,
            base,
            map_relocs: &p.map_relocs,
            func_relocs,
        });
    }

    for p in &placed {
        add_relocations(&mut obj, p, &map_syms, text)?;
    }

    let lic = obj.add_section(Vec::new(), b"license".to_vec(), SectionKind::Data);
    let mut lic_data = license.as_bytes().to_vec();
    lic_data.push(0);
    obj.append_section_data(lic, &lic_data, 1);

    let btf_sec = obj.add_section(Vec::new(), b".BTF".to_vec(), SectionKind::Other);
    obj.append_section_data(btf_sec, &btf.finish(&[]), 4);
    if !ext.is_empty() {
        let ext_sec = obj.add_section(Vec::new(), b".BTF.ext".to_vec(), SectionKind::Other);
        obj.append_section_data(ext_sec, &ext.finish(), 4);
    }

    obj.write().map_err(|e| ElfError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::{Object as _, ObjectSection as _, ObjectSymbol as _};

    fn ld_map_prog(section: &str, name: &str, map: &str) -> ElfProgram {
        let mut code = vec![0u8; 24];
        code[0] = LD_IMM64;
        code[16] = 0x95; // exit
        ElfProgram {
            section: section.to_string(),
            name: name.to_string(),
            code,
            map_relocs: vec![(0, map.to_string())],
        }
    }

    fn array(name: &str) -> ElfMap {
        ElfMap {
            name: name.to_string(),
            map_type: 2,
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            flags: 0,
        }
    }

    #[test]
    fn layout() {
        let progs = [
            ld_map_prog("uprobe", "a", "m1"),
            ld_map_prog("uprobe", "b", "m2"),
            ld_map_prog("perf_event", "c", "m1"),
        ];
        let bytes = write_object(&progs, &[array("m1"), array("m2")], "Dual MIT/GPL");
        let file = object::File::parse(&*bytes).unwrap();
        assert_eq!(file.architecture(), Architecture::Bpf);
        let lic = file.section_by_name("license").unwrap();
        assert_eq!(lic.data().unwrap(), b"Dual MIT/GPL\0");
        let maps = file.section_by_name(".maps").unwrap();
        assert_eq!(maps.size(), 64);
        let btf = scry_btf::Btf::parse(
            file.section_by_name(".BTF")
                .unwrap()
                .data()
                .unwrap()
                .to_vec(),
        )
        .unwrap();
        assert!(btf.find("m2", scry_btf::Kind::Var).is_some());
        assert!(btf.find("c", scry_btf::Kind::Func).is_some());

        let uprobe = file.section_by_name("uprobe").unwrap();
        assert_eq!(uprobe.size(), 48);
        let relocs: Vec<u64> = uprobe.relocations().map(|(off, _)| off).collect();
        assert_eq!(relocs, [0, 24]);
        let sym = |n: &str| file.symbols().find(|s| s.name() == Ok(n)).unwrap();
        assert_eq!((sym("b").address(), sym("b").size()), (24, 24));
        assert_eq!(sym("b").kind(), SymbolKind::Text);
        assert_eq!((sym("m2").address(), sym("m2").size()), (32, 32));
        assert!(sym("m2").is_global());
    }

    #[test]
    fn functions_in_text() {
        let mut prog = ld_map_prog("raw_tracepoint/sys_enter", "p", "m1");
        // A second ld_imm64 (src 0, a stale imm) for the callback.
        prog.code.splice(
            16..16,
            [LD_IMM64, 0x02, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        let mut cb = ld_map_prog("", "cb", "m1").code;
        cb.splice(
            16..16,
            [LD_IMM64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        let functions = [
            ElfFunction {
                name: "cb".to_string(),
                code: cb,
                map_relocs: vec![(0, "m1".to_string())],
                func_relocs: vec![(2, "cb2".to_string())],
            },
            ElfFunction {
                name: "cb2".to_string(),
                code: vec![0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
                map_relocs: Vec::new(),
                func_relocs: Vec::new(),
            },
        ];
        let bytes = write_object_with_functions(
            &[prog],
            &[vec![(2, "cb".to_string())]],
            &functions,
            &[array("m1")],
            "GPL",
        )
        .unwrap();
        let file = object::File::parse(&*bytes).unwrap();
        let sym = |n: &str| file.symbols().find(|s| s.name() == Ok(n)).unwrap();
        let text = file.section_by_name(".text").unwrap();
        assert_eq!(text.size(), 56);
        assert_eq!((sym("cb").address(), sym("cb").size()), (0, 40));
        assert_eq!((sym("cb2").address(), sym("cb2").size()), (40, 16));
        assert_eq!(sym("cb").kind(), SymbolKind::Text);
        assert!(sym("cb").is_local());
        assert!(sym("p").is_global());
        // Relocation targets: a map by name, a function as the `.text`
        // section symbol (its offset is in the instruction).
        let target = |r: object::Relocation| {
            let object::RelocationTarget::Symbol(i) = r.target() else {
                panic!("not a symbol")
            };
            let s = file.symbol_by_index(i).unwrap();
            match s.kind() {
                SymbolKind::Section => format!("section {}", s.section_index().unwrap().0),
                _ => s.name().unwrap().to_string(),
            }
        };
        let text_section = format!("section {}", text.index().0);
        let text_relocs: Vec<(u64, String)> = text
            .relocations()
            .map(|(off, r)| (off, target(r)))
            .collect();
        assert_eq!(
            text_relocs,
            [(0, "m1".to_string()), (16, text_section.clone())]
        );
        // cb's reference to cb2: src_reg BPF_PSEUDO_FUNC, imm 40.
        assert_eq!(
            &text.data().unwrap()[16..24],
            &[LD_IMM64, 0x40, 0, 0, 40, 0, 0, 0]
        );

        let prog = file.section_by_name("raw_tracepoint/sys_enter").unwrap();
        let relocs: Vec<(u64, String)> = prog
            .relocations()
            .map(|(off, r)| (off, target(r)))
            .collect();
        assert_eq!(relocs, [(0, "m1".to_string()), (16, text_section)]);
        // The callback's ld_imm64: src_reg BPF_PSEUDO_FUNC, dst kept, the
        // stale imm replaced by cb's offset, 0.
        assert_eq!(
            &prog.data().unwrap()[16..24],
            &[LD_IMM64, 0x42, 0, 0, 0, 0, 0, 0]
        );

        let btf_data = file
            .section_by_name(".BTF")
            .unwrap()
            .data()
            .unwrap()
            .to_vec();
        let btf = scry_btf::Btf::parse(btf_data).unwrap();
        let cb_id = btf.find("cb", scry_btf::Kind::Func).unwrap();
        let p_id = btf.find("p", scry_btf::Kind::Func).unwrap();
        assert!(btf.find("cb2", scry_btf::Kind::Func).is_some());

        // .BTF.ext func_info: .text {0: cb, 40: cb2}, then the program's
        // section {0: p}.
        let ext = file.section_by_name(".BTF.ext").unwrap().data().unwrap();
        let word = |at: usize| u32::from_le_bytes(ext[at..at + 4].try_into().unwrap());
        assert_eq!(&ext[0..4], &[0x9f, 0xeb, 1, 0]);
        let len = word(12) as usize;
        let words: Vec<u32> = (0..len / 4).map(|i| word(32 + i * 4)).collect();
        let cb2_id = btf.find("cb2", scry_btf::Kind::Func).unwrap();
        assert_eq!(words[0], 8);
        assert_eq!(&words[2..7], &[2, 0, cb_id, 40, cb2_id]);
        assert_eq!(&words[8..11], &[1, 0, p_id]);
        let name = |off: u32| {
            let raw = file.section_by_name(".BTF").unwrap().data().unwrap();
            let hdr = 24usize;
            let str_off = u32::from_le_bytes(raw[16..20].try_into().unwrap()) as usize;
            let start = hdr + str_off + off as usize;
            let end = start + raw[start..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(raw[start..end].to_vec()).unwrap()
        };
        assert_eq!(name(words[1]), ".text");
        assert_eq!(name(words[7]), "raw_tracepoint/sys_enter");
    }

    #[test]
    fn bad_function_input() {
        let p = ld_map_prog("uprobe", "a", "m");
        let f = ElfFunction {
            name: "f".to_string(),
            code: p.code.clone(),
            map_relocs: Vec::new(),
            func_relocs: Vec::new(),
        };
        let maps = [array("m")];
        assert!(matches!(
            write_object_with_functions(
                std::slice::from_ref(&p),
                &[vec![(0, "g".to_string())]],
                std::slice::from_ref(&f),
                &maps,
                "GPL"
            ),
            Err(ElfError::UnknownFunction { .. })
        ));
        assert!(matches!(
            write_object_with_functions(
                std::slice::from_ref(&p),
                &[vec![], vec![]],
                &[],
                &maps,
                "GPL"
            ),
            Err(ElfError::ExtraFuncRelocs { .. })
        ));
        let dup = ElfFunction {
            name: "a".to_string(),
            ..f.clone()
        };
        assert!(matches!(
            write_object_with_functions(std::slice::from_ref(&p), &[], &[dup], &maps, "GPL"),
            Err(ElfError::DuplicateSymbol(_))
        ));
        let bad = ElfFunction {
            func_relocs: vec![(1, "f".to_string())],
            ..f
        };
        assert!(matches!(
            write_object_with_functions(&[p], &[], &[bad], &maps, "GPL"),
            Err(ElfError::BadRelocation { insn: 1, .. })
        ));
    }

    #[test]
    fn bad_input() {
        let p = ld_map_prog("uprobe", "a", "nope");
        assert!(matches!(
            try_write_object(&[p], &[array("m")], "GPL"),
            Err(ElfError::UnknownMap { .. })
        ));
        let mut p = ld_map_prog("uprobe", "a", "m");
        p.map_relocs[0].0 = 2;
        assert!(matches!(
            try_write_object(&[p], &[array("m")], "GPL"),
            Err(ElfError::BadRelocation { insn: 2, .. })
        ));
        let p = ld_map_prog("uprobe", "m", "m");
        assert!(matches!(
            try_write_object(&[p], &[array("m")], "GPL"),
            Err(ElfError::DuplicateSymbol(_))
        ));
        let mut p = ld_map_prog("uprobe", "a", "m");
        p.code.pop();
        assert!(matches!(
            try_write_object(&[p], &[array("m")], "GPL"),
            Err(ElfError::BadCode { .. })
        ));
    }
}
