//! The global table of maps: key and value types unified across probes.

use crate::diag::Diagnostic;
use crate::span::Span;
use crate::spec::MapValue;
use crate::types::{Agg, Type};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct MapInfo {
    pub name: String,
    pub key: Option<Vec<Type>>,
    pub value: Option<MapValue>,
    pub span: Span,
}

#[derive(Default, Debug)]
pub struct Maps {
    pub maps: BTreeMap<String, MapInfo>,
}

/// Integers are stored in maps as 8 bytes; strings keep their size.
pub fn storage_type(t: &Type) -> Type {
    match t {
        Type::Int { signed, .. } => Type::int(8, *signed),
        Type::Bool => Type::U64,
        Type::Tuple(ts) => Type::Tuple(ts.iter().map(storage_type).collect()),
        t => t.clone(),
    }
}

/// The wider of two types of the same shape, or `None` when they differ.
pub fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Int { signed: s1, .. }, Type::Int { signed: s2, .. }) => {
            Some(Type::int(8, *s1 && *s2))
        }
        (Type::Bool, t) | (t, Type::Bool) if t.is_int() => Some(Type::U64),
        (Type::Str(x), Type::Str(y)) => Some(Type::Str(*x.max(y))),
        (Type::Buf(x), Type::Buf(y)) => Some(Type::Buf(*x.max(y))),
        (Type::Tuple(xs), Type::Tuple(ys)) if xs.len() == ys.len() => xs
            .iter()
            .zip(ys)
            .map(|(x, y)| unify(x, y))
            .collect::<Option<Vec<_>>>()
            .map(Type::Tuple),
        (Type::Ptr(_), Type::Int { .. }) | (Type::Int { .. }, Type::Ptr(_)) => Some(Type::U64),
        (x, y) if x == y => Some(x.clone()),
        _ => None,
    }
}

impl Maps {
    fn entry(&mut self, name: &str, span: Span) -> &mut MapInfo {
        self.maps
            .entry(name.to_string())
            .or_insert_with(|| MapInfo {
                name: name.to_string(),
                key: None,
                value: None,
                span,
            })
    }

    pub fn use_key(&mut self, name: &str, key: Vec<Type>, span: Span) -> Result<(), Diagnostic> {
        if key.contains(&Type::None) {
            // A key expression that failed was reported already.
            return Ok(());
        }
        let key: Vec<Type> = key.iter().map(storage_type).collect();
        let m = self.entry(name, span);
        match &m.key {
            None => m.key = Some(key),
            Some(old) => {
                let merged = if old.len() == key.len() {
                    old.iter()
                        .zip(&key)
                        .map(|(a, b)| unify(a, b))
                        .collect::<Option<Vec<_>>>()
                } else {
                    None
                };
                match merged {
                    Some(k) => m.key = Some(k),
                    None => {
                        return Err(Diagnostic::error(
                            span,
                            format!(
                                "{name} used with key [{}], but earlier with [{}]",
                                list(&key),
                                list(old)
                            ),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    pub fn set_value(&mut self, name: &str, value: MapValue, span: Span) -> Result<(), Diagnostic> {
        let value = match value {
            MapValue::Scalar(t) => MapValue::Scalar(storage_type(&t)),
            v => v,
        };
        let m = self.entry(name, span);
        match (&m.value, &value) {
            (None, _) => m.value = Some(value),
            (Some(MapValue::Scalar(a)), MapValue::Scalar(b)) => match unify(a, b) {
                Some(t) => m.value = Some(MapValue::Scalar(t)),
                None => {
                    return Err(Diagnostic::error(
                        span,
                        format!("type mismatch for {name}: trying to assign {b}, but it holds {a}"),
                    ))
                }
            },
            (Some(MapValue::Agg(a)), MapValue::Agg(b)) if same_agg(a, b) => {}
            (Some(old), new) => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "type mismatch for {name}: trying to assign {}, but it holds {}",
                        describe(new),
                        describe(old)
                    ),
                ))
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&MapInfo> {
        self.maps.get(name)
    }
}

fn same_agg(a: &Agg, b: &Agg) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b) && a == b
}

fn describe(v: &MapValue) -> String {
    match v {
        MapValue::Scalar(t) => t.to_string(),
        MapValue::Agg(a) => format!("{}()", agg_name(a)),
    }
}

pub fn agg_name(a: &Agg) -> &'static str {
    match a {
        Agg::Count => "count",
        Agg::Sum => "sum",
        Agg::Avg => "avg",
        Agg::Min => "min",
        Agg::Max => "max",
        Agg::Stats => "stats",
        Agg::Hist { .. } => "hist",
        Agg::Lhist { .. } => "lhist",
    }
}

fn list(ts: &[Type]) -> String {
    ts.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
