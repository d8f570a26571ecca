//! The tool table: what a tool is made of. Everything here is static data
//! (plus a few plain functions for the parts that are code, like turning a
//! disk name into a device number), so that the command line, `--help`, the
//! README table and the tests are all generated from the same place.

use crate::params::Params;
use scry_output::Value;

/// One tool: a script (several, one per probe plan), its flags, and how its
/// output is printed.
pub struct Tool {
    /// BCC's name: `opensnoop`.
    pub name: &'static str,
    /// One line, shown by `scry tool`.
    pub summary: &'static str,
    /// The question the tool answers (README table).
    pub answers: &'static str,
    /// Flags, with BCC's names.
    pub flags: &'static [Flag],
    /// Positional arguments (`interval`, `count`).
    pub positionals: &'static [Positional],
    /// The `{{NAME}}` slots of the scripts.
    pub slots: &'static [Slot],
    /// Alternative scripts, in order of preference: the first one the
    /// running kernel supports is run.
    pub plans: &'static [Plan],
    pub output: Output,
    /// Compiler limits this tool needs beyond the defaults.
    pub limits: Limits,
    /// `scry tool NAME --help` examples: (command line, what it does).
    pub examples: &'static [(&'static str, &'static str)],
}

/// Compiler limits for a tool's scripts.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum string length read by `str()` (bytes).
    pub max_strlen: u32,
    /// `max_entries` of hash maps.
    pub map_entries: u32,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_strlen: 256,
        map_entries: 10240,
    };
}

/// The type of a flag's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value: present or not.
    Switch,
    /// A non-negative integer (pids, uids, seconds).
    Uint,
    /// An integer.
    Int,
    /// Text (a process name, a disk).
    Text,
    /// Text that may be given several times (argdist's `-C SPEC -C SPEC`);
    /// the values are kept in order ([`crate::params::Param::List`]).
    Texts,
}

/// One flag: `-p PID`, `--json` is common to all tools (see the CLI).
pub struct Flag {
    pub short: Option<char>,
    /// The long name, also the key the flag's value is stored under.
    pub long: &'static str,
    /// The value's name in `--help` (`PID`); `None` for switches.
    pub value_name: Option<&'static str>,
    pub kind: Kind,
    pub help: &'static str,
    /// How the flag changes the script.
    pub effect: Effect,
}

