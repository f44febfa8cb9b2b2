"""`make bench`: Lepton and its peers side by side, in one run, with ratios.

Usage: run_all.py LEPTON_BENCH_BINARY [--only csv,png,logistic,gbdt,credit,qc,cnn,resnet,scan,gemm,compress,navigator,serve] [--datasets DIR]

Each benchmark runs ours and the peer alternately (ours, peer, ours, peer) and keeps each
one's best, so that load from other work on a shared machine hits both alike. The table it
prints is what Benchmarks/README.md records.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
DATA = os.path.join(HERE, ".data")
PYTHON = os.environ.get("PEER_PYTHON", sys.executable)


def run_json(command):
    """Runs a command that prints one JSON object on its last line of output."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def best_of_alternating(ours, peer, key, higher_is_better, rounds=2):
    best_ours, best_peer = None, None
    pick = max if higher_is_better else min
    for _ in range(rounds):
        a = run_json(ours)
        best_ours = a if best_ours is None else pick(best_ours, a, key=lambda r: r[key])
        b = run_json(peer)
        best_peer = b if best_peer is None else pick(best_peer, b, key=lambda r: r[key])
    return best_ours, best_peer


def report(title, ours, peer, key, unit, higher_is_better, target):
    ratio = ours[key] / peer[key] if higher_is_better else peer[key] / ours[key]
    goal = "no target" if target is None else f"≥ {target}× ({'meets' if ratio >= target else 'below'})"
    digits = 2 if ours[key] < 10 else 1
    print(f"| {title} | {ours[key]:,.{digits}f} {unit} | {peer.get('tool', 'peer')}: {peer[key]:,.{digits}f} {unit} "
          f"| {ratio:.2f}× | {goal} |")
    sys.stdout.flush()


def bench_csv(binary, args):
    path = os.path.join(DATA, "numeric-100mb.csv")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        subprocess.run([binary, "generate-csv", "--out", path, "--megabytes", "100", "--seed", "1"], check=True)
    peer = [PYTHON, os.path.join(PEERS, "csv_read.py"), "--file", path]
    for threads, target in [(1, 1.5), (2, 2.5)]:
        ours = [binary, "csv", "--file", path, "--threads", str(threads), "--json"]
        a, b = best_of_alternating(ours, peer, "mb_per_s", True)
        report(f"CSV 100 MB → Float32 columns, ours on {threads} core(s) vs pandas.read_csv (1 core)",
               a, b, "mb_per_s", "MB/s", True, target)


def bench_png(binary, args):
    folder = os.path.join(args.datasets, "pneumoniamnist", "train")
    if not os.path.isdir(folder):
        print(f"| PNG decode | skipped: no {folder} | | | |")
        return
    ours = [binary, "png", "--dir", folder, "--repeat", "5", "--json"]
    peer = [PYTHON, os.path.join(PEERS, "png_decode.py"), "--dir", folder, "--repeat", "5"]
    a, b = best_of_alternating(ours, peer, "images_per_s", True)
    report("PNG decode, PneumoniaMNIST train (2,428 × 28×28), 1 core", a, b, "images_per_s", "images/s", True, 1.0)


def bench_logistic(binary, args):
    path = os.path.join(DATA, "linear-1m-30.csv")
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        subprocess.run([binary, "generate-linear", "--out", path, "--rows", "1000000", "--columns", "30", "--seed", "1"],
                       check=True)
    ours = [binary, "logistic", "--file", path, "--threads", "2", "--json"]
    peer = [PYTHON, os.path.join(PEERS, "logistic_fit.py"), "--file", path, "--threads", "2"]
    a, b = best_of_alternating(ours, peer, "fit_seconds", False, rounds=1)
    report("Logistic regression fit (L2, C=1), 1M × 30, 2 threads", a, b, "fit_seconds", "s", False, 1.0)
    print(f"|  objective at the solution | {a['objective']:.6f} | {b['objective']:.6f} | | |")


def bench_gbdt(binary, args):
    # The generated 1,000,000 × 30 task with interactions and 5% missing values; same hyperparameters.
    ours = [binary, "gbdt", "--rows", "1000000", "--json"]
    peer = [PYTHON, os.path.join(PEERS, "gbdt_bench.py"), "--rows", "1000000"]
    a, b = best_of_alternating(ours, peer, "fit_seconds", False, rounds=1)
    report("GBDT fit, 1M × 30, 2 threads", a, b, "fit_seconds", "s", False, 1.0)
    report("GBDT prediction throughput", a, b, "predict_rows_per_s", "rows/s", True, 1.0)
    print(f"|  AUC | {a['auc']:.4f} | {b['auc']:.4f} | Δ {a['auc'] - b['auc']:+.4f} | within 0.003 |")


