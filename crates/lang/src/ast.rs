//! The abstract syntax tree of a bpftrace-language script.
//!
//! Every node carries a [`Span`]. The parser builds the tree with
//! `ty: Type::None` on every expression; semantic analysis fills the types in
//! place.

use crate::span::Span;
use crate::types::Type;

#[derive(Clone, Debug, Default)]
pub struct Program {
    /// `config = { KEY = VALUE; ... }` at the top of a script.
    pub config: Vec<ConfigItem>,
    pub probes: Vec<Probe>,
}

#[derive(Clone, Debug)]
pub struct ConfigItem {
    pub key: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Probe {
    /// One or more attach points sharing this body (`a, b { ... }`).
    pub attach_points: Vec<AttachPoint>,
    /// `/ predicate /`
    pub predicate: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

/// The probe kinds, after short names (`t`, `k`, `kr`, `u`, `ur`, `U`, `p`,
/// `i`, `s`, `h`, `f`, `fr`, `rt`) and old spellings (`kfunc`, `kretfunc`,
/// `BEGIN`/`begin`) are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Begin,
    End,
    Tracepoint,
    Rawtracepoint,
    Kprobe,
    Kretprobe,
    Fentry,
    Fexit,
    Uprobe,
    Uretprobe,
    Usdt,
    Profile,
    Interval,
    Software,
    Hardware,
}

/// One attach point, e.g. `uprobe:/bin/bash:readline`.
#[derive(Clone, Debug)]
pub struct AttachPoint {
    pub provider: Provider,
    /// The colon-separated parts after the provider, with quotes removed:
    /// `tracepoint:syscalls:sys_enter_openat` gives `["syscalls",
    /// "sys_enter_openat"]`, `kprobe:f+16` gives `["f+16"]`, `BEGIN` gives `[]`.
    pub parts: Vec<String>,
    /// The attach point exactly as written.
    pub raw: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// An expression evaluated for its effect: a call, `@x++`, ...
    Expr(Expr),
    /// `target = value` or `target op= value` (`op` is `Some` for `+=` etc.).
    /// `target` is a `Var`, a `Map`, or (for `let`) a `Var`.
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    /// `let $x;`, `let $x: type = value;` (newer bpftrace).
    Let {
        name: String,
        ty: Option<TypeName>,
        value: Option<Expr>,
    },
    If {
        cond: Expr,
        then: Block,
        /// `else { }`; an `else if` is an `else` block holding one `If`.
        els: Option<Block>,
    },
    Unroll {
        count: Expr,
        body: Block,
    },
    While {
        cond: Expr,
        body: Block,
    },
    /// `for ($kv : @map) { }`
    ForMap {
        var: String,
        map: String,
        body: Block,
    },
    /// `for ($i : start..end) { }`
    ForRange {
        var: String,
        start: Expr,
        end: Expr,
        body: Block,
    },
    Return(Option<Expr>),
    Break,
    Continue,
    /// A nested `{ }` block.
    Block(Block),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Filled by semantic analysis; `Type::None` straight from the parser.
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(u64),
    /// A string literal, escapes already decoded.
    Str(String),
    Bool(bool),
    /// A builtin variable: `pid`, `comm`, `nsecs`, `arg0`, `args`, `retval`,
    /// `curtask`, `ctx`, `probe`, `func`, `kstack`, ... (the name, unchanged).
    Builtin(String),
    /// `$name`
    Var(String),
    /// `$1`, `$2`, ...
    Positional(u32),
    /// `$#`
    PositionalCount,
    /// `@name` or `@name[k1, k2]`; `@` alone has the name `"@"`. The name
    /// keeps its `@`.
    Map {
        name: String,
        keys: Vec<Expr>,
    },
    /// `name(args)`
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// A type used as an argument: `sizeof(struct task_struct)`,
    /// `offsetof(struct sk_buff, len)`.
    TypeArg(TypeName),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// `expr.field` (`arrow == false`) or `expr->field` (`arrow == true`).
    Field {
        expr: Box<Expr>,
        field: String,
        arrow: bool,
    },
    /// `expr[index]` on a pointer, array or string (not a map).
    Index {
        expr: Box<Expr>,
        index: Box<Expr>,
    },
    /// `(a, b, c)`
    Tuple(Vec<Expr>),
    /// `$t.0`
    TupleIndex {
        expr: Box<Expr>,
        index: u32,
    },
    /// `(type) expr`
    Cast {
        ty: TypeName,
        expr: Box<Expr>,
    },
    /// `$x++`, `--@y`, ...
    IncDec {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
}

/// A type as written in a script: `int32`, `struct task_struct *`, `char[16]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeName {
    /// `int32`, `uint8`, `char`, `struct task_struct`, `union x`, `enum y`,
    /// `unsigned int`, `string`, a typedef name...
    pub base: String,
    /// The number of `*`.
    pub pointers: u8,
    /// `[N]` after the type.
    pub array: Option<u32>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogAnd,
    LogOr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `~x`
    BitNot,
    /// `*x`
    Deref,
    /// `&x`
    AddrOf,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            span,
            ty: Type::None,
        }
    }
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::LogAnd => "&&",
            BinOp::LogOr => "||",
        }
    }
}