/// What a flag does to the script. Effects that only change the output are
/// [`Effect::Output`]: the output plan reads the flag itself.
#[derive(Clone, Copy)]
pub enum Effect {
    /// Adds a condition to a predicate slot; `{}` in `cond` is replaced by
    /// the value (a number, or a quoted string literal for text).
    Filter {
        slot: &'static str,
        cond: &'static str,
    },
    /// Adds `cond` to a predicate slot when the switch is *off*
    /// (exitsnoop's "leaders only" unless `-T`).
    FilterUnless {
        slot: &'static str,
        cond: &'static str,
    },
    /// Sets a text slot: switches to `text`, value flags to `text` with
    /// `{}` replaced by the value.
    Set {
        slot: &'static str,
        text: &'static str,
    },
    /// Like [`Effect::Filter`], with the value converted first (a disk
    /// name to its device number, a signal name to its number).
    FilterWith {
        slot: &'static str,
        cond: &'static str,
        convert: fn(&str) -> Result<String, String>,
    },
    /// Adds a part to a map key slot (`-P`: `pid`), in flag-table order.
    Key {
        slot: &'static str,
        part: &'static str,
    },
    /// Several effects.
    All(&'static [Effect]),
    /// This flag cannot be given with the flag of this long name
    /// (tcpconnect's `-d` with `-c`, as in BCC).
    Excludes(&'static str),
    /// What the flag needs from the machine, checked before tracing
    /// (tcpstates `-Y`: a journal to write to).
    Check(fn() -> Result<(), String>),
    /// Read by the output plan or the runner only (`-T`, `-d`, `-x` done
    /// in user space as BCC does).
    Output,
}

/// A positional argument (`interval`, `count`): non-negative integers.
/// (The generic tools' text arguments are declared with their plans:
/// [`crate::generic::TextArg`].)
pub struct Positional {
    pub name: &'static str,
    pub help: &'static str,
}

/// A `{{NAME}}` in a script.
pub struct Slot {
    pub name: &'static str,
    pub kind: SlotKind,
}

#[derive(Clone, Copy)]
pub enum SlotKind {
    /// A probe predicate: the conditions of the given flags joined with
    /// `&&`, as `/cond && cond/`; nothing (the line is dropped) when none.
    Predicate,
    /// The same conditions extending an existing predicate: ` && cond`.
    AndPredicate,
    /// Text: `default` unless a flag sets it.
    Text { default: &'static str },
    /// A map key: the parts of the given flags as `[a, b]`; nothing when
    /// none.
    Key,
}

/// What a plan needs from the kernel, checked before compiling it (the
/// compiler then checks the rest: that every probe and field exists).
#[derive(Clone, Copy, Debug)]
pub enum Need {
    Fentry,
    Kprobes,
    /// Kernel BTF (raw tracepoints with typed arguments, struct walks).
    Btf,
    /// A tracepoint, `category:event`.
    Tracepoint(&'static str),
}

/// One way to reach the tool's data.
pub struct Plan {
    /// What it attaches to, shown by `-v`: `tracepoint`, `rawtracepoint`,
    /// `fentry`, `kprobe`.
    pub name: &'static str,
    /// The script's file name under `crates/tools/tools/`.
    pub file: &'static str,
    /// The script, with `{{NAME}}` slots.
    pub script: &'static str,
    pub needs: &'static [Need],
    /// Flags this plan cannot honour: when one is given, the plan is
    /// skipped.
    pub without: &'static [&'static str],
    /// Flags this plan is for: it is skipped unless one of them is given
    /// (a script for `-L` alone, say).
    pub only_with: &'static [&'static str],
    /// Text slots this plan sets (a variant of another plan's script).
    pub set: &'static [(&'static str, &'static str)],
    /// For the generic tools: the script is made from the arguments
    /// (`script` and `file` are then unused).
    pub generated: Option<crate::generic::Generated>,
}

/// How the tool prints.
pub enum Output {
    /// One row per event (the snoop tools).
    Rows(Rows),
    /// Log2 histograms read from a map every interval.
    Hists(Hists),
    /// A top-N table of counts read from maps every interval (syscount).
    Counts(Counts),
    /// Rows joined from count/sum maps every interval (biopattern,
    /// vfsstat, hardirqs).
    Table(Table),
    /// Stacks with their counts or times (profile, offcputime).
    Stacks(Stacks),
    /// One output when the flag is given, the other when not (hardirqs
    /// `-d`: histograms instead of totals).
    Switch(&'static str, &'static Output, &'static Output),
    /// An interval output the tool formats itself from the script's maps
    /// (tcptop: two tables and a load average line).
    Custom(Custom),
    /// A printer of the tool's own, made once the plan is attached (the
    /// generic tools, whose output depends on their probe specs).
    Printer(MakePrinter),
}

/// Makes a tool's own printer from its flags and the attached session.
pub type MakePrinter =
    fn(&Params, &scry_runtime::session::Session) -> Box<dyn crate::runner::Printer>;

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// A number printed with this many decimals (ages, timestamps).
    Num(f64, usize),
    /// A percentage: `12.50%` in text (BCC's `%.2f%%`), 12.5 in JSON.
    Percent(f64),
    /// Lines (a kernel stack, one frame each): a tab before each line in
    /// text, an array of strings in JSON.
    Lines(Vec<String>),
    /// A stack in BCC's form ([`crate::bccstack`]), printed under the row
    /// as BCC's capable does: 8 spaces before each frame, no blank line
    /// after; an array of strings in JSON.
    Frames(Vec<String>),
}

impl Cell {
    /// From a decoded event value.
    pub fn from_value(v: &Value) -> Cell {
        match v {
            Value::Int(i) => Cell::Int(*i),
            Value::UInt(u) => Cell::Int(*u as i64),
            Value::Bool(b) => Cell::Int(*b as i64),
            Value::Stack(frames) => Cell::Lines(frames.clone()),
            Value::PerfStack(_) => Cell::Frames(crate::bccstack::frames(v, false)),
            other => Cell::Text(other.to_text()),
        }
    }

    /// The integer, if it is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text form, unpadded.
    pub fn text(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Num(v, prec) => format!("{v:.prec$}"),
            Cell::Percent(v) => format!("{v:.2}%"),
            Cell::Lines(lines) => lines.iter().map(|l| format!("\t{l}\n")).collect(),
            Cell::Frames(lines) => lines
                .iter()
                .map(|l| format!("{}{l}\n", crate::bccstack::INDENT))
                .collect(),
        }
    }

    /// The JSON form.
    pub fn json(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => scry_output::json_string(s),
            Cell::Num(v, prec) if v.is_finite() => format!("{v:.prec$}"),
            Cell::Percent(v) if v.is_finite() => format!("{v:.2}"),
            Cell::Num(..) | Cell::Percent(..) => "null".to_string(),
            Cell::Lines(lines) | Cell::Frames(lines) => {
                let items: Vec<String> =
                    lines.iter().map(|l| scry_output::json_string(l)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// The named values of one row.
pub type Row = Vec<(&'static str, Cell)>;

/// A field of a row.
pub fn field<'a>(row: &'a Row, name: &str) -> Option<&'a Cell> {
    row.iter().find(|(n, _)| *n == name).map(|(_, c)| c)
}

/// An integer field of a row (0 when absent or not an integer).
pub fn int_field(row: &Row, name: &str) -> i64 {
    field(row, name).and_then(Cell::int).unwrap_or(0)
}

/// Sets (or adds) a field of a row.
pub fn set_field(row: &mut Row, name: &'static str, cell: Cell) {
    match row.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = cell,
        None => row.push((name, cell)),
    }
}

/// Row output: each `printf()` of the script is an event whose arguments
/// are named by [`Rows::events`]; the row is printed in [`Rows::columns`].
pub struct Rows {
    /// "Tracing ... Hit Ctrl-C to end." (printed on stdout in text mode
    /// when `announce`, always on stderr with `--json`).
    pub tracing: &'static str,
    pub announce: bool,
    /// The field names of each `printf()` of the script, in order.
    pub events: &'static [&'static [&'static str]],
    pub columns: &'static [Column],
    /// Turns events into rows: by default each event is a row. Returns the
    /// row to print, if any (execsnoop collects the arguments first).
    pub assemble: Option<Assemble>,
    /// Computes the derived fields (ages, exit codes, addresses) and
    /// decides whether the row is printed (user-space filters such as
    /// opensnoop `-x`).
    pub finish: Option<fn(&mut Row, &Params) -> bool>,
}

/// Builds rows from events: (state, printf index, the event's fields,
/// flags) → the row to print, if any.
pub type Assemble = fn(&mut Assembly, usize, Row, &Params) -> Option<Row>;

/// State kept across events by [`Rows::assemble`].
#[derive(Default)]
pub struct Assembly {
    /// Pending argument lists by thread id.
    pub args: std::collections::HashMap<u64, Vec<String>>,
    /// Host names by the addresses they resolved to, and when.
    pub names: std::collections::HashMap<String, (String, std::time::Instant)>,
}

/// One column: header, field, width and when it is shown.
pub struct Column {
    /// The header. A column of lines (a stack) has none: it is printed
    /// under the row's line rather than in it.
    pub header: &'static str,
    /// The field it shows; `time` (HH:MM:SS) and `time_s` (seconds since
    /// the start, 3 decimals) are provided by the runner, and `ts_rel`
    /// (seconds since the first event, 9 decimals) when the script gives a
    /// `ts` field in nanoseconds. Empty for a literal ([`Column::literal`]):
    /// the header, printed on every row and left out of JSON.
    pub field: &'static str,
    /// printf-style width: negative left-aligns; 0 for the last column.
    pub width: i32,
    /// The flag that shows this column (`!flag`: that hides it;
    /// `a,!b`: all of these), or `None` for always.
    pub when: Option<&'static str>,
}

/// Histogram output (biolatency, runqlat).
pub struct Hists {
    pub tracing: &'static str,
    /// The script's histogram map, by the unit: `@usecs` / `@msecs`.
    pub unit: fn(&Params) -> &'static str,
    /// The text printed before each histogram (its key's section line,
    /// BCC's blank lines).
    pub section: fn(Option<&Value>, &Params) -> String,
    /// The key's fields in `--json`.
    pub key_json: fn(&Value, &Params) -> Vec<(&'static str, String)>,
    /// The text printed before every interval's histograms (after the
    /// optional timestamp).
    pub interval_header: &'static str,
}

/// Count tables (syscount).
pub struct Counts {
    /// "Tracing ..." line; `{top}` is replaced by the top count.
    pub tracing: &'static str,
    /// The map of counts and (optional) the map of total nanoseconds.
    pub count_map: &'static str,
    pub time_map: &'static str,
    /// The text of a key: a syscall name, or `PID COMM`.
    pub key_text: fn(&Value, &Params) -> String,
    /// The key's fields in `--json`.
    pub key_json: fn(&Value, &Params) -> Vec<(&'static str, String)>,
}

/// Table output: every interval, the entries of `maps` (count or sum
/// aggregations, or plain values) joined by key into rows; each row has a
/// field per map (named without its `@`), the key's parts, `time` and
/// `interval_s` (the seconds the interval really lasted). A `TIME`
/// column is left out of --json, whose objects have their time.
pub struct Table {
    /// "Tracing ..." (nothing printed when empty).
    pub tracing: &'static str,
    pub maps: &'static [&'static str],
    /// The names of the key's parts (none: one row per interval).
    pub key: &'static [&'static str],
    pub columns: &'static [Column],
    /// Computes the derived fields (names, rates, percentages); false
    /// drops the row.
    pub finish: fn(&mut Row, &Params) -> bool,
    pub order: Option<fn(&Row, &Row) -> std::cmp::Ordering>,
    /// The header over every interval's rows (after an optional `-T`
    /// timestamp), or once at the start.
    pub header_every_interval: bool,
    /// Printed before every interval (BCC's blank line).
    pub interval_header: &'static str,
    /// The interval when none is given (vfsstat: 1 s); 0 for "at the end".
    pub default_interval: u64,
}

/// Stack output: `map` is keyed by (kernel stack, user stack, comm, pid)
/// (a stack left out is the integer 0) and holds a count or a sum.
/// `folded` (-f) prints folded lines, `delimited` (-d) puts `-` between
/// user and kernel frames in them.
pub struct Stacks {
    /// The "Sampling ..." / "Tracing ..." line for these flags.
    pub tracing: fn(&Params) -> String,
    pub map: &'static str,
    /// The value's name in --json (`samples`, `us`).
    pub value_name: &'static str,
}

/// Interval output formatted by the tool itself (tcptop).
pub struct Custom {
    /// "Tracing ..." (see [`tracing_text`]).
    pub tracing: &'static str,
    /// The interval when none is given (seconds).
    pub default_interval: u64,
    /// One interval's output (text, or JSON with `--json`) from the
    /// script's maps, which it clears.
    pub tick: fn(&scry_runtime::session::Session, &Params) -> Result<String, String>,
}

impl Flag {
    /// A switch read by the output plan only.
    pub const fn switch(short: char, long: &'static str, help: &'static str) -> Flag {
        Flag {
            short: Some(short),
            long,
            value_name: None,
            kind: Kind::Switch,
            help,
            effect: Effect::Output,
        }
    }

    /// A switch that changes the script.
    pub const fn switch_with(
        short: char,
        long: &'static str,
        help: &'static str,
        effect: Effect,
    ) -> Flag {
        Flag {
            short: Some(short),
            long,
            value_name: None,
            kind: Kind::Switch,
            help,
            effect,
        }
    }

    /// A flag with a value.
    pub const fn value(
        short: char,
        long: &'static str,
        value_name: &'static str,
        kind: Kind,
        help: &'static str,
        effect: Effect,
    ) -> Flag {
        Flag {
            short: Some(short),
            long,
            value_name: Some(value_name),
            kind,
            help,
            effect,
        }
    }

    /// A filter: `-p PID` adds `pid == PID` to the predicate slot `slot`.
    pub const fn filter(
        short: char,
        long: &'static str,
        value_name: &'static str,
        kind: Kind,
        help: &'static str,
        slot: &'static str,
        cond: &'static str,
    ) -> Flag {
        Flag::value(
            short,
            long,
            value_name,
            kind,
            help,
            Effect::Filter { slot, cond },
        )
    }

    /// `-d DURATION`: stop after this many seconds.
    pub const DURATION: Flag = Flag::value(
        'd',
        "duration",
        "DURATION",
        Kind::Uint,
        "Trace for this many seconds",
        Effect::Output,
    );

    /// `-z`/`-Z STRING_SIZE` (argdist, trace): how many bytes of a string
    /// argument are read (the compiler's string size).
    pub const fn string_size(short: char) -> Flag {
        Flag::value(
            short,
            "string-size",
            "STRING_SIZE",
            Kind::Uint,
            "Maximum size to read from strings",
            Effect::Output,
        )
    }

    /// `-I HEADER` (argdist, trace): BCC compiles C and needs headers for
    /// the types it names; scry reads types from the kernel's BTF, so the
    /// flag is accepted and has nothing to do.
    pub const INCLUDE: Flag = Flag::value(
        'I',
        "include",
        "HEADER",
        Kind::Texts,
        "Accepted for BCC's scripts; types come from the kernel's BTF",
        Effect::Output,
    );
}

impl Effect {
    /// Whether the effect checks the machine ([`Effect::Check`]).
    pub fn checks(&self) -> bool {
        match *self {
            Effect::Check(_) => true,
            Effect::All(effects) => effects.iter().any(Effect::checks),
            _ => false,
        }
    }

    /// The flags (long names) a flag with this effect cannot be given with.
    pub fn excludes(&self) -> Vec<&'static str> {
        match *self {
            Effect::Excludes(other) => vec![other],
            Effect::All(effects) => effects.iter().flat_map(Effect::excludes).collect(),
            _ => Vec::new(),
        }
    }
}

impl Column {
    /// A column always shown.
    pub const fn new(header: &'static str, field: &'static str, width: i32) -> Column {
        Column {
            header,
            field,
            width,
            when: None,
        }
    }

    /// Text printed as is in the header and every row (BCC's `>` between
    /// two addresses); not a field, so not in JSON.
    pub const fn literal(text: &'static str) -> Column {
        Column {
            header: text,
            field: "",
            width: 0,
            when: None,
        }
    }

    /// A column shown when the flag `when` is given.
    pub const fn when(
        header: &'static str,
        field: &'static str,
        width: i32,
        when: &'static str,
    ) -> Column {
        Column {
            header,
            field,
            width,
            when: Some(when),
        }
    }
}

impl Slot {
    pub const fn predicate(name: &'static str) -> Slot {
        Slot {
            name,
            kind: SlotKind::Predicate,
        }
    }

    /// Conditions extending a predicate the script already has.
    pub const fn and_predicate(name: &'static str) -> Slot {
        Slot {
            name,
            kind: SlotKind::AndPredicate,
        }
    }

    pub const fn key(name: &'static str) -> Slot {
        Slot {
            name,
            kind: SlotKind::Key,
        }
    }

    pub const fn text(name: &'static str, default: &'static str) -> Slot {
        Slot {
            name,
            kind: SlotKind::Text { default },
        }
    }
}

impl Plan {
    /// A plan with no flag restrictions.
    pub const fn new(
        name: &'static str,
        file: &'static str,
        script: &'static str,
        needs: &'static [Need],
    ) -> Plan {
        Plan {
            name,
            file,
            script,
            needs,
            without: &[],
            only_with: &[],
            set: &[],
            generated: None,
        }
    }
}

/// The duration as a positional (BCC's profile, offcputime, biosnoop),
/// where `-d` means something else.
pub const DURATION_POSITIONAL: &[Positional] = &[Positional {
    name: "duration",
    help: "Duration of trace, in seconds",
}];

/// The interval and count positionals of the histogram tools.
pub const INTERVAL_COUNT: &[Positional] = &[
    Positional {
        name: "interval",
        help: "Output interval, in seconds",
    },
    Positional {
        name: "count",
        help: "Number of outputs",
    },
];

/// A "Tracing ..." line with the run's parameters: `{name=default}` is
/// the value of the flag or positional `name`; `{flag?yes:no}` depends on
/// whether the flag is given.
pub fn tracing_text(template: &str, params: &Params) -> String {
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        text.push_str(&rest[..start]);
        let inner = &rest[start + 1..start + len];
        if let Some((flag, choices)) = inner.split_once('?') {
            let (yes, no) = choices.split_once(':').unwrap_or((choices, ""));
            text.push_str(if params.on(flag) { yes } else { no });
        } else {
            let (name, default) = inner.split_once('=').unwrap_or((inner, ""));
            match params.values.get(name) {
                Some(crate::params::Param::Int(v)) => text.push_str(&v.to_string()),
                Some(crate::params::Param::Text(t)) => text.push_str(t),
                _ => text.push_str(default),
            }
        }
        rest = &rest[start + len + 1..];
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests {
    use super::tracing_text;
    use crate::params::Params;

    #[test]
    fn tracing_lines() {
        let p = Params::new().int("min_us", 500).switch("offcpu");
        assert_eq!(tracing_text("over {min_us=10000} us", &p), "over 500 us");
        assert_eq!(tracing_text("over {x=10000} us", &p), "over 10000 us");
        assert_eq!(tracing_text("{offcpu?off:on}-CPU", &p), "off-CPU");
        assert_eq!(tracing_text("{tids?off:on}-CPU {", &p), "on-CPU {");
    }
}
