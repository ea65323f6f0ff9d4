#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A differential fuzzer for dm port: Csmith's random C programs, built natively and ported, must agree.

    port_csmith.py [--seeds N] [--first SEED] [--dm build/dm] [--keep DIR] [--timeout SECONDS]
                   [--run-kernel KERNEL [--kernels DIR]]

Each seed gives two programs: one with pointers and one made with --no-pointers (Csmith's flags below keep them in
the subset dm port supports: no floats, volatiles, bit-fields, packed structs, builtins or argc). A program is made
one file: the lines Csmith's runtime headers (csmith.h, safe_math.h) contribute, preprocessed, with the program
(without safe_math.h's unused float functions), and
<stdio.h>, <stdint.h>, <limits.h> in place of the libc they came from. Csmith prints a checksum of every global.

Every program whose native run finishes within --timeout must either
  - agree: `dm port` ports it and `dm run` prints the same output and exits with the same status; or
  - be refused clearly: dm port exits 1 with `FILE:LINE: construct not supported in BPF: ...` (or the compiler's
    error at a line), or 6 with the verifier's reason and a source line (dm run does the same when the program
    was ported without loading), or dm run stops it (exit 70) with `FILE:LINE: ...` (a loop past the verifier's
    budget).
With --run-kernel (a kernel tests/vm/vm-run boots; `host`, the default, is this one), dm port does not load the
object (--no-load) and each dm run runs in that VM: for a machine that refuses BPF arenas to root.
Anything else fails: a traceback, an internal error, a different checksum, a verifier rejection without a source
line, a crash. Failing programs are kept in --keep DIR (default build/csmith-failures) as SEED[-np].c with the
tool's output, to become tests in tests/tools/port.bats. Closes with the agreement rate and `N passed, N failed`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

CSMITH_INCLUDE = "/usr/include/csmith"
CSMITH_FLAGS = ["--no-argc", "--no-float", "--no-volatiles", "--no-volatile-pointers", "--no-bitfields",
                "--no-packed-struct", "--no-builtins", "--max-funcs", "3", "--max-block-depth", "3",
                "--max-expr-complexity", "4"]
# What the program's headers stand for in the one file: dm port's libc (port/include) or glibc natively.
PREAMBLE = "#include <stdio.h>\n#include <stdint.h>\n#include <limits.h>\n"
# A clear refusal names the program's file and a line.
REFUSED = re.compile(r"\.c:\d+: (construct not supported in BPF|does not compile)")
REJECTED_AT_LINE = re.compile(r"the verifier rejects the ported program at .*\.c:\d+:")
STOPPED_AT_LINE = re.compile(r"dm run: .*\.c:\d+: ")
VM_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm", "vm-run")


def one_file(program):
    """Csmith's program with the part of its headers that is Csmith's own, preprocessed, and the libc includes."""
    run = subprocess.run(["gcc", "-E", "-I", CSMITH_INCLUDE, program], capture_output=True, text=True, check=True)
    keep, lines = False, [PREAMBLE]
    for line in run.stdout.splitlines():
        marker = re.match(r'# \d+ "(.*)"', line)
        if marker:
            keep = marker.group(1).startswith(CSMITH_INCLUDE + "/") or marker.group(1) == program
            continue
        if keep:
            lines.append(line)
    # safe_math.h's float and double functions, unused with --no-float: they would only be refused
    text = re.sub(r"^static [^\n]*\n\(safe_\w*(?:float|double)\w*\)\(.*?^\}$", "", "\n".join(lines), flags=re.S | re.M)
    return text + "\n"


def run(command, timeout):
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %d s" % timeout


