"""`run_all.py --only serve`: the HTTP scoring API under load from wrk on loopback.

- Single-record credit scoring: `lepton-credit serve` against the same scorecard served by
  FastAPI + uvicorn and by BentoML (Benchmarks/peers/serve_*.py). Every server is pinned to
  core 0 and wrk to core 1 (`taskset`), so each side has one core and the client never competes
  with the server. Servers run alternately (ours, FastAPI, BentoML, twice); each keeps its best
  throughput, with the p50/p99 latency of that run.
- Scan classification over HTTP (one PNG per request, 64 connections) with dynamic batching,
  against offline `lepton-scan classify` of the same PNGs on the same one core, and the
  latency/throughput trade-off of a few --max-batch/--max-wait-ms settings.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
ROOT = os.path.dirname(HERE)
SERVER_CORE, CLIENT_CORE = "0", "1"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, process, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(url, body_path, content_type, connections, seconds):
    """wrk on the client core posting one body; requests/s, p50 and p99 latency (ms), errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "POST"\nlocal f = io.open("{body_path}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
                     f'wrk.headers["Content-Type"] = "{content_type}"\n')
    out = subprocess.run(["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
                         check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = 0
    for m in re.finditer(r"Non-2xx or 3xx responses: (\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups() if g)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": latency("50"), "p99_ms": latency("99"),
            "errors": errors}


def serve_and_load(command, health_url, url, body, content_type, connections, seconds, cwd=None, env=None):
    process = subprocess.Popen(["taskset", "-c", SERVER_CORE] + command, cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_up(health_url, process)
        wrk(url, body, content_type, connections, 2)  # warm-up
        return wrk(url, body, content_type, connections, seconds)
    finally:
        stop(process)


def credit_servers(binary, folder, python):
    credit = os.path.join(os.path.dirname(binary), "lepton-credit")
    model, card = os.path.join(folder, "card.lepton"), os.path.join(folder, "card.json")
    data = os.path.join(ROOT, "data", "credit", "germancredit.csv")
    subprocess.run([credit, "train", "--data", data, "--target", "creditability", "--bad", "bad", "--out", model, "--quiet"], check=True)
    subprocess.run([credit, "export", "--model", model, "--format", "json", "--out", card, "--quiet"], check=True)
    import csv
    with open(data, newline="") as f:
        row = next(csv.DictReader(f))
    record = {k: (int(v) if v.lstrip("-").isdigit() else v) for k, v in row.items()}
    body, wrapped = os.path.join(folder, "record.json"), os.path.join(folder, "record-bento.json")
    json.dump(record, open(body, "w"))
    json.dump({"record": record}, open(wrapped, "w"))  # BentoML names the API's parameter
    env = dict(os.environ, LEPTON_SCORECARD_JSON=card)

    def ours():
        port = free_port()
        return serve_and_load([credit, "serve", "--model", model, "--port", str(port), "--threads", "1", "--no-access-log"],
                              f"http://127.0.0.1:{port}/healthz", f"http://127.0.0.1:{port}/v1/score", body, "application/json", 32, 8)

    def fastapi():
        port = free_port()
        return serve_and_load([python, "-m", "uvicorn", "serve_fastapi:app", "--port", str(port), "--workers", "1", "--no-access-log",
                               "--log-level", "warning"], f"http://127.0.0.1:{port}/healthz", f"http://127.0.0.1:{port}/v1/score",
                              body, "application/json", 32, 8, cwd=PEERS, env=env)

    def bento():
        port = free_port()
        bentoml = os.path.join(os.path.dirname(python), "bentoml")
        return serve_and_load([bentoml, "serve", "serve_bentoml:CreditScorecard", "--port", str(port)],
                              f"http://127.0.0.1:{port}/healthz", f"http://127.0.0.1:{port}/v1/score", wrapped, "application/json", 32, 8,
                              cwd=PEERS, env=env)

    return {"Lepton": ours, "FastAPI + uvicorn": fastapi, "BentoML": bento}


def bench_serve(binary, args, python, report_figure):
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        print("| serving | skipped: wrk or taskset missing (make deps installs wrk) | | | |")
        return
    folder = tempfile.mkdtemp(prefix="lepton-serve-bench-")
    try:
        servers = credit_servers(binary, folder, python)
        best = {}
        for _ in range(2):
            for name, run in servers.items():
                try:
                    result = run()
                except Exception as error:  # a peer that does not start is reported, not fatal
                    print(f"(serve bench: {name} failed: {error})", file=sys.stderr)
                    continue
                if name not in best or result["rps"] > best[name]["rps"]:
                    best[name] = result
        ours = best["Lepton"]
        for peer in ("FastAPI + uvicorn", "BentoML"):
            if peer not in best:
                print(f"| credit single-record serving vs {peer} | {ours['rps']:,.0f} req/s | {peer}: did not run | | ≥ 10× |")
                continue
            p = best[peer]
            ratio = ours["rps"] / p["rps"]
            verdict = "meets" if ratio >= 10 and ours["p99_ms"] < p["p99_ms"] and not ours["errors"] else "below"
            print(f"| credit single-record serving, 32 connections, 1 core each (p50/p99 ms) | {ours['rps']:,.0f} req/s "
                  f"({ours['p50_ms']:.2f}/{ours['p99_ms']:.2f}) | {peer}: {p['rps']:,.0f} req/s ({p['p50_ms']:.2f}/{p['p99_ms']:.2f}) "
                  f"| {ratio:.1f}× | ≥ 10× at lower p99 ({verdict}) |" + (f" errors: ours {ours['errors']}, peer {p['errors']}" if ours["errors"] or p["errors"] else ""))
        if any(r["errors"] for r in best.values()):
            print(f"(serve bench: non-2xx or socket errors: { {k: v['errors'] for k, v in best.items()} })", file=sys.stderr)
        bench_scan_serving(binary, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.flush()


def bench_scan_serving(binary, folder):
    scan = os.path.join(os.path.dirname(binary), "lepton-scan")
    train, scans = os.path.join(folder, "train"), os.path.join(folder, "scans")
    subprocess.run([scan, "synth", "--count", "400", "--size", "28", "--seed", "1", "--out", train, "--quiet"], check=True)
    model = os.path.join(folder, "scan.lepton")
    subprocess.run([scan, "train", "--data", train, "--model", "cnn-small", "--epochs", "1", "--positive", "finding", "--out", model, "--quiet"],
                   check=True)
    # 4,000 scans for the offline run: the training PNGs, ten times over.
    pngs = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(train) for f in fs if f.endswith(".png"))
    os.makedirs(scans)
    for k in range(10):
        for j, p in enumerate(pngs):
            shutil.copyfile(p, os.path.join(scans, f"{k:02d}-{j:04d}.png"))
    offline = []
    for _ in range(2):
        out = subprocess.run(["taskset", "-c", SERVER_CORE, scan, "classify", "--model", model, "--input", scans, "--output",
                              os.path.join(folder, "out.csv"), "--threads", "1", "--json", "--quiet"], check=True, capture_output=True, text=True).stdout
        offline.append(json.loads(out.strip().splitlines()[-1])["images_per_second"])
    offline_rate = max(offline)
    body = pngs[0]
    rows = []
    for max_batch, max_wait in [(1, 0), (16, 2), (64, 5), (256, 10)]:
        port = free_port()
        result = serve_and_load([scan, "serve", "--model", model, "--port", str(port), "--threads", "1", "--no-access-log",
                                 "--max-batch", str(max_batch), "--max-wait-ms", str(max_wait)],
                                f"http://127.0.0.1:{port}/healthz", f"http://127.0.0.1:{port}/v1/score", body, "image/png", 64, 8)
        rows.append((max_batch, max_wait, result))
        print(f"| scan serving, one PNG per request, 64 connections, --max-batch {max_batch} --max-wait-ms {max_wait} (p50/p99 ms) "
              f"| {result['rps']:,.0f} images/s ({result['p50_ms']:.1f}/{result['p99_ms']:.1f}) | offline classify, 1 core: {offline_rate:,.0f} images/s "
              f"| {result['rps'] / offline_rate:.2f}× | ≥ 0.7× ({'meets' if result['rps'] >= 0.7 * offline_rate and not result['errors'] else 'below'}) |"
              + (f" errors: {result['errors']}" if result["errors"] else ""))
    sys.stdout.flush()
