//! Semantic analysis: probes expanded into targets, every body type-checked
//! once per target, maps typed across the whole script.

pub mod builtins;
pub mod calls;
pub mod config;
pub mod consts;
pub mod ctypes;
pub mod maps;
pub mod probes;
pub mod typeck;

use crate::ast::{Block, Expr, Program};
use crate::diag::Diagnostic;
use crate::env::Env;
use crate::spec::Options;
use crate::types::Type;
use maps::Maps;
use probes::Target;
use std::collections::HashMap;

/// One probe body, typed for one target.
#[derive(Clone, Debug)]
pub struct TypedProbe {
    pub target: Target,
    pub predicate: Option<Expr>,
    pub body: Block,
    pub vars: HashMap<String, Type>,
}

#[derive(Debug)]
pub struct Analysis {
    pub probes: Vec<TypedProbe>,
    pub maps: Maps,
}

/// Expands and type-checks the program.
pub fn analyze(
    program: &Program,
    env: &dyn Env,
    opts: &Options,
) -> Result<Analysis, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut targets = Vec::new();
    for (i, probe) in program.probes.iter().enumerate() {
        for ap in &probe.attach_points {
            match probes::expand(ap, env, opts) {
                Ok(ts) => targets.extend(ts.into_iter().map(|t| (i, t))),
                Err(d) => diags.push(d),
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    // Maps may be read before the statement that types them: a first pass
    // learns the map types, the second reports errors.
    let mut maps = Maps::default();
    for pass in 0..2 {
        let mut out = Vec::new();
        for (i, target) in &targets {
            let probe = &program.probes[*i];
            let mut predicate = probe.predicate.clone();
            let mut body = probe.body.clone();
            let mut checker = typeck::Checker::new(env, opts, target, &mut maps);
            checker.check_probe(predicate.as_mut(), &mut body);
            let vars = std::mem::take(&mut checker.vars);
            if pass == 1 {
                for d in checker.diags.drain(..) {
                    if !diags.contains(&d) {
                        diags.push(d);
                    }
                }
            }
            out.push(TypedProbe {
                target: target.clone(),
                predicate,
                body,
                vars,
            });
        }
        if pass == 1 {
            if !diags.is_empty() {
                return Err(diags);
            }
            return Ok(Analysis { probes: out, maps });
        }
    }
    unreachable!()
}
