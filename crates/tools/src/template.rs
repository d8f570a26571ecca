//! Flags into script text: each `{{NAME}}` slot of a tool's script is
//! replaced by what the given flags make of it (a predicate, a key, a
//! unit). A line left blank by an empty slot is dropped, so the script a
//! user sees with `scry tool --show` reads as if written by hand.

use crate::params::{Param, Params};
use crate::spec::{Effect, Kind, SlotKind, Tool};
use std::collections::BTreeMap;

/// A string literal of the language.
pub fn string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The script text of a flag's value.
fn value_text(kind: Kind, v: &Param) -> String {
    match (kind, v) {
        (_, Param::Int(i)) => i.to_string(),
        (Kind::Text, Param::Text(s)) => string_literal(s),
        (_, Param::Text(s)) => s.clone(),
        (_, Param::Switch) => String::new(),
        (_, Param::List(v)) => v.join(" "),
    }
}

#[derive(Default)]
struct SlotValues {
    conds: BTreeMap<&'static str, Vec<String>>,
    texts: BTreeMap<&'static str, String>,
    keys: BTreeMap<&'static str, Vec<String>>,
}

fn apply(
    e: &Effect,
    kind: Kind,
    given: Option<&Param>,
    vals: &mut SlotValues,
) -> Result<(), String> {
    match *e {
        Effect::Filter { slot, cond } => {
            if let Some(v) = given {
                let text = cond.replace("{}", &value_text(kind, v));
                vals.conds.entry(slot).or_default().push(text);
            }
        }
        Effect::FilterWith {
            slot,
            cond,
            convert,
        } => {
            if let Some(v) = given {
                let raw = match v {
                    Param::Text(s) => s.clone(),
                    Param::Int(i) => i.to_string(),
                    Param::Switch => String::new(),
                    Param::List(v) => v.join(" "),
                };
                let text = cond.replace("{}", &convert(&raw)?);
                vals.conds.entry(slot).or_default().push(text);
            }
        }
        Effect::FilterUnless { slot, cond } => {
            if given.is_none() {
                vals.conds.entry(slot).or_default().push(cond.to_string());
            }
        }
        Effect::Set { slot, text } => {
            if let Some(v) = given {
                vals.texts
                    .insert(slot, text.replace("{}", &value_text(kind, v)));
            }
        }
        Effect::Key { slot, part } => {
            if given.is_some() {
                vals.keys.entry(slot).or_default().push(part.to_string());
            }
        }
        Effect::All(effects) => {
            for e in effects {
                apply(e, kind, given, vals)?;
            }
        }
        Effect::Check(check) => {
            if given.is_some() {
                check()?;
            }
        }
        Effect::Output | Effect::Excludes(_) => {}
    }
    Ok(())
}

/// The text of every slot of `tool` for the given flags.
pub fn slot_texts(tool: &Tool, params: &Params) -> Result<BTreeMap<&'static str, String>, String> {
    let mut vals = SlotValues::default();
    for f in tool.flags {
        let given = params.values.get(f.long);
        if given.is_some() {
            if let Some(other) = f.effect.excludes().into_iter().find(|o| params.on(o)) {
                let (a, b) = (
                    crate::select::flag_name(tool, f.long),
                    crate::select::flag_name(tool, other),
                );
                return Err(format!("{a} cannot be used with {b}"));
            }
        }
        apply(&f.effect, f.kind, given, &mut vals)?;
    }
    // A positional with a text slot of its name sets it (runqslower's
    // min_us); the others (interval, count) are the runner's.
    for p in tool.positionals {
        if let Some(Param::Int(v)) = params.values.get(p.name) {
            if tool.slots.iter().any(|s| s.name == p.name) {
                vals.texts.insert(p.name, v.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    for s in tool.slots {
        let conds = vals.conds.remove(s.name).unwrap_or_default();
        let text = match s.kind {
            SlotKind::Predicate if conds.is_empty() => String::new(),
            SlotKind::Predicate => format!("/{}/", conds.join(" && ")),
            SlotKind::AndPredicate => conds.iter().map(|c| format!(" && {c}")).collect(),
            SlotKind::Key => match vals.keys.remove(s.name) {
                Some(parts) => format!("[{}]", parts.join(", ")),
                None => String::new(),
            },
            SlotKind::Text { default } => vals
                .texts
                .remove(s.name)
                .unwrap_or_else(|| default.to_string()),
        };
        out.insert(s.name, text);
    }
    if let Some(name) = vals
        .conds
        .keys()
        .chain(vals.texts.keys())
        .chain(vals.keys.keys())
        .next()
    {
        return Err(format!("{}: no slot named {{{{{name}}}}}", tool.name));
    }
    Ok(out)
}

/// Replaces every `{{NAME}}` of `script`; lines that only held empty slots
/// are dropped. An unknown slot name is an error (a mistake in the table).
pub fn expand(script: &str, slots: &BTreeMap<&'static str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        let mut text = String::with_capacity(line.len());
        let mut rest = line;
        let mut had_slot = false;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            let name = &rest[start + 2..start + len];
            let value = slots
                .get(name)
                .ok_or_else(|| format!("unknown slot {{{{{name}}}}}"))?;
            text.push_str(&rest[..start]);
            text.push_str(value);
            rest = &rest[start + len + 2..];
            had_slot = true;
        }
        text.push_str(rest);
        if had_slot && text.trim().is_empty() {
            continue;
        }
        out.push_str(&text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_slot_lines_are_dropped() {
        let mut slots = BTreeMap::new();
        slots.insert("filter", String::new());
        slots.insert("unit", "usecs".to_string());
        let s = expand("probe\n{{filter}}\n{ @{{unit}} = 1; }\n\n", &slots).unwrap();
        assert_eq!(s, "probe\n{ @usecs = 1; }\n\n");
        assert!(expand("{{nope}}\n", &slots).is_err());
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(string_literal("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
