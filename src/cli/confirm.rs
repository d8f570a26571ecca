//! Asking before a large attach. A script whose wildcards expand to more
//! probes than `--max-probes` is refused — attaching thousands of functions
//! slows the whole machine — unless a person at a terminal says yes.

use std::io::{BufRead, IsTerminal, Write};

/// Ok to attach `n` probes? Asks on the terminal when there is one.
pub fn many_probes(n: usize, max: usize) -> Result<(), String> {
    let refusal = format!(
        "ERROR: the script would attach {n} probes, more than --max-probes {max}: narrow its wildcards, or raise --max-probes"
    );
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(refusal);
    }
    eprint!("WARNING: the script would attach {n} probes, more than --max-probes {max}. Attach them all? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return Err(refusal);
    }
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(format!(
            "ERROR: not attaching {n} probes (not confirmed); raise --max-probes to skip the question"
        )),
    }
}