def bench_credit(binary, args):
    """lepton-credit (beside lepton-bench) against pandas + scikit-learn and optbinning."""
    credit = os.path.join(os.path.dirname(binary), "lepton-credit")
    german = os.path.join(os.path.dirname(HERE), "data", "credit", "germancredit.csv")
    folder = os.path.join(DATA, "credit")
    applicants = os.path.join(folder, "applicants.csv")
    model = os.path.join(folder, "german-scorecard.lepton")
    card = os.path.join(folder, "scorecard.json")
    if not os.path.exists(applicants):
        os.makedirs(folder, exist_ok=True)
        subprocess.run([credit, "demo", "--rows", "1000000", "--corrupt-every", "0", "--out-dir", folder, "--data", german,
                        "--quiet"], check=True, capture_output=True)
    subprocess.run([credit, "export", "--model", model, "--format", "json", "--out", card, "--quiet"], check=True)
    ours = [credit, "score", "--model", model, "--input", applicants, "--output", os.path.join(folder, "ours.csv"),
            "--threads", "2", "--json", "--quiet"]
    peer = [PYTHON, os.path.join(PEERS, "credit_score.py"), "--scorecard", card, "--input", applicants,
            "--output", os.path.join(folder, "peer.csv")]
    a, b = best_of_alternating(ours, peer, "seconds", False, rounds=3)
    report("Credit batch scoring 1M applicants, CSV → score → CSV, ours on 2 cores vs pandas + scikit-learn",
           a, b, "seconds", "s", False, 5.0)
    # The peer's settings on our side: optbinning's BinningProcess prebins with a CART tree and picks
    # each numeric trend among ascending, descending, peak and valley, has no correlation or VIF
    # filter; max 6 bins, min bin share 5 % and IV >= 0.02 are both sides' defaults.
    same_settings = ["--prebinning", "cart", "--trend", "auto-unimodal", "--max-correlation", "1", "--max-vif", "1e9"]
    for name, data, extra_ours, extra_peer in [
            ("German credit (1,000 rows)", german, [], []),
            ("synthetic 1M rows", applicants, ["--id", "applicant_id"], ["--drop", "applicant_id"])]:
        ours = [credit, "train", "--data", data, "--target", "creditability", "--bad", "bad", "--out",
                os.path.join(folder, "fit.lepton"), "--threads", "2", "--json", "--quiet"] + same_settings + extra_ours
        peer = [PYTHON, os.path.join(PEERS, "credit_fit.py"), "--data", data, "--target", "creditability", "--bad", "bad"] + extra_peer
        a, b = best_of_alternating(ours, peer, "seconds", False, rounds=3)
        report(f"Credit binning + fit (read, bin, select, logistic regression), {name}, vs optbinning BinningProcess + LR",
               a, b, "seconds", "s", False, 10.0)
        print(f"|  in-sample AUC | {a['auc']:.4f} | {b['auc']:.4f} | Δ {a['auc'] - b['auc']:+.4f} | ± 0.005 |")


