"""Compile time of the scenario scripts, and the size of the binaries.

scry: wall time of `scry --dry-run SCRIPT`, which compiles, loads and
verifies but does not attach; with SCRY_TIMING=1 scry also marks when
its compiler is done ("load: begin", measured from the fork), which is
the compile time proper. bpftrace: wall time of `bpftrace --emit-elf
FILE SCRIPT` (0.17 has no --dry-run; --emit-elf compiles to an ELF
object and stops before loading)."""

import os
import re
import subprocess
import time

from common import log, rotated, run


def parse_timing(stderr):
    """{phase: ms since T0} from scry's SCRY_TIMING marks."""
    marks = {}
    for line in stderr.splitlines():
        m = re.match(r"scry-timing: (.+?)\s+\+\s*[\d.]+ ms\s+([\d.]+) ms$", line.strip())
        if m:
            marks[m.group(1).strip()] = float(m.group(2))
    return marks


def time_scry(scry, script, require_success=True):
    """{dryrun_ms, compile_ms (fork to "load: begin"), compiler_ms
    ("compile: begin" to "compile: done")}, or None if it failed; with
    require_success=False the compile times of a script that compiles
    but does not load are kept, with the error."""
    env = dict(os.environ, SCRY_TIMING="1")
    t0 = time.monotonic_ns()
    env["SCRY_T0"] = str(t0)
    r = subprocess.run([scry, "--dry-run", "-q", script], capture_output=True, text=True, env=env)
    wall = (time.monotonic_ns() - t0) / 1e6
    marks = parse_timing(r.stderr)
    if r.returncode != 0 and require_success:
        return None
    begin, done = marks.get("compile: begin"), marks.get("compile: done")
    res = {"dryrun_ms": wall if r.returncode == 0 else None,
           "compile_ms": marks.get("load: begin"),
           "compiler_ms": done - begin if begin is not None and done is not None else None}
    if r.returncode != 0:
        lines = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith("scry-timing:")]
        res["error"] = lines[0].strip() if lines else f"exit {r.returncode}"
    return res


def time_bpftrace(bpftrace, script, workdir):
    elf = os.path.join(workdir, "bpftrace-emit.o")
    t0 = time.monotonic_ns()
    r = run([bpftrace, "--emit-elf", elf, script])
    wall = (time.monotonic_ns() - t0) / 1e6
    return {"compile_ms": wall} if r.returncode == 0 and os.path.exists(elf) else None


def measure(scenarios, runs, samples, workdir):
    for rep in range(runs):
        for sc in scenarios:
            for tracer in rotated(["scry", "bpftrace"], rep):
                argv = sc.chosen.get(tracer)
                if not argv:
                    continue
                if tracer == "scry":
                    res = time_scry(argv[0], sc.scry_script(workdir))
                    if res:
                        samples.add("compile_ms", sc.key, "scry", res["compile_ms"])
                        samples.add("dryrun_ms", sc.key, "scry", res["dryrun_ms"])
                else:
                    res = time_bpftrace(argv[0], argv[-1], workdir)
                    if res:
                        samples.add("compile_ms", sc.key, "bpftrace", res["compile_ms"])
                if res is None:
                    log(f"compile {sc.key}/{tracer}: failed")
        log(f"compile: run {rep + 1}/{runs} done")


# --- binaries -------------------------------------------------------------------

def elf_kind(path):
    """'static' or 'dynamic' (has a PT_INTERP program header), for a
    64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return "not a 64-bit ELF"
        phoff = int.from_bytes(head[32:40], "little")
        phentsize = int.from_bytes(head[54:56], "little")
        phnum = int.from_bytes(head[56:58], "little")
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        if int.from_bytes(table[i * phentsize:i * phentsize + 4], "little") == 3:  # PT_INTERP
            return "dynamic"
    return "static"


def shared_libs(path):
    """The shared libraries ldd lists for path: {name: size}."""
    libs = {}
    r = run(["ldd", path])
    for line in r.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m and os.path.exists(m.group(1)):
            libs[os.path.basename(m.group(1))] = os.path.getsize(os.path.realpath(m.group(1)))
    return libs


def binaries(scry, bpftrace, libbpf_tool):
    """Sizes: the executable, and with its shared libraries."""
    out = {}
    for name, path in (("scry", scry), ("bpftrace", bpftrace), ("libbpf-tools", libbpf_tool)):
        if not path or not os.path.exists(path):
            continue
        libs = shared_libs(path)
        out[name] = {
            "path": path,
            "size_mib": os.path.getsize(path) / 2**20,
            "kind": elf_kind(path),
            "libs": sorted(libs),
            "with_libs_mib": (os.path.getsize(path) + sum(libs.values())) / 2**20,
        }
    return out
