"""Compile time of every bundled tool script (issue 4, item 7).

For each tool `scry tool` lists, the script `scry tool --show NAME` prints
(with the arguments of the first example in `scry tool NAME --help` that
shows, for tools that need some, e.g. funccount's pattern) is compiled
with `SCRY_TIMING=1 scry --dry-run -q`, as the scenarios' scripts are:
the time from fork to scry's "load: begin" mark, and the compiler alone
("compile: begin" to "compile: done"). bpftrace compiles its bundled tool
of the same name (/usr/sbin/NAME.bt), where there is one, with
`--emit-elf`. Runs are interleaved (scry, bpftrace, next tool, ...)."""

import os
import re
import shlex

from common import log, rotated, run
from compile import time_bpftrace, time_scry


def tool_names(scry):
    """The tools `scry tool` lists, in its order."""
    return parse_tool_list(run([scry, "tool"]).stdout)


def parse_tool_list(text):
    """The names in `scry tool`'s list (a title line, then one indented
    `NAME  summary` line per tool)."""
    names = []
    for line in text.splitlines()[1:]:
        m = re.match(r"\s+(\S+)\s", line)
        if m:
            names.append(m.group(1))
    return names


def parse_examples(help_text, name):
    """The argument lists of the EXAMPLES lines of `scry tool NAME --help`
    (`scry tool NAME ARGS  # what` -> ARGS split as a shell would)."""
    out, on = [], False
    for line in help_text.splitlines():
        if line.strip() == "EXAMPLES:":
            on = True
            continue
        if not on:
            continue
        cmd = line.split("  #", 1)[0].strip()
        prefix = f"scry tool {name}"
        if cmd == prefix or cmd.startswith(prefix + " "):
            try:
                out.append(shlex.split(cmd[len(prefix):]))
            except ValueError:
                pass
    return out


def show(scry, name, workdir):
    """(script path, arguments used, notes): the first of no arguments and
    the examples' arguments whose script scry shows and compiles (path
    None when none does; the notes say why the others did not)."""
    r = run([scry, "tool", name, "--help"])
    candidates = [[]] + [a for a in parse_examples(r.stdout, name) if a]
    notes = []
    path = os.path.join(workdir, f"tool.{name}.bt")
    for args in candidates:
        r = run([scry, "tool", "--show", name] + args)
        shown = " ".join(["scry tool", name] + args)
        if r.returncode != 0 or not r.stdout.strip():
            # Without arguments, a tool that needs some says so: not news.
            if args:
                lines = [l for l in (r.stderr or r.stdout).splitlines() if l.strip()]
                notes.append(f"`{shown}`: {lines[0].strip() if lines else 'no script'}")
            continue
        with open(path, "w") as f:
            f.write(r.stdout)
        res = time_scry(scry, path, require_success=False)
        if res and res.get("compile_ms") is not None:
            return path, args, notes
        why = (res or {}).get("error", "failed").replace(path, os.path.basename(path))
        notes.append(f"`{shown}` does not compile: {why}")
    return None, [], notes or ["no script"]


def name_of(path):
    return os.path.basename(path)


def measure(scry, bpftrace, runs, samples, workdir, bpftrace_dir="/usr/sbin"):
    """Fills samples (tool_compile_ms, tool_compiler_ms) and returns the
    table of what was compiled: [{name, args, bpftrace, note}]."""
    tools = []
    for name in tool_names(scry):
        path, args, notes = show(scry, name, workdir)
        bt = os.path.join(bpftrace_dir, name + ".bt")
        tools.append({"name": name, "script": path, "args": args,
                      "bpftrace": bt if bpftrace and os.path.exists(bt) else None,
                      "note": "; ".join(notes)})
    for t in tools:
        # A warm-up run, which also drops the bpftrace tools that do not
        # compile here (runqlat.bt wants kernel headers, ...).
        if t["bpftrace"] and not time_bpftrace(bpftrace, t["bpftrace"], workdir):
            t["note"] = "; ".join(filter(None, [t["note"], f"bpftrace's {name_of(t['bpftrace'])} "
                                                           "does not compile here"]))
            t["bpftrace"] = None
    failed = {}
    for rep in range(runs):
        for t in tools:
            for tracer in rotated(["scry", "bpftrace"], rep):
                if tracer == "scry" and t["script"]:
                    res = time_scry(scry, t["script"], require_success=False)
                    if res and res.get("compile_ms") is not None:
                        samples.add("tool_compile_ms", t["name"], "scry", res["compile_ms"])
                        samples.add("tool_compiler_ms", t["name"], "scry", res["compiler_ms"])
                    else:
                        failed[(t["name"], "scry")] = failed.get((t["name"], "scry"), 0) + 1
                elif tracer == "bpftrace" and t["bpftrace"]:
                    res = time_bpftrace(bpftrace, t["bpftrace"], workdir)
                    if res:
                        samples.add("tool_compile_ms", t["name"], "bpftrace", res["compile_ms"])
                    else:
                        failed[(t["name"], "bpftrace")] = failed.get((t["name"], "bpftrace"), 0) + 1
        log(f"tool compile: run {rep + 1}/{runs} done")
    for (name, tracer), n in sorted(failed.items()):
        t = next(t for t in tools if t["name"] == name)
        t["note"] = "; ".join(filter(None, [t["note"], f"{tracer}: {n} failed runs"]))
    for t in tools:
        t["script"] = os.path.basename(t["script"]) if t["script"] else None
    return tools
