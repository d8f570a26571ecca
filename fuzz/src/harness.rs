//! What the fuzz targets and the no-panic tests share: a deterministic fake
//! machine ([`FakeEnv`]), the properties every input must satisfy
//! ([`check_parse`], [`check_compile`]) and a token-level mutator
//! ([`Mutator`]).
//!
//! This file is compiled both as a module of the `scry-fuzz` crate and, by
//! `#[path]`, inside `crates/lang/tests/no_panic.rs` and `fuzz_regress.rs`:
//! it uses only `std`, `scry_lang`, `scry_btf` and `object`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use scry_lang::ast::Provider;
use scry_lang::diag::{render_all, Level};
use scry_lang::env::{ElfSymbol, Env, TpField, UsdtProbe};
use scry_lang::spec::Options;

include!("tracepoints.rs");

// ---- the fake machine ---------------------------------------------------

/// A machine description that never changes: the tracepoints of
/// `tracepoints.rs` (copied from a real 6.18 kernel), a few kernel
/// functions, binaries with symbols and USDT probes, and optionally the
/// kernel's real BTF.
pub struct FakeEnv {
    pub btf: Option<scry_btf::Btf>,
    /// Providers reported as unsupported (`Env::unsupported`).
    pub missing: Vec<Provider>,
}

const KERNEL_FUNCTIONS: &[&str] = &[
    "__blk_account_io_done",
    "__blk_account_io_start",
    "blk_account_io_done",
    "blk_account_io_start",
    "d_lookup",
    "do_nanosleep",
    "do_sys_open",
    "do_sys_openat2",
    "inet_csk_accept",
    "lookup_fast.constprop.0",
    "ksys_read",
    "ksys_write",
    "tcp_connect",
    "tcp_sendmsg",
    "tcp_set_state",
    "tcp_v4_connect",
    "vfs_create",
    "vfs_fsync",
    "vfs_open",
    "vfs_read",
    "vfs_readv",
    "vfs_write",
    "vfs_writev",
];

