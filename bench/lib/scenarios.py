"""The work measured: five scenarios, the command each tracer runs for
them, and which of those commands can run on this machine."""

import os
import shutil
from dataclasses import dataclass, field

from common import SCRIPTS, run


@dataclass
class Scenario:
    key: str
    title: str
    # What triggers the probe: "getppid", "open" (of a marker file) or
    # "sched" (context switches; runs on its own).
    event: str
    # For getppid: which pid the tracer prints, "caller" (the pid calling
    # getppid) or "parent" (its parent's tgid).
    prints: str = ""
    # How many of the tracer's programs one warm-up event fires: when that
    # many have run, the tracer is attached.
    warm_progs: int = 1
    # tracer -> candidate commands, first runnable one wins.
    commands: dict = field(default_factory=dict)
    # tracer -> the command chosen (after probing), and notes.
    chosen: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)

    def scry_script(self, workdir):
        """The script scry runs here, for compile times and dumps: the .bt
        file, or for `scry tool NAME` the script `scry tool --show NAME`
        prints (else the equivalent in bench/scripts)."""
        argv = self.chosen.get("scry") or []
        if argv and argv[-1].endswith(".bt"):
            return argv[-1]
        if argv[1:2] == ["tool"]:
            r = run([argv[0], "tool", "--show", argv[2]])
            if r.returncode == 0 and r.stdout.strip():
                path = os.path.join(workdir, f"{argv[2]}.tool.bt")
                with open(path, "w") as f:
                    f.write(r.stdout)
                return path
        return os.path.join(SCRIPTS, self.key + ".bt")


def scry_has_tool(scry, name):
    """True once `scry tool --help` lists the tool (and is not just the
    top-level help)."""
    try:
        tool = run([scry, "tool", "--help"], timeout=10)
        top = run([scry, "--help"], timeout=10)
    except Exception:
        return False
    return tool.returncode == 0 and name in tool.stdout and tool.stdout != top.stdout


def scry_tool_or_script(scry, name, sc):
    """`scry tool NAME` once scry has it (the script stays as the fallback),
    else bench/scripts/NAME.bt."""
    script = [scry, os.path.join(SCRIPTS, name + ".bt")]
    if scry_has_tool(scry, name):
        return [[scry, "tool", name], script]
    sc.notes["scry"] = f"bench/scripts/{name}.bt (no `scry tool {name}` yet)"
    return [script]


def scenarios(scry, libbpf_dir="/usr/sbin"):
    """The scenarios with their candidate commands for each tracer."""
    bt = shutil.which("bpftrace")
    s = lambda name: os.path.join(SCRIPTS, name)

    def one_liner(name):
        return {"scry": [[scry, s(name)]], "bpftrace": [[bt, s(name)]] if bt else []}

    tp = Scenario("tp", "tracepoint, plain", "getppid", prints="caller",
                  commands=one_liner("tp.bt"))
    args = Scenario("args", "tracepoint reading args", "open", commands=one_liner("args.bt"))
    cast = Scenario("cast", "struct cast (curtask->real_parent->tgid)", "getppid",
                    prints="parent", commands=one_liner("cast.bt"))

    opensnoop = Scenario("opensnoop", "opensnoop", "open", warm_progs=2)
    opensnoop.commands["scry"] = scry_tool_or_script(scry, "opensnoop", opensnoop)
    opensnoop.commands["bpftrace"] = [[bt, "/usr/sbin/opensnoop.bt"], [bt, s("opensnoop.bt")]] if bt else []

    runqlat = Scenario("runqlat", "runqlat", "sched", warm_progs=2)
    runqlat.commands["scry"] = scry_tool_or_script(scry, "runqlat", runqlat)
    runqlat.commands["bpftrace"] = [[bt, "/usr/sbin/runqlat.bt"], [bt, s("runqlat.bt")]] if bt else []

    for sc, tool in ((opensnoop, "opensnoop"), (runqlat, "runqlat")):
        exe = os.path.join(libbpf_dir, tool)
        # libbpf-tools' binaries are ELF files; /usr/sbin may also hold
        # other packages' scripts of the same name.
        if os.path.exists(exe) and open(exe, "rb").read(4) == b"\x7fELF":
            sc.commands["libbpf-tools"] = [[exe]]
    if "libbpf-tools" in opensnoop.commands:
        opensnoop.notes["libbpf-tools"] = ("does a little more per event than the scripts: paths "
                                           "up to 255 bytes, uid, two user stack frames")
    return [tp, args, cast, opensnoop, runqlat]


def describe(argv):
    """A command as the report shows it (repository paths made relative)."""
    from common import REPO
    out = []
    for a in argv:
        if a.startswith(REPO + "/"):
            a = a[len(REPO) + 1:]
        elif "/" in a and a == argv[0]:
            a = os.path.basename(a)
        out.append(a)
    return " ".join(out)