def bench_qc(binary, args):
    """lepton-qc and lepton-bench's charts and isolation forest against NumPy, scikit-learn, PyOD,
    and pandas + LightGBM."""
    qc = os.path.join(os.path.dirname(binary), "lepton-qc")
    folder = os.path.join(DATA, "qc")
    os.makedirs(folder, exist_ok=True)
    train, parts = os.path.join(folder, "train.csv"), os.path.join(folder, "parts-1m.csv")
    if not os.path.exists(parts):
        subprocess.run([qc, "synth", "--kind", "parts", "--rows", "20000", "--seed", "1", "--out", train, "--quiet"], check=True)
        subprocess.run([qc, "synth", "--kind", "parts", "--rows", "1000000", "--seed", "2", "--out", parts, "--quiet"], check=True)
    for kind, target in [("xbar-r", 1.0), ("imr", 1.0)]:
        ours = [binary, "chart-speed", "--points", "10000000", "--type", kind, "--json"]
        peer = [PYTHON, os.path.join(PEERS, "chart_numpy.py"), "--points", "10000000", "--type", kind]
        a, b = best_of_alternating(ours, peer, "seconds", False)
        report(f"{kind} chart with all eight Nelson rules, 10M points in memory, vs NumPy (same limits and rules)",
               a, b, "seconds", "s", False, target)
    columns = "Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min]"
    ours = [binary, "iforest", "--file", parts, "--label", "Machine failure", "--columns", columns, "--threads", "2", "--json"]
    for tool in ["sklearn", "pyod"]:
        peer = [PYTHON, os.path.join(PEERS, "iforest_bench.py"), "--file", parts, "--label", "Machine failure", "--columns", columns,
                "--tool", tool]
        a, b = best_of_alternating(ours, peer, "seconds", False)
        report(f"Isolation forest fit + score, 1M parts × 5 readings, 100 trees, 2 threads (AUC {a['auc']:.3f} vs {b['auc']:.3f})",
               a, b, "seconds", "s", False, 2.0)
    model = os.path.join(folder, "failure.lepton")
    subprocess.run([qc, "train", "--data", train, "--target", "Machine failure", "--positive", "1", "--drop",
                    "UDI,Product ID,TWF,HDF,PWF,OSF,RNF", "--id", "UDI", "--feature",
                    'power = "Torque [Nm]" * "Rotational speed [rpm]" * 2 * pi / 60', "--feature",
                    'temperature_difference = "Process temperature [K]" - "Air temperature [K]"', "--feature",
                    'strain = "Tool wear [min]" * "Torque [Nm]"', "--out", model, "--quiet"], check=True, capture_output=True)
    peer = [PYTHON, os.path.join(PEERS, "qc_score.py"), "--train", train, "--input", parts, "--output", os.path.join(folder, "peer.csv")]
    # Like for like: the peer's pipeline writes the ID, score and alert of each part.
    ours = [qc, "score", "--model", model, "--input", parts, "--output", os.path.join(folder, "ours.csv"), "--threads", "2",
            "--top-readings", "0", "--json", "--quiet"]
    a, b = best_of_alternating(ours, peer, "seconds", False)
    report(f"Failure scoring 1M parts, CSV → score → CSV (ID, score, alert), 2 cores, vs pandas + LightGBM "
           f"(ours {a['read'] / a['seconds']:,.0f} rows/s)", a, b, "seconds", "s", False, 5.0)
    # What `score` writes by default: also the SHAP top 3 readings of every alert (work the peer does not do).
    ours = [qc, "score", "--model", model, "--input", parts, "--output", os.path.join(folder, "ours.csv"), "--threads", "2",
            "--json", "--quiet"]
    a, b = best_of_alternating(ours, peer, "seconds", False)
    report(f"Failure scoring 1M parts, CSV → score + SHAP top 3 per alert ({a['alerts']:,} alerts) → CSV, 2 cores, vs pandas + "
           f"LightGBM without explanations (ours {a['read'] / a['seconds']:,.0f} rows/s)", a, b, "seconds", "s", False, None)
    follow_delay(qc, model, parts, folder)


