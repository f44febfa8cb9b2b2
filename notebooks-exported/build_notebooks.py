"""Runs the teaching notebooks for real and exports them (`make notebooks`), or checks that the
exported ones are up to date (`make notebooks-check`).

Sources: notebooks-exported/sources/NAME.md, MyST Markdown (jupytext's `md:myst`) whose code cells
are shell (```{code-cell} bash```). Each code cell runs in a fresh `bash -e` inside the
notebook's work folder (.build/notebooks/NAME, emptied first), with Lepton's release executables
first on PATH and `data/` linked in, so every path a command prints is relative and the same on
any clone. stdout and stderr are captured together, in order, as a terminal shows them. A line
`# figure: PATH` in a cell embeds that file (SVG or PNG) as the cell's figure after it ran.

Lines whose figures vary from run to run (seconds, rates) are marked with a trailing TIMING_MARK
when exported, and so is every line of a cell tagged `timing` (`:tags: [timing]`: a cell whose
results depend on measured speed, as a tuning search's do); `--check` re-runs everything into a temporary folder and compares the
outputs with the exported notebooks, ignoring the marked lines. Exports: NAME.ipynb (nbformat 4,
outputs embedded, validated) and NAME.html (`jupyter nbconvert --to html`, figures inline).
"""
import argparse
import base64
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jupytext
import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOURCES = os.path.join(HERE, "sources")
TIMING_MARK = "  [timing]"
# A line is a timing line when it reports elapsed time, a rate or a cache's timing.
TIMING = re.compile(
    r"(\d+(\.\d+)?\s?(s|ms|µs|us|min)\b(?! ?points)|seconds|per second|\b(records|rows|images|scans|req|MB|GB)/s\b|rows_per_second|images_per_second|"
    r"saved \(|took |elapsed|throughput|latency|cost_per_million|p50|p99)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def clean(text):
    """What a terminal would show: carriage-return rewrites collapsed, colour codes removed."""
    lines = []
    for line in ANSI.sub("", text).split("\n"):
        lines.append(line.split("\r")[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r"))
    return "\n".join(lines)


def mark_timings(text):
    return "\n".join(line + TIMING_MARK if line and TIMING.search(line) else line for line in text.split("\n"))


def figure_output(path):
    if path.endswith(".svg"):
        with open(path, encoding="utf-8") as f:
            return nbformat.v4.new_output("display_data", data={"image/svg+xml": f.read(), "text/plain": f"<figure {os.path.basename(path)}>"})
    with open(path, "rb") as f:
        png = f.read()
    output = nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(), "text/plain": f"<figure {os.path.basename(path)}>"})
    width = int.from_bytes(png[16:20], "big")
    if 0 < width < 200:  # a scan-sized image (28×28): shown eight times larger
        output.metadata["image/png"] = {"width": width * 8}
    return output


def cpu_kernels():
    """The processor features that choose Lepton's kernels (AVX-512F: the direct and Winograd fp32
    convolutions; AVX-512 VNNI: the int8 kernels, else AVX2). Floating-point sums, and so
    training runs, differ between these paths in their last bits and then beyond."""
    flags = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    chosen = [f for f in ("avx512f", "avx512_vnni") if f in flags] or [f for f in ("avx2",) if f in flags]
    return "+".join(chosen) or "portable"


# Numbers and kernel names, masked when notebooks made on other kernels are compared.
NUMBER = re.compile(r"\d+(\.\d+)?([eE][-+]?\d+)?")
KERNEL_NAME = re.compile(r"\b(vnni|avx2|avx512|avx-512)\b", re.IGNORECASE)


def run_notebook(name, bin_dir, work_root):
    notebook = jupytext.read(os.path.join(SOURCES, name + ".md"), fmt="md:myst")
    work = os.path.join(work_root, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.symlink(os.path.join(ROOT, "data"), os.path.join(work, "data"))
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), LEPTON_CACHE_DIR=os.path.join(work, ".cache"),
               COLUMNS="100", LC_ALL="C.UTF-8")
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        result = subprocess.run(["bash", "-e", "-c", cell.source], cwd=work, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
        # A cell tagged `timing` reports measurements (latencies, what a speed-based search chose):
        # all of its lines and figures are marked and left out of the comparison.
        timing_cell = "timing" in cell.metadata.get("tags", [])
        text = clean(result.stdout).rstrip("\n")
        text = "\n".join(line + TIMING_MARK for line in text.split("\n")) if timing_cell and text else mark_timings(text)
        outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")] if text else []
        expect_failure = "raises-exception" in cell.metadata.get("tags", [])
        if result.returncode != 0 and not expect_failure:
            raise SystemExit(f"{name}: cell {count} exited with {result.returncode}:\n{cell.source}\n---\n{text}")
        if result.returncode == 0 and expect_failure:
            raise SystemExit(f"{name}: cell {count} was expected to fail and did not:\n{cell.source}")
        for line in cell.source.split("\n"):
            if line.startswith("# figure:"):
                path = os.path.join(work, line.split(":", 1)[1].strip())
                if not os.path.exists(path):
                    raise SystemExit(f"{name}: cell {count} names the figure {path}, which the commands did not write")
                figure = figure_output(path)
                if timing_cell:
                    figure.metadata["timing"] = True
                outputs.append(figure)
        cell.outputs = outputs
        cell.execution_count = count
    notebook.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    notebook.metadata["language_info"] = {"name": "bash"}
    notebook.metadata["lepton"] = {"cpu_kernels": cpu_kernels()}
    notebook.metadata.pop("jupytext", None)
    nbformat.validate(notebook)
    return notebook


def export(notebook, name, out_dir):
    path = os.path.join(out_dir, name + ".ipynb")
    nbformat.write(notebook, path)
    nbformat.validate(nbformat.read(path, as_version=4))
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--log-level", "WARN", "--output-dir", out_dir, path], check=True)
    html = open(os.path.join(out_dir, name + ".html"), encoding="utf-8").read()
    for cell in notebook.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.output_type != "display_data":
                continue
            data = o.data.get("image/png") or base64.b64encode(o.data["image/svg+xml"].encode()).decode()
            if data[:120] not in html and (o.data.get("image/svg+xml", "")[:200] not in html or "image/png" in o.data):
                raise SystemExit(f"{name}.html does not embed the figure {o.data.get('text/plain')}")
    return path


def comparable(notebook, masked=False):
    """Each code cell's outputs as text, timing lines dropped. `masked`: numbers and kernel names
    masked, figures reduced to their count (for a notebook made on other kernels)."""
    out = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                parts += [line for line in o.text.split("\n") if not line.endswith(TIMING_MARK)]
            elif o.get("metadata", {}).get("timing"):
                parts.append("[a figure of measurements]")
            elif masked:
                parts.append("[a figure]")
            else:
                parts.append(str(sorted(o.data.keys())) + o.data.get("image/svg+xml", o.data.get("image/png", "")))
        text = "\n".join(parts)
        out.append(NUMBER.sub("#", KERNEL_NAME.sub("KERNELS", text)) if masked else text)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="folder of the release executables")
    parser.add_argument("--only", help="comma-separated notebook names")
    parser.add_argument("--check", action="store_true", help="re-run and compare with the exported notebooks")
    args = parser.parse_args()
    names = sorted(f[:-3] for f in os.listdir(SOURCES) if f.endswith(".md"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    work_root = os.path.join(ROOT, ".build", "notebooks")
    failures = 0
    for name in names:
        print(f"notebook {name}: running", flush=True)
        notebook = run_notebook(name, os.path.abspath(args.bin), work_root)
        if not args.check:
            print(f"notebook {name}: wrote {os.path.relpath(export(notebook, name, HERE), ROOT)} and .html", flush=True)
            continue
        exported_path = os.path.join(HERE, name + ".ipynb")
        if not os.path.exists(exported_path):
            print(f"notebook {name}: not exported (run make notebooks)")
            failures += 1
            continue
        with tempfile.TemporaryDirectory() as scratch:
            export(notebook, name, scratch)  # validates and converts the fresh run too
        exported = nbformat.read(exported_path, as_version=4)
        nbformat.validate(exported)
        fresh, old = comparable(notebook), comparable(exported)
        if fresh == old:
            print(f"notebook {name}: up to date (timing lines ignored)")
            continue
        # Made on other kernels: the numbers may differ in their last bits and then beyond.
        made_on = exported.metadata.get("lepton", {}).get("cpu_kernels", "unrecorded")
        if made_on != cpu_kernels():
            fresh, old = comparable(notebook, masked=True), comparable(exported, masked=True)
            if fresh == old:
                print(f"notebook {name}: runs and matches the exported one in its cells, text and figures; its numbers were not "
                      f"compared: exported on {made_on} kernels, run here on {cpu_kernels()}, whose floating-point sums differ")
                continue
        failures += 1
        print(f"notebook {name}: differs from the exported one:")
        for k, (a, b) in enumerate(zip(old, fresh)):
            if a != b:
                diff = difflib.unified_diff(a.split("\n"), b.split("\n"), f"exported cell {k + 1}", f"fresh cell {k + 1}", lineterm="")
                print("\n".join(line[:300] for line in list(diff)[:40]))
        if len(old) != len(fresh):
            print(f"  {len(old)} code cells exported, {len(fresh)} now")
    if failures:
        raise SystemExit(f"{failures} notebook(s) out of date: run `make notebooks` and commit notebooks-exported/")


if __name__ == "__main__":
    main()
