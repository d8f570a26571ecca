//! Interval output the tool formats itself (tcptop): the "Tracing" line,
//! then whatever the tool's `tick` makes of the script's maps.

use crate::params::Params;
use crate::runner::Printer;
use crate::spec::{tracing_text, Custom};
use scry_output::Value;
use scry_runtime::session::Session;
use std::io::Write;

pub struct CustomPrinter<'a> {
    plan: &'a Custom,
    params: &'a Params,
}

impl<'a> CustomPrinter<'a> {
    pub fn new(plan: &'a Custom, params: &'a Params) -> CustomPrinter<'a> {
        CustomPrinter { plan, params }
    }
}

impl Printer for CustomPrinter<'_> {
    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        let line = tracing_text(self.plan.tracing, self.params);
        if self.params.json {
            eprintln!("{line}");
            Ok(())
        } else {
            writeln!(out, "{line}")
        }
    }

    fn event(&mut self, _: usize, _: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, session: &Session) -> Result<String, String> {
        (self.plan.tick)(session, self.params)
    }

    fn ticks(&self) -> bool {
        true
    }
}