def check(seed, pointers, args, work):
    """('agree' | 'refused' | 'skipped' | 'FAILED', why)"""
    name = "%d%s" % (seed, "" if pointers else "-np")
    raw = os.path.join(work, "raw-%s.c" % name)
    program = os.path.join(work, "csmith_%s.c" % name.replace("-", "_"))
    subprocess.run(["csmith", "--seed", str(seed), "-o", raw] + CSMITH_FLAGS + ([] if pointers else ["--no-pointers"]),
                   check=True, capture_output=True, cwd=work)  # it writes platform.info where it runs
    with open(program, "w") as f:
        f.write(one_file(raw))
    native = os.path.join(work, "native-" + name)
    subprocess.run(["gcc", "-O1", "-w", "-o", native, program], check=True)
    native_status, native_out, _ = run([native], args.timeout)
    if native_status is None:
        return "skipped", "the native run does not finish in %d s" % args.timeout
    obj = os.path.join(work, name + ".bpf.o")
    no_load = [] if args.run_kernel == "host" else ["--no-load"]
    status, out, err = run([args.dm, "port", program, "-o", obj] + no_load, 600)
    said = (out + err).strip()
    if status == 1 and REFUSED.search(said):
        return "refused", said.splitlines()[-1]
    if status == 6 and REJECTED_AT_LINE.search(said):  # dm's exit status table: 6, the kernel refused
        return "refused", said.splitlines()[0] + " / " + said.splitlines()[-1]
    if status != 0:
        return "FAILED", "dm port exit %s:\n%s" % (status, said)
    status, out, err = run([VM_RUN, "--kernels", args.kernels, "--streams", args.run_kernel, "--",
                            os.path.abspath(args.dm), "run", obj], 600)
    if status == 70 and STOPPED_AT_LINE.search(err):
        return "refused", err.strip().splitlines()[-1]
    if status == 6 and REJECTED_AT_LINE.search(err):
        return "refused", err.strip().splitlines()[0] + " / " + err.strip().splitlines()[-1]
    if status == native_status and out == native_out:
        return "agree", native_out.strip().splitlines()[-1]
    return "FAILED", "dm run exit %s (native %s): %s\nkernel output ends: %s\nnative output ends: %s" % (
        status, native_status, err.strip(), out.strip()[-200:], native_out.strip()[-200:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds (two programs each)")
    parser.add_argument("--first", type=int, default=1, help="the first seed")
    parser.add_argument("--dm", default="build/dm")
    parser.add_argument("--keep", default="build/csmith-failures", help="where failing programs are kept")
    parser.add_argument("--timeout", type=int, default=5, help="seconds a native run may take")
    parser.add_argument("--run-kernel", default="host", help="where dm run runs: host, or a kernel vm-run boots")
    parser.add_argument("--kernels", default="build/kernels", help="vm-run's kernels (tests/vm/prepare-kernels)")
    args = parser.parse_args()
    counts = {"agree": 0, "refused": 0, "skipped": 0, "FAILED": 0}
    by_pointers = {True: [0, 0], False: [0, 0]}  # [agree, finished natively]
    with tempfile.TemporaryDirectory(prefix="dm-csmith-") as work:
        for seed in range(args.first, args.first + args.seeds):
            for pointers in (True, False):
                verdict, why = check(seed, pointers, args, work)
                counts[verdict] += 1
                label = "seed %d%s" % (seed, "" if pointers else " --no-pointers")
                print("%-7s %s: %s" % (verdict, label, why), flush=True)
                if verdict != "skipped":
                    by_pointers[pointers][1] += 1
                    by_pointers[pointers][0] += verdict == "agree"
                if verdict == "FAILED":
                    os.makedirs(args.keep, exist_ok=True)
                    kept = os.path.join(args.keep, "csmith_%d%s.c" % (seed, "" if pointers else "_np"))
                    with open(os.path.join(work, "csmith_%d%s.c" % (seed, "" if pointers else "_np"))) as f, \
                            open(kept, "w") as out:
                        out.write(f.read())
                    with open(kept + ".txt", "w") as out:
                        out.write(why + "\n")
    for pointers, (agree, finished) in by_pointers.items():
        print("agreement %s: %d of %d programs whose native run finishes (%.0f%%)" % (
            "with pointers" if pointers else "--no-pointers", agree, finished, 100.0 * agree / max(finished, 1)))
    print("%d agree, %d refused clearly, %d skipped (native run too long)" % (counts["agree"], counts["refused"],
                                                                               counts["skipped"]))
    passed = counts["agree"] + counts["refused"]
    print("%d passed, %d failed" % (passed, counts["FAILED"]))
    return 1 if counts["FAILED"] else 0


if __name__ == "__main__":
    sys.exit(main())
