//! C-like spelling of types: `struct task_struct *`, `const char *`,
//! `char[16]`, `int (*)[4]`, `void (*)(void *, int)`.

use crate::kind::Kind;
use crate::query::MAX_DEPTH;
use crate::reader::Btf;

impl Btf {
    /// The type spelled as in C, without a variable name.
    pub fn type_to_string(&self, id: u32) -> String {
        self.declare(id, String::new(), 0)
    }

    /// Spells type `id` around the declarator `inner` (what has been
    /// peeled off so far: `*`, `[4]`, `(*)(int)` ...).
    fn declare(&self, id: u32, inner: String, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return join("?", &inner);
        }
        let Some(t) = self.raw(id) else {
            return join("void", &inner);
        };
        let name = self.str_at(t.name_off);
        let next = t.size_or_type;
        match t.kind {
            Kind::Int | Kind::Float | Kind::Typedef => join(name, &inner),
            Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                let tag = match t.kind {
                    Kind::Struct => "struct",
                    Kind::Union => "union",
                    Kind::Fwd if t.kflag => "union",
                    Kind::Fwd => "struct",
                    _ => "enum",
                };
                let name = if name.is_empty() { "(anonymous)" } else { name };
                join(&format!("{tag} {name}"), &inner)
            }
            Kind::Ptr => self.declare(next, format!("*{inner}"), depth + 1),
            Kind::Const | Kind::Volatile | Kind::Restrict => {
                let q = match t.kind {
                    Kind::Const => "const",
                    Kind::Volatile => "volatile",
                    _ => "restrict",
                };
                if self.kind(next) == Some(Kind::Ptr) {
                    // `char *const p`: the qualifier binds to the pointer.
                    self.declare(next, join(q, &inner), depth + 1)
                } else {
                    format!("{q} {}", self.declare(next, inner, depth + 1))
                }
            }
            Kind::TypeTag | Kind::DeclTag | Kind::Var => self.declare(next, inner, depth + 1),
            Kind::Array => {
                let (elem, n) = self.array_info(id).unwrap_or((0, 0));
                self.declare(elem, format!("{}[{n}]", group(inner)), depth + 1)
            }
            Kind::FuncProto => {
                let proto = self.func_proto(id).unwrap_or(crate::FuncProto {
                    ret: 0,
                    params: Vec::new(),
                    variadic: false,
                });
                let mut params: Vec<String> = proto
                    .params
                    .iter()
                    .map(|&(_, ty)| self.declare(ty, String::new(), depth + 1))
                    .collect();
                if proto.variadic {
                    params.push("...".to_string());
                }
                if params.is_empty() {
                    params.push("void".to_string());
                }
                let decl = format!("{}({})", group(inner), params.join(", "));
                self.declare(proto.ret, decl, depth + 1)
            }
            Kind::Func => self.declare(next, join(name, &inner), depth + 1),
            Kind::Datasec => join(&format!("SEC {name}"), &inner),
        }
    }
}

/// `base inner`, without a space before an array suffix or when empty.
fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_string()
    } else if inner.starts_with('[') || inner.starts_with('(') && !inner.starts_with("(*") {
        format!("{base}{inner}")
    } else {
        format!("{base} {inner}")
    }
}

/// Parenthesizes a pointer declarator before an array or call suffix.
fn group(inner: String) -> String {
    if inner.starts_with('*') {
        format!("({inner})")
    } else {
        inner
    }
}