/// (name the script may use, resolved path).
const BINARIES: &[(&str, &str)] = &[
    ("/bin/bash", "/usr/bin/bash"),
    ("/usr/bin/bash", "/usr/bin/bash"),
    ("bash", "/usr/bin/bash"),
    ("libc", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
    (
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    ),
    ("libssl", "/usr/lib/x86_64-linux-gnu/libssl.so.3"),
    ("libcrypto", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"),
    ("libpthread", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
    ("/tmp/target", "/tmp/target"),
];

/// (name, address, size): the file offset is the address less 0x1000.
const SYMBOLS: &[(&str, u64, u64)] = &[
    ("main", 0x1100, 0x80),
    ("readline", 0x2000, 0x200),
    ("malloc", 0x3000, 0x40),
    ("free", 0x3040, 0x40),
    ("getaddrinfo", 0x4000, 0x100),
    ("gethostbyname", 0x4100, 0x100),
    ("gethostbyname2", 0x4200, 0x100),
    ("pthread_create", 0x4300, 0x80),
    ("SSL_read", 0x5000, 0x40),
    ("SSL_write", 0x5040, 0x40),
    ("SSL_do_handshake", 0x5080, 0x40),
    ("RSA_sign", 0x6000, 0x40),
    ("RSA_verify", 0x6040, 0x40),
    ("rsa_ossl_public_encrypt", 0x6080, 0x40),
    ("rsa_ossl_public_decrypt", 0x60c0, 0x40),
    ("rsa_ossl_private_encrypt", 0x6100, 0x40),
    ("rsa_ossl_private_decrypt", 0x6140, 0x40),
    ("ossl_ecdsa_sign", 0x6180, 0x40),
    ("ossl_ecdsa_verify", 0x61c0, 0x40),
    ("ossl_ecdh_compute_key", 0x6200, 0x40),
    ("ecdh_simple_compute_key", 0x6240, 0x40),
    ("target_function", 0x7000, 0x20),
    ("empty", 0x7020, 0),
];

/// (provider, name, args).
const USDT: &[(&str, &str, &[&str])] = &[
    ("scry", "start", &[]),
    ("scry", "one", &["-4@%edi"]),
    (
        "scry",
        "many",
        &[
            "-4@%edi",
            "8@%rsi",
            "8@-16(%rbp)",
            "4@$5",
            "2@(%rax)",
            "1@%al",
        ],
    ),
    ("libc", "memory_malloc_retry", &["8@%rbp"]),
    ("libc", "setjmp", &["8@%rdi", "-4@%esi", "8@%rax"]),
    (
        "python",
        "function__entry",
        &["8@%rbx", "8@%r12", "-4@%eax"],
    ),
];

impl FakeEnv {
    /// The fake machine without BTF.
    pub fn new() -> FakeEnv {
        FakeEnv {
            btf: None,
            missing: Vec::new(),
        }
    }

    /// The fake machine with this machine's BTF (`/sys/kernel/btf/vmlinux`),
    /// or without BTF when there is none.
    pub fn with_kernel_btf() -> FakeEnv {
        FakeEnv {
            btf: scry_btf::Btf::from_file(Path::new("/sys/kernel/btf/vmlinux")).ok(),
            missing: Vec::new(),
        }
    }
}

impl Default for FakeEnv {
    fn default() -> FakeEnv {
        FakeEnv::new()
    }
}

pub use scry_lang::glob::glob_match as glob;

impl Env for FakeEnv {
    fn btf(&self) -> Option<&scry_btf::Btf> {
        self.btf.as_ref()
    }

    fn tracepoints(&self, category: &str, event: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = TRACEPOINTS
            .iter()
            .filter(|(c, e, _)| glob(category, c) && glob(event, e))
            .map(|(c, e, _)| (c.to_string(), e.to_string()))
            .collect();
        out.sort_by(|a, b| format!("{}:{}", a.0, a.1).cmp(&format!("{}:{}", b.0, b.1)));
        out
    }

    fn tracepoint_fields(&self, category: &str, event: &str) -> Option<Vec<TpField>> {
        let (_, _, fields) = TRACEPOINTS
            .iter()
            .find(|(c, e, _)| *c == category && *e == event)?;
        Some(
            fields
                .iter()
                .map(|&(name, c_type, offset, size, signed)| TpField {
                    name: name.to_string(),
                    c_type: c_type.to_string(),
                    offset,
                    size,
                    signed,
                })
                .collect(),
        )
    }

    fn kernel_functions(&self, pattern: &str) -> Vec<String> {
        KERNEL_FUNCTIONS
            .iter()
            .filter(|f| glob(pattern, f))
            .map(|f| f.to_string())
            .collect()
    }

    fn resolve_binary(&self, target: &str) -> Result<String, String> {
        BINARIES
            .iter()
            .find(|(name, _)| *name == target)
            .map(|(_, path)| path.to_string())
            .ok_or_else(|| format!("{target}: no such file or library"))
    }

    fn elf_symbols(&self, path: &str, pattern: &str) -> Result<Vec<ElfSymbol>, String> {
        if path == "/tmp/target" {
            return Err(format!("{path}: not an ELF file"));
        }
        Ok(SYMBOLS
            .iter()
            .filter(|(name, _, _)| glob(pattern, name))
            .map(|&(name, address, size)| ElfSymbol {
                name: name.to_string(),
                address,
                file_offset: address - 0x1000,
                size,
            })
            .collect())
    }

    fn usdt_probes(&self, path: &str) -> Result<Vec<UsdtProbe>, String> {
        if path == "/tmp/target" {
            return Err(format!("{path}: not an ELF file"));
        }
        Ok(USDT
            .iter()
            .enumerate()
            .map(|(i, (provider, name, args))| UsdtProbe {
                provider: provider.to_string(),
                name: name.to_string(),
                file_offset: 0x1000 + 16 * i as u64,
                semaphore_offset: if i % 2 == 0 { 0 } else { 0x9000 + 2 * i as u64 },
                args: args.iter().map(|a| a.to_string()).collect(),
            })
            .collect())
    }

    fn ncpus(&self) -> u32 {
        2
    }

    fn unsupported(&self, provider: Provider) -> Option<String> {
        self.missing
            .contains(&provider)
            .then(|| format!("{provider:?} probes are not supported by this kernel"))
    }

    fn cgroup_id(&self, path: &str) -> Option<u64> {
        (path == "/sys/fs/cgroup" || path == "/sys/fs/cgroup/system.slice").then_some(1234)
    }

    fn kernel_symbol(&self, name: &str) -> Option<u64> {
        KERNEL_FUNCTIONS
            .iter()
            .chain(&["avenrun", "jiffies_64"])
            .position(|f| *f == name)
            .map(|i| 0xffff_ffff_8100_0000 + 0x100 * i as u64)
    }
}

// ---- the properties -----------------------------------------------------

/// Options for fuzzing: unsafe functions allowed (so their code is
/// generated), two positional parameters, every dump stage.
pub fn fuzz_options() -> Options {
    Options {
        params: vec!["42".into(), "str".into()],
        unsafe_ok: true,
        dump: vec!["ast".into(), "types".into(), "ir".into(), "asm".into()],
        ..Options::default()
    }
}

/// Parsing must not panic, and its diagnostics must render.
pub fn check_parse(source: &str) {
    let (program, diags) = scry_lang::parse::parse(source);
    let _ = render_all(&diags, "fuzz.bt", source);
    let _ = scry_lang::parse::dump(&program);
}

/// Compiling must not panic, must give either a program or at least one
/// error, the errors must render, and a program must be a valid ELF object
/// whose code the assembler could lay out. Returns whether it compiled.
pub fn check_compile(source: &str, env: &dyn Env, opts: &Options) -> bool {
    match scry_lang::compile(source, env, opts) {
        Ok(compiled) => {
            use object::{Object, ObjectSection};
            let file = object::File::parse(&*compiled.object)
                .unwrap_or_else(|e| panic!("the generated object does not parse: {e}"));
            for p in &compiled.programs {
                let section = file
                    .section_by_name(&p.section)
                    .unwrap_or_else(|| panic!("no section {} in the object", p.section));
                let size = section.size();
                assert_eq!(
                    size % 8,
                    0,
                    "section {} is {size} bytes, not whole instructions",
                    p.section
                );
            }
            for p in &compiled.programs {
                assert_eq!(
                    p.lines.len(),
                    p.insn_count,
                    "{}: a source line for each instruction",
                    p.name
                );
                assert!(p.insn_count > 0, "{}: an empty program", p.name);
            }
            true
        }
        Err(diags) => {
            assert!(
                diags.iter().any(|d| d.level == Level::Error),
                "compilation failed without an error: {diags:?}"
            );
            for d in &diags {
                assert!(
                    !d.message
                        .starts_with("program too large to assemble: UnboundLabel"),
                    "codegen left a label unbound: {}",
                    d.message
                );
                assert!(
                    !d.message.starts_with("internal: ") || known_bug(&d.message).is_some(),
                    "an internal compiler error: {}",
                    d.message
                );
            }
            let _ = render_all(&diags, "fuzz.bt", source);
            false
        }
    }
}

/// Bugs found by fuzzing and not fixed yet: (substrings that all appear in
/// the panic message with its location, or in the internal error; the
/// regression test in `crates/lang/tests/fuzz_regress.rs`). Inputs hitting
/// them are not reported again; remove an entry when its bug is fixed.
pub const KNOWN_BUGS: &[(&[&str], &str)] = &[];

/// The regression test of a known bug whose message this is.
pub fn known_bug(message: &str) -> Option<&'static str> {
    KNOWN_BUGS
        .iter()
        .find(|(parts, _)| parts.iter().all(|p| message.contains(p)))
        .map(|(_, test)| *test)
}

// ---- seeds --------------------------------------------------------------

/// The seed corpus: bpftrace's installed tools (`/usr/sbin/*.bt`, when
/// the bpftrace package is there), `fuzz/seeds/scry/*.bt` and the parser's
/// test scripts, sorted by path so runs are reproducible.
pub fn seed_files() -> Vec<PathBuf> {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // CARGO_MANIFEST_DIR is `fuzz/` or `crates/lang/`, depending on who
    // compiles this file.
    let root = if fuzz_dir.ends_with("fuzz") {
        fuzz_dir.parent().unwrap().to_path_buf()
    } else {
        fuzz_dir.join("../..")
    };
    let root = root.canonicalize().unwrap_or(root);
    let mut files = Vec::new();
    for dir in [
        PathBuf::from("/usr/sbin"),
        root.join("fuzz/seeds/scry"),
        root.join("crates/lang/tests/scripts"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "bt") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

pub fn seeds() -> Vec<String> {
    seed_files()
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

// ---- mutation -----------------------------------------------------------

/// splitmix64: small, seedable, the same everywhere.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Splits a script into tokens, roughly as the lexer would: words (with
/// `$`, `@` sigils), numbers, strings, comments, operators, runs of
/// whitespace. Concatenating the tokens gives the input back.
pub fn tokenize(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'@' {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = s[i + 2..].find("*/").map_or(b.len(), |k| i + 2 + k + 2);
        } else if let Some(op) = OPERATORS
            .iter()
            .find(|op| b[i..].starts_with(op.as_bytes()))
        {
            i += op.len();
        } else {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        while !s.is_char_boundary(i.min(b.len())) {
            i += 1;
        }
        i = i.min(b.len());
        out.push(&s[start..i]);
    }
    out
}

#[derive(PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    Str,
    Other,
}

fn token_kind(t: &str) -> Kind {
    match t.as_bytes().first() {
        Some(c) if c.is_ascii_digit() => Kind::Number,
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => Kind::Word,
        Some(b'"') if t.len() > 1 && t.ends_with('"') => Kind::Str,
        _ => Kind::Other,
    }
}

const OPERATORS: &[&str] = &[
    "<<=", ">>=", "...", "->", "++", "--", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=", "..",
];

/// Tokens worth inserting anywhere: the language's keywords, builtins,
/// functions, probe kinds, types, operators, and some awkward literals.
#[rustfmt::skip]
pub const DICTIONARY: &[&str] = &[
    // keywords and punctuation
    "if", "else", "unroll", "while", "for", "return", "break", "continue", "let", "config",
    "import", "macro", "struct", "union", "enum", "sizeof", "offsetof", "{", "}", "(", ")", "[",
    "]", ";", ",", ":", "?", ".", "->", "=", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/",
    "%", "&", "|", "^", "~", "!", "&&", "||", "<<", ">>", "++", "--", "+=", "-=", "<<=", "..", "/",
    "\n", " ", "\t", "#include <linux/sched.h>\n", "#define X 1\n",
    // probes
    "BEGIN", "END", "begin", "end", "tracepoint:", "t:", "kprobe:", "k:", "kretprobe:", "kr:",
    "fentry:", "f:", "fexit:", "fr:", "uprobe:", "u:", "uretprobe:", "ur:", "usdt:", "U:",
    "rawtracepoint:", "rt:", "profile:", "p:", "interval:", "i:", "software:", "s:", "hardware:",
    "h:", "watchpoint:", "kfunc:", "iter:", "syscalls:", "sys_enter_openat", "sched_switch",
    "vfs_read", "vfs_*", "/bin/bash", "libc", "readline", "malloc", "hz:99", "s:1", "ms:10",
    "us:1", "cpu-clock:1000", "cycles:100", "*", "sched:*", "scry:many", "many",
    // builtins
    "pid", "tid", "uid", "gid", "cpu", "numaid", "comm", "nsecs", "elapsed", "kstack", "ustack",
    "func", "probe", "curtask", "rand", "cgroup", "ctx", "args", "args.", "args->", "arg0", "arg1",
    "arg9", "sarg0", "retval", "username", "cpid", "jiffies", "ncpus", "$1", "$2", "$9", "$#",
    "$x", "$i", "@", "@x", "@m[", "args.filename", "args->prev_comm",
    // functions
    "printf(", "print(", "count()", "sum(", "avg(", "min(", "max(", "stats(", "hist(", "lhist(",
    "time(", "strftime(", "str(", "buf(", "ksym(", "usym(", "kaddr(", "uaddr(", "ntop(", "clear(",
    "zero(", "delete(", "exit()", "has_key(", "sizeof(", "offsetof(", "strncmp(", "strcontains(",
    "system(", "cat(", "signal(", "override(", "join(", "reg(", "cgroupid(", "macaddr(", "bswap(",
    "len(", "path(", "kptr(", "uptr(", "print(@x)", "@x = count()",
    // types and casts
    "(uint8)", "(int16)", "(uint32)", "(int64)", "(struct task_struct *)", "(struct sock *)",
    "struct task_struct", "->real_parent", "->pid", "->comm", "int8", "uint64", "string", "bool",
    "void", "char", "u32", "(int8[4])",
    // literals
    "0", "1", "-1", "0x", "0xffffffffffffffff", "18446744073709551616", "9223372036854775808",
    "1e9", "1_000", "1000000000000", "'a'", "'", "\"", "\"\"", "\"%d\"", "\"%s %d %llu\\n\"",
    "\"%\"", "\"%-10s\"", "\"%08x\"", "\"%r\"", "\"\\x41\\0\"", "\"\\", "/*", "*/", "//", "true",
    "false", "\u{e9}", "\u{1F600}", "\u{feff}", "\u{a0}", "\r\n", "\0",
];

/// A mutator over source text: byte edits, token replacement and
/// insertion from [`DICTIONARY`] and the other seeds' tokens, token-range
/// deletion and duplication, and splicing with another seed.
pub struct Mutator {
    pub rng: Rng,
    pub seeds: Vec<String>,
    /// Every token of every seed (without whitespace runs).
    pub seed_tokens: Vec<String>,
}

impl Mutator {
    pub fn new(seed: u64, seeds: Vec<String>) -> Mutator {
        let mut seed_tokens: Vec<String> = seeds
            .iter()
            .flat_map(|s| tokenize(s).into_iter())
            .filter(|t| !t.trim().is_empty() && t.len() < 64)
            .map(str::to_string)
            .collect();
        seed_tokens.sort();
        seed_tokens.dedup();
        Mutator {
            rng: Rng::new(seed),
            seeds,
            seed_tokens,
        }
    }

    fn token(&mut self) -> String {
        if self.rng.chance(2) || self.seed_tokens.is_empty() {
            self.rng.pick(DICTIONARY).to_string()
        } else {
            self.rng.pick(&self.seed_tokens).clone()
        }
    }

    /// A statement of a seed: the tokens after a `;` or `{` up to the next
    /// `;`, with no braces in between.
    fn statement(&mut self) -> Option<String> {
        if self.seeds.is_empty() {
            return None;
        }
        let seed = self.rng.pick(&self.seeds).clone();
        let toks = tokenize(&seed);
        let starts: Vec<usize> = (0..toks.len())
            .filter(|&i| toks[i] == ";" || toks[i] == "{")
            .collect();
        if starts.is_empty() {
            return None;
        }
        for _ in 0..4 {
            let start = *self.rng.pick(&starts) + 1;
            let end = (start..toks.len()).find(|&i| toks[i] == ";")?;
            if toks[start..end].iter().any(|t| *t == "{" || *t == "}") {
                continue;
            }
            return Some(toks[start..=end].concat().trim().to_string());
        }
        None
    }

    /// A fresh input: a seed mutated one to eight times.
    pub fn generate(&mut self) -> String {
        let base = if self.seeds.is_empty() {
            String::from("BEGIN { }")
        } else {
            self.rng.pick(&self.seeds).clone()
        };
        // One mutation half the time, two a quarter, ...: most inputs stay
        // close enough to a script to reach the type checker and codegen.
        let mut rounds = 1;
        while rounds < 8 && self.rng.chance(2) {
            rounds += 1;
        }
        let mut s = base;
        for _ in 0..rounds {
            s = self.mutate_once(&s);
        }
        s
    }

    /// One mutation of `input`.
    pub fn mutate_once(&mut self, input: &str) -> String {
        let toks = tokenize(input);
        let n = toks.len();
        let join = |parts: &[&str]| parts.concat();
        if n == 0 {
            return self.token();
        }
        match self.rng.below(15) {
            // replace a token with one of the same kind (word, number,
            // string): keeps the syntax, changes the meaning
            12 | 13 => {
                let i = self.rng.below(n);
                let kind = token_kind(toks[i]);
                let pool: Vec<&str> = self
                    .seed_tokens
                    .iter()
                    .map(String::as_str)
                    .chain(DICTIONARY.iter().copied())
                    .filter(|t| token_kind(t) == kind)
                    .collect();
                if pool.is_empty() {
                    return input.to_string();
                }
                let t = self.rng.pick(&pool).to_string();
                let mut v: Vec<&str> = toks.clone();
                v[i] = &t;
                join(&v)
            }
            // insert a statement of another seed after a `;` or `{`
            14 => {
                let Some(stmt) = self.statement() else {
                    return input.to_string();
                };
                let spots: Vec<usize> = (0..n)
                    .filter(|&i| toks[i] == ";" || toks[i] == "{")
                    .collect();
                if spots.is_empty() {
                    return input.to_string();
                }
                let at = *self.rng.pick(&spots) + 1;
                let stmt = format!(" {stmt}");
                let mut v: Vec<&str> = toks.clone();
                v.insert(at, &stmt);
                join(&v)
            }
            // replace a token
            0..=2 => {
                let i = self.rng.below(n);
                let t = self.token();
                let mut v: Vec<&str> = toks.clone();
                v[i] = &t;
                join(&v)
            }
            // insert a token (with a space before or not)
            3 | 4 => {
                let i = self.rng.below(n + 1);
                let t = self.token();
                let t = if self.rng.chance(2) {
                    format!(" {t}")
                } else {
                    t
                };
                let mut v: Vec<&str> = toks.clone();
                v.insert(i, &t);
                join(&v)
            }
            // delete a token range
            5 => {
                let i = self.rng.below(n);
                let len = 1 + self.rng.below(4.min(n - i));
                join(&[&toks[..i], &toks[i + len..]].concat())
            }
            // duplicate a token range
            6 => {
                let i = self.rng.below(n);
                let len = 1 + self.rng.below(8.min(n - i));
                let mut v: Vec<&str> = toks[..i + len].to_vec();
                v.extend_from_slice(&toks[i..]);
                join(&v)
            }
            // swap two tokens
            7 => {
                let (i, j) = (self.rng.below(n), self.rng.below(n));
                let mut v = toks.clone();
                v.swap(i, j);
                join(&v)
            }
            // splice: a prefix of this with a suffix of another seed, or a
            // range of another seed inserted
            8 => {
                if self.seeds.is_empty() {
                    return input.to_string();
                }
                let other = self.rng.pick(&self.seeds).clone();
                let ot = tokenize(&other);
                if ot.is_empty() {
                    return input.to_string();
                }
                let i = self.rng.below(n + 1);
                let j = self.rng.below(ot.len());
                if self.rng.chance(2) {
                    join(&[&toks[..i], &ot[j..]].concat())
                } else {
                    let len = 1 + self.rng.below(16.min(ot.len() - j));
                    join(&[&toks[..i], &ot[j..j + len], &toks[i..]].concat())
                }
            }
            // truncate (unterminated strings, comments, blocks)
            9 => {
                let mut at = self.rng.below(input.len() + 1);
                while !input.is_char_boundary(at) {
                    at -= 1;
                }
                input[..at].to_string()
            }
            // a byte edit: change, insert or remove one ASCII character
            10 => {
                let mut bytes = input.as_bytes().to_vec();
                let at = self.rng.below(bytes.len() + 1);
                let byte = if self.rng.chance(4) {
                    (self.rng.below(95) + 32) as u8
                } else {
                    *self
                        .rng
                        .pick(b"{}()[];:,.\"'/*\\$@!#%&|^~<>=?+-0123456789xX \n\t")
                };
                match self.rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, byte),
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            // change a number
            _ => {
                let nums: Vec<usize> = (0..n)
                    .filter(|&i| toks[i].as_bytes()[0].is_ascii_digit())
                    .collect();
                if nums.is_empty() {
                    return input.to_string();
                }
                let i = *self.rng.pick(&nums);
                let t = self
                    .rng
                    .pick(&[
                        "0",
                        "1",
                        "2",
                        "7",
                        "8",
                        "31",
                        "32",
                        "63",
                        "64",
                        "65",
                        "100",
                        "255",
                        "256",
                        "1000",
                        "1001",
                        "4096",
                        "65536",
                        "2147483647",
                        "2147483648",
                        "4294967295",
                        "4294967296",
                        "9223372036854775807",
                        "18446744073709551615",
                        "99999999999999999999",
                        "0x0",
                        "0x7fffffff",
                    ])
                    .to_string();
                let mut v = toks.clone();
                v[i] = &t;
                join(&v)
            }
        }
    }
}
