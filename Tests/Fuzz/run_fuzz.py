#!/usr/bin/env python3
"""Runs every Lepton fuzz target for a while and prints one table (make fuzz).

Each target runs `lepton-fuzz` (libFuzzer, AddressSanitizer) with LEPTON_FUZZ_TARGET set, on a
working corpus under .build/fuzz/corpus/TARGET seeded from the committed Tests/Fuzz/corpus (new
inputs never go into the repository). A crash leaves its input in .build/fuzz/crashes/ and is
counted; the last line is `crashes: N` and the exit status is 1 when N > 0."""
import argparse
import os
import re
import shutil
import subprocess
import sys

TARGETS = ["csv-libcsv", "csv-fast-vs-libcsv", "csv-numeric-parts-vs-one", "csv-tabular-parts-vs-one",
           "batch-parts-vs-one", "png-decode", "model-file", "credit-schema-json", "qc-expression",
           "serve-json-request"]
HERE = os.path.dirname(os.path.abspath(__file__))


def seeds_for(target):
    """The committed seed folder of a target (the CSV targets share one)."""
    return os.path.join(HERE, "corpus", "csv" if target.startswith(("csv-", "batch-")) else target)


def run(binary, target, seconds, work):
    corpus = os.path.join(work, "corpus", target)
    crashes = os.path.join(work, "crashes")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    seeds = seeds_for(target)
    if os.path.isdir(seeds):
        for name in os.listdir(seeds):
            shutil.copy(os.path.join(seeds, name), os.path.join(corpus, name))
    env = dict(os.environ, LEPTON_FUZZ_TARGET=target,
               ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:" + os.environ.get("ASAN_OPTIONS", ""))
    max_len = 65536 if target == "model-file" else 4096
    command = [binary, f"-max_total_time={seconds}", "-print_final_stats=1", f"-max_len={max_len}", "-rss_limit_mb=2048",
               "-timeout=10", f"-artifact_prefix={crashes}/{target}-", corpus]
    result = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace")
    log = result.stderr
    with open(os.path.join(work, f"{target}.log"), "w") as f:
        f.write(log)
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    coverage = re.findall(r"\bcov: (\d+)", log)
    first_cov = int(coverage[0]) if coverage else 0
    last_cov = int(coverage[-1]) if coverage else 0
    crashed = result.returncode != 0
    return {
        "target": target,
        "executions": int(stat.get("number_of_executed_units", 0)),
        "per_second": int(stat.get("average_exec_per_sec", 0)),
        "corpus": len(os.listdir(corpus)),
        "new_units": int(stat.get("new_units_added", 0)),
        "coverage": f"{first_cov} → {last_cov}",
        "crashes": 1 if crashed else 0,
        "note": "" if not crashed else (re.findall(r"(SUMMARY: .*|lepton-fuzz: .*|Fatal error: .*)", log) or ["exit %d" % result.returncode])[0],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--work", default=".build/fuzz/run")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    targets = [t for t in TARGETS if not args.only or t in args.only.split(",")]
    print(f"| target | executions | executions/s | corpus | new units | coverage (edges) | crashes |")
    print("|---|---|---|---|---|---|---|")
    total = 0
    for target in targets:
        r = run(args.binary, target, args.seconds, args.work)
        total += r["crashes"]
        print(f"| {r['target']} | {r['executions']:,} | {r['per_second']:,} | {r['corpus']} | {r['new_units']} | {r['coverage']} | "
              f"{r['crashes']}{' ' + r['note'] if r['note'] else ''} |")
        sys.stdout.flush()
    print(f"crashes: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