def follow_delay(qc, model, parts, folder, rows=3000, rate=300.0):
    """`lepton-qc score --follow`: a writer appends `rows` lines of the parts log at `rate` lines/s
    (each flushed on its own); a watcher reads the output as it grows and notes when each row's
    line appears. Delay = appearance − append, per row; the target is p99 under 100 ms."""
    import threading
    log, alerts = os.path.join(folder, "live.csv"), os.path.join(folder, "live-alerts.csv")
    for path in (log, alerts, alerts + ".rejects.csv"):
        if os.path.exists(path):
            os.remove(path)
    with open(parts) as source:
        header = source.readline()
        lines = [source.readline() for _ in range(rows)]
    with open(log, "w") as f:
        f.write(header)
    follower = subprocess.Popen([qc, "score", "--model", model, "--input", log, "--output", alerts, "--follow",
                                 "--idle-seconds", "2", "--json", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    appended, seen = {}, {}
    done = threading.Event()

    def watch():
        offset, pending = 0, b""
        while not done.is_set() or len(seen) < rows:
            if os.path.exists(alerts):
                with open(alerts, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                now = time.perf_counter()
                offset += len(chunk)
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    key = line.split(b",", 1)[0]
                    if key.isdigit():
                        seen.setdefault(int(key), now)
            if done.is_set() and time.perf_counter() - done_at[0] > 5:
                break
            time.sleep(0.001)

    done_at = [0.0]
    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.5)  # the follower opens the log and its header
    with open(log, "a") as f:
        start = time.perf_counter()
        for k, line in enumerate(lines):
            target = start + k / rate
            while time.perf_counter() < target:
                time.sleep(0.0002)
            f.write(line)
            f.flush()
            appended[int(line.split(",", 1)[0])] = time.perf_counter()
    done_at[0] = time.perf_counter()
    done.set()
    watcher.join()
    follower.wait(timeout=30)
    delays = sorted((seen[k] - t) * 1000 for k, t in appended.items() if k in seen)
    if not delays:
        print("| follow-mode delay | no rows seen | | | |")
        return
    p50, p99 = delays[len(delays) // 2], delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    verdict = "meets" if p99 < 100 and len(delays) == rows else "below"
    print(f"| score --follow: append → alert line, {rows:,} lines at {rate:.0f}/s ({len(delays):,} seen) | p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms, max {delays[-1]:.1f} ms | | | p99 < 100 ms ({verdict}) |")
    sys.stdout.flush()


def alternating_runs(ours, peer, rounds=2):
    """Runs ours and the peer alternately; returns both lists of results."""
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(run_json(ours))
        theirs.append(run_json(peer))
    return mine, theirs


def best(results, key, higher_is_better):
    """The best value of `key` over runs, as a one-key dict carrying the tool name."""
    pick = max if higher_is_better else min
    return {"tool": results[0].get("tool", "peer"), key: pick(r[key] for r in results)}


def report_at_most(title, ours, peer, key, unit, target):
    """For costs (time, memory): the ratio is ours / peer and the target an upper bound."""
    ratio = ours[key] / peer[key]
    verdict = "meets" if ratio <= target else "misses"
    print(f"| {title} | {ours[key]:,.2f} {unit} | {peer.get('tool', 'peer')}: {peer[key]:,.2f} {unit} "
          f"| {ratio:.2f}× | ≤ {target}× ({verdict}) |")
    sys.stdout.flush()


def pneumonia_train(args):
    path = os.path.join(args.datasets, "pneumoniamnist", "train")
    if not os.path.isdir(path):
        print(f"| cnn benchmarks | skipped: no {path} | | | |")
        return None
    return path


def bench_cnn(binary, args):
    """cnn-small on PneumoniaMNIST train: training epoch, peak memory, inference at batch 256."""
    train = pneumonia_train(args)
    if train is None:
        return
    common = ["--train", train, "--model", "cnn-small", "--epochs", "3", "--batch-size", "128", "--threads", "2"]
    ours = [binary, "cnn-speed", *common, "--inference-batch", "256", "--json"]
    torch_peer = [PYTHON, os.path.join(PEERS, "cnn_torch.py"), *common, "--inference-batch", "256"]
    onnx_peer = [PYTHON, os.path.join(PEERS, "cnn_onnx.py"), "--train", train, "--threads", "2",
                 "--inference-batch", "256"]
    # Each figure is the best of its own over the alternating runs (time and memory: lowest;
    # throughput: highest), for ours and the peer alike.
    mine, theirs = alternating_runs(ours, torch_peer, rounds=3)
    report_at_most("cnn-small training epoch (2,428 images, batch 128, Adam, 2 threads) vs PyTorch eager",
                   best(mine, "seconds_per_epoch", False), best(theirs, "seconds_per_epoch", False),
                   "seconds_per_epoch", "s", 0.6)
    report_at_most("cnn-small training peak RSS vs PyTorch eager", best(mine, "peak_rss_mb", False),
                   best(theirs, "peak_rss_mb", False), "peak_rss_mb", "MB", 0.5)
    report("cnn-small inference at batch 256, 2 threads, vs PyTorch eager", best(mine, "images_per_s", True),
           best(theirs, "images_per_s", True), "images_per_s", "images/s", True, 2.0)
    a, b = best_of_alternating(ours, onnx_peer, "images_per_s", True, rounds=3)
    report("cnn-small inference at batch 256, 2 threads, vs ONNX Runtime fp32", a, b, "images_per_s",
           "images/s", True, 0.8)


def bench_resnet(binary, args):
    """ResNet-18 training epoch on 256 evenly spaced PneumoniaMNIST images (a full epoch takes minutes)."""
    train = pneumonia_train(args)
    if train is None:
        return
    common = ["--train", train, "--model", "resnet18", "--epochs", "2", "--batch-size", "128", "--threads", "2",
              "--limit", "256", "--inference-passes", "0"]
    ours = [binary, "cnn-speed", *common, "--json"]
    peer = [PYTHON, os.path.join(PEERS, "cnn_torch.py"), *common]
    # Three alternating rounds, each side keeping its best, as for cnn-small: PyTorch's epoch
    # varied from 2.09 to 2.67 s between single runs on this machine, ours from 1.26 to 1.39 s.
    a, b = best_of_alternating(ours, peer, "seconds_per_epoch", False, rounds=3)
    report_at_most("ResNet-18 training epoch (256 images, batch 128, Adam, 2 threads) vs PyTorch eager",
                   a, b, "seconds_per_epoch", "s", 0.6)


def bench_scan(binary, args):
    """`lepton-scan classify`, PNG files to CSV, against Pillow + PyTorch eager and Pillow + ONNX
    Runtime fp32 doing the same (scan_classify.py), at batch 256 on 2 threads; then our peak
    memory classifying 100,000 scans against the train folder's (flat: the same within 10 %)."""
    train = pneumonia_train(args)
    if train is None:
        return
    scan = os.path.join(os.path.dirname(binary), "lepton-scan")
    os.makedirs(DATA, exist_ok=True)
    model = os.path.join(DATA, "scan-classify.lepton")
    subprocess.run([scan, "train", "--data", train, "--epochs", "1", "--out", model, "--quiet"], check=True, capture_output=True)
    output = os.path.join(DATA, "scan-classify.csv")
    ours = [scan, "classify", "--model", model, "--input", train, "--output", output, "--threads", "2", "--json", "--quiet"]
    for runtime, title, target in [("torch", "PyTorch eager", 1.5), ("onnx", "ONNX Runtime fp32", 1.5)]:
        peer = [PYTHON, os.path.join(PEERS, "scan_classify.py"), "--input", train, "--output", output + ".peer",
                "--runtime", runtime, "--threads", "2"]
        a, b = best_of_alternating(ours, peer, "images_per_second", True, rounds=3)
        report(f"scan classify, {a['read']:,} PNGs to CSV, 2 threads, vs Pillow + {title}", a, b, "images_per_second",
               "images/s", True, target)
    # Memory: 100,000 scans as links cycling over the train images.
    many = os.path.join(DATA, "scan-100k")
    if not os.path.isdir(many):
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(train) for f in fs if f.endswith(".png"))
        os.makedirs(many + ".tmp", exist_ok=True)
        for i in range(100_000):
            os.symlink(os.path.abspath(files[i % len(files)]), os.path.join(many + ".tmp", f"{i:06d}.png"))
        os.rename(many + ".tmp", many)

    def peak_mb(input_folder):
        run = subprocess.run(["/usr/bin/time", "-f", "%M", scan, "classify", "--model", model, "--input", input_folder,
                              "--output", output, "--threads", "2", "--quiet"], check=True, capture_output=True, text=True)
        return int(run.stderr.strip().splitlines()[-1]) / 1024

    small, large = peak_mb(train), peak_mb(many)
    count = sum(1 for _, _, fs in os.walk(train) for f in fs if f.endswith(".png"))
    verdict = "meets" if large <= 1.1 * small else "below"
    print(f"| scan classify peak RSS, 100,000 scans vs {count:,} | {large:,.1f} MB | {small:,.1f} MB | "
          f"{large / small:.2f}× ({(large - small) * 2**20 / (100_000 - count):,.0f} bytes per extra scan) | ≤ 1.1× ({verdict}) |")
    sys.stdout.flush()


def bench_gemm(binary, args):
    """GEMM through LeptonCore's BLAS funnel vs cblas_sgemm called directly (one process, alternating)."""
    result = run_json([binary, "gemm", "--threads", "2", "--json"])
    for row in result["shapes"]:
        verdict = "meets" if row["ratio"] >= 0.9 else "below"
        print(f"| GEMM {row['shape']}, 2 threads: funnel vs direct cblas_sgemm | {row['funnel_gflops']:,.1f} GFLOP/s "
              f"| cblas_sgemm: {row['direct_gflops']:,.1f} GFLOP/s | {row['ratio']:.2f}× | ≥ 0.9× ({verdict}) |")
    sys.stdout.flush()


def report_figure(title, ours_text, base_text, value, text, target, at_most=False, unit=""):
    """A row whose figure is not a plain ours / peer ratio (a speed-up measured inside one
    process, an AUC drop, a file-size ratio): `value` is checked against `target`, printed as `text`."""
    ok = value <= target if at_most else value >= target
    print(f"| {title} | {ours_text} | {base_text} | {text} | {'≤' if at_most else '≥'} {target}{unit} "
          f"({'meets' if ok else 'misses'}) |")
    sys.stdout.flush()


def bench_compress(binary, args):
    """`lepton-bench compress`: int8 (VNNI, and the AVX2 path forced) and 50 % channel pruning of
    cnn-small against our fp32 (speed-ups measured by interleaved rounds inside one process, at
    batch 256 on 2 threads), the AUC drops on PneumoniaMNIST val and the file-size ratio; and our
    int8 against ONNX Runtime's static int8 (QDQ, per-channel) of the same network shape."""
    train = pneumonia_train(args)
    if train is None:
        return
    val = os.path.join(os.path.dirname(train), "val")
    if not os.path.isdir(val):
        print(f"| compress | skipped: no {val} | | | |")
        return
    saved = os.path.join(tempfile.mkdtemp(prefix="lepton-compress-"), "fp32.lepton")
    ours = [binary, "compress", "--train", train, "--val", val, "--epochs", "12", "--threads", "2", "--json", "--save-model", saved]
    peer = [PYTHON, os.path.join(PEERS, "cnn_onnx_int8.py"), "--train", train, "--threads", "2",
            "--inference-batch", "256"]
    mine, theirs = alternating_runs(ours, peer, rounds=2)

    def speedup(key, title, target):
        """A speed-up over our fp32: the best run's (each run times both in alternating rounds)."""
        runs = [r for r in mine if f"{key}_speedup" in r]
        if not runs:
            print(f"| {title} | skipped: not measured on this machine | | | |")
            return
        run = max(runs, key=lambda r: r[f"{key}_speedup"])
        fp32 = run.get(f"{key}_fp32_images_per_second", run["fp32_images_per_second"])  # the rounds interleaved with it
        if target is None:  # context: no target on this row
            print(f"| {title} | {run[f'{key}_images_per_second']:,.0f} images/s | our fp32: {fp32:,.0f} images/s "
                  f"| {run[f'{key}_speedup']:.2f}× | |")
            return
        report_figure(title, f"{run[f'{key}_images_per_second']:,.0f} images/s",
                      f"our fp32: {fp32:,.0f} images/s", run[f"{key}_speedup"],
                      f"{run[f'{key}_speedup']:.2f}×", target, unit="×")

    def auc_drop(prefix, title, target):
        """Quality is not a speed figure: no best-of, the worst run counts (the runs are seeded,
        so they normally agree)."""
        runs = [r for r in mine if f"{prefix}auc_drop" in r]
        if not runs:
            return
        run = max(runs, key=lambda r: r[f"{prefix}auc_drop"])
        auc = run["auc_int8"] if prefix == "" else run[f"{prefix}auc"]
        report_figure(title, f"AUC {auc:.4f}", f"our fp32: AUC {run['auc_fp32']:.4f}", run[f"{prefix}auc_drop"],
                      f"drop {run[f'{prefix}auc_drop']:+.4f}", target, at_most=True)

    speedup("int8_vnni", "int8 cnn-small (VNNI) at batch 256, 2 threads, vs our fp32", 2.0)
    # On a machine with AVX-512 our fp32 runs AVX-512 kernels, and the AVX2 int8 row is context;
    # on one without (AVX2 only) it is the target's comparison as it stands.
    kernels = mine[0].get("fp32_kernels", "")
    has_avx512 = "avx512" in kernels
    speedup("int8_avx2", f"int8 cnn-small (AVX2 path) at batch 256, 2 threads, vs our fp32 on this machine ({kernels})",
            None if has_avx512 else 1.5)
    # What a machine with only AVX2 runs, from one with AVX-512: the same int8 kernel against our
    # fp32 without its AVX-512 kernels (no direct or Winograd convolutions: im2col + OpenBLAS on
    # its Haswell kernels), in a process of its own (the kernel choice is made once per process).
    avx2_runs = []
    for _ in range(2 if has_avx512 else 0):
        avx2_env = dict(os.environ, LEPTON_CONV_KERNELS="gemm", OPENBLAS_CORETYPE="Haswell", LEPTON_INT8_PATH="avx2")
        out = subprocess.run([binary, "compress", "--train", train, "--val", val, "--model", saved, "--prune-epochs", "0", "--threads", "2",
                              "--json"], capture_output=True, text=True, env=avx2_env)
        if out.returncode == 0:
            avx2_runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    avx2_runs = [r for r in avx2_runs if "int8_avx2_speedup" in r]
    if avx2_runs:
        run = max(avx2_runs, key=lambda r: r["int8_avx2_speedup"])
        report_figure("int8 cnn-small (AVX2) at batch 256, 2 threads, vs our fp32 as an AVX2-only machine runs it "
                      "(LEPTON_CONV_KERNELS=gemm, OPENBLAS_CORETYPE=Haswell)", f"{run['int8_avx2_images_per_second']:,.0f} images/s",
                      f"our fp32 (AVX2): {run.get('int8_avx2_fp32_images_per_second', run['fp32_images_per_second']):,.0f} images/s", run["int8_avx2_speedup"],
                      f"{run['int8_avx2_speedup']:.2f}×", 1.5, unit="×")
    elif has_avx512:
        print("| int8 cnn-small (AVX2) vs our fp32 as an AVX2-only machine runs it | skipped: the run failed | | | |")
    auc_drop("", f"int8 cnn-small validation AUC drop ({mine[0]['calibration']} calibration)", 0.005)
    run = max(mine, key=lambda r: r["size_ratio"])  # deterministic; the larger if not
    report_figure("int8 cnn-small model file size vs fp32 file", f"{run['bytes_int8']:,} bytes",
                  f"our fp32: {run['bytes_fp32']:,} bytes", run["size_ratio"], f"{run['size_ratio']:.2f}×", 0.3,
                  at_most=True, unit="×")
    # Against the peer: each side's best int8 throughput over the alternating runs.
    vnni = [r["int8_vnni_images_per_second"] for r in mine if "int8_vnni_images_per_second" in r]
    b = best(theirs, "int8_images_per_s", True)
    if vnni:
        report(f"int8 cnn-small (VNNI) at batch 256, 2 threads, vs ONNX Runtime int8 (QDQ, static, per-channel, "
               f"{theirs[0]['calibration']} calibration)", {"images_per_s": max(vnni)},
               {"tool": b["tool"], "images_per_s": b["int8_images_per_s"]}, "images_per_s", "images/s", True, 1.5)
    else:
        # No VNNI here: our AVX2 kernel against ONNX Runtime's int8 on the same processor.
        avx2 = [r["int8_avx2_images_per_second"] for r in mine if "int8_avx2_images_per_second" in r]
        if avx2:
            report(f"int8 cnn-small (AVX2, no VNNI on this machine) at batch 256, 2 threads, vs ONNX Runtime int8 (QDQ, static, "
                   f"per-channel, {theirs[0]['calibration']} calibration)", {"images_per_s": max(avx2)},
                   {"tool": b["tool"], "images_per_s": b["int8_images_per_s"]}, "images_per_s", "images/s", True, 1.5)
        else:
            print("| int8 cnn-small vs ONNX Runtime int8 | skipped: no int8 path measured | | | |")
    # Context, no target: ONNX Runtime's own int8 over its fp32, in its best int8 run.
    run = max(theirs, key=lambda r: r["int8_images_per_s"])
    print(f"|  ONNX Runtime int8 vs its own fp32, same run | | {run['int8_images_per_s']:,.0f} vs "
          f"{run['fp32_images_per_s']:,.0f} images/s | {run['int8_speedup_over_fp32']:.2f}× | |")
    speedup("prune50", "cnn-small with 50 % of channels pruned (structured), fine-tuned, at batch 256, 2 threads, "
                       "vs our fp32", 1.6)
    auc_drop("prune50_", "cnn-small with 50 % of channels pruned, fine-tuned: validation AUC drop", 0.01)
    bench_compress_resnet(binary, train, val)
    sys.stdout.flush()


def bench_compress_resnet(binary, train, val):
    """ResNet-18 int8 against our fp32: throughput from `lepton-bench int8-speed` (seeded weights:
    speed does not depend on their values; interleaved rounds in one process, best of two runs)
    on the fastest int8 path this machine has, the others as context; then the validation AUC
    drop of a ResNet-18 trained 3 epochs on PneumoniaMNIST (`lepton-bench compress --arch resnet18`)."""
    runs = []
    for _ in range(2):
        out = subprocess.run([binary, "int8-speed", "--arch", "resnet18", "--threads", "2", "--json"], capture_output=True, text=True)
        if out.returncode == 0:
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if not runs:
        print("| ResNet-18 int8 | skipped: the run failed | | | |")
        return
    paths = [p for p in ("vnni", "avx2") if f"int8_{p}_speedup" in runs[0]]
    for k, path in enumerate(paths):
        run = max(runs, key=lambda r: r[f"int8_{path}_speedup"])
        title = (f"ResNet-18 int8 ({path}) at batch 256, 2 threads, vs our fp32 ({run['fp32_kernels']}), 28×28")
        ours_text = f"{run[f'int8_{path}_images_per_second']:,.0f} images/s"
        base_text = f"our fp32: {run[f'int8_{path}_fp32_images_per_second']:,.0f} images/s"
        if k == 0:
            report_figure(title, ours_text, base_text, run[f"int8_{path}_speedup"], f"{run[f'int8_{path}_speedup']:.2f}×", 2.0, unit="×")
        else:
            print(f"| {title} | {ours_text} | {base_text} | {run[f'int8_{path}_speedup']:.2f}× | |")
    out = subprocess.run([binary, "compress", "--arch", "resnet18", "--train", train, "--val", val, "--epochs", "3", "--prune-epochs", "0",
                          "--threads", "2", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"| ResNet-18 int8 AUC drop | failed: {out.stderr.strip()[:200]} | | | |")
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    report_figure(f"ResNet-18 (3 epochs) int8 validation AUC drop ({r['calibration']} calibration)", f"AUC {r['auc_int8']:.4f}",
                  f"our fp32: AUC {r['auc_fp32']:.4f}", r["auc_drop"], f"drop {r['auc_drop']:+.4f}", 0.005, at_most=True)
    report_figure("ResNet-18 int8 model file size vs fp32 file", f"{r['bytes_int8']:,} bytes", f"our fp32: {r['bytes_fp32']:,} bytes",
                  r["size_ratio"], f"{r['size_ratio']:.2f}×", 0.3, at_most=True, unit="×")


def bench_navigator(binary, args):
    """`lepton-bench navigator`: successive halving against exhaustive search over 27 boosted
    credit models on the embedded German credit data, 5 seeds (no peer: both sides are ours).
    Rows: the training compute halving spends (target ≤ 40 % of exhaustive) and the AUC gap to
    the exhaustive best (target ≤ 0.005: the mean over seeds, and the worst)."""
    data = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "credit", "germancredit.csv")
    out = subprocess.run([binary, "navigator", "--data", data, "--seeds", "5", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"| navigator | failed: {out.stderr.strip()[:200]} | | | |")
        return
    r = json.loads(out.stdout)
    report_figure("successive halving vs exhaustive, 27 boosted credit models, 5 seeds: training compute",
                  "halving", "exhaustive", r["compute_ratio"], f"{r['compute_ratio'] * 100:.0f} %", 0.4, at_most=True)
    report_figure("the same: mean AUC gap to the exhaustive best", f"{r['seeds_within_0_005']} of {r['seeds']} seeds within 0.005",
                  f"worst {r['worst_auc_gap']:.4f}", r["mean_auc_gap"], f"{r['mean_auc_gap']:.4f}", 0.005, at_most=True)


def bench_serve_all(binary, args):
    """`lepton-credit serve` and `lepton-scan serve` under wrk (Benchmarks/serve_bench.py)."""
    import serve_bench
    serve_bench.bench_serve(binary, args, PYTHON, report_figure)


BENCHMARKS = {"csv": bench_csv, "png": bench_png, "logistic": bench_logistic, "gbdt": bench_gbdt,
              "credit": bench_credit, "qc": bench_qc, "cnn": bench_cnn, "resnet": bench_resnet, "scan": bench_scan,
              "gemm": bench_gemm, "compress": bench_compress, "navigator": bench_navigator,
              "serve": bench_serve_all}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--datasets", default=os.environ.get("LEPTON_DATASETS", "../shared/datasets"))
    args = parser.parse_args()
    # Both sides let OpenBLAS pick its kernels for this CPU (AVX-512 `Cooperlake` here): an
    # OPENBLAS_CORETYPE in the environment (this machine image pins Haswell) would hold numpy's
    # OpenBLAS and ours to the AVX2 kernels. lepton-bench prints the kernel set it used.
    pinned = os.environ.pop("OPENBLAS_CORETYPE", None)
    if pinned:
        print(f"(run_all.py: OPENBLAS_CORETYPE={pinned} removed from the environment for both sides)", file=sys.stderr)
    print("| benchmark | Lepton | peer | ratio | target |")
    print("|---|---|---|---|---|")
    for name in args.only.split(","):
        BENCHMARKS[name](args.binary, args)


if __name__ == "__main__":
    main()
