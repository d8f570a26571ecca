//! The flags a tool was given, as parsed by the command line from the
//! tool's flag table.

use std::collections::BTreeMap;

/// One flag's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Switch,
    Int(i64),
    Text(String),
    /// A flag given several times, or a variadic positional.
    List(Vec<String>),
}

/// The flags given (by long name), the positionals, and the options every
/// tool has.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub values: BTreeMap<String, Param>,
    /// `--json`: one JSON object per event (or per interval).
    pub json: bool,
    /// `-v`: say which probe plan was chosen and why others were not.
    pub verbose: bool,
    /// `--plan NAME`: force a probe plan (tests, odd kernels).
    pub plan: Option<String>,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// Builder: a switch.
    pub fn switch(mut self, long: &str) -> Params {
        self.values.insert(long.to_string(), Param::Switch);
        self
    }

    /// Builder: an integer flag or positional.
    pub fn int(mut self, long: &str, v: i64) -> Params {
        self.values.insert(long.to_string(), Param::Int(v));
        self
    }

    /// Builder: a text flag.
    pub fn text(mut self, long: &str, v: &str) -> Params {
        self.values
            .insert(long.to_string(), Param::Text(v.to_string()));
        self
    }

    /// Whether the flag was given.
    pub fn on(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }

    /// An integer flag's value.
    pub fn get_int(&self, long: &str) -> Option<i64> {
        match self.values.get(long)? {
            Param::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// A text flag's value.
    pub fn get_text(&self, long: &str) -> Option<&str> {
        match self.values.get(long)? {
            Param::Text(v) => Some(v),
            _ => None,
        }
    }

    /// Builder: a repeated flag or variadic positional.
    pub fn list(mut self, long: &str, v: &[&str]) -> Params {
        let v = v.iter().map(|s| s.to_string()).collect();
        self.values.insert(long.to_string(), Param::List(v));
        self
    }

    /// A repeated flag's values (one for a text flag given once; none when
    /// absent).
    pub fn get_list(&self, long: &str) -> Vec<String> {
        match self.values.get(long) {
            Some(Param::List(v)) => v.clone(),
            Some(Param::Text(v)) => vec![v.clone()],
            _ => Vec::new(),
        }
    }
}
