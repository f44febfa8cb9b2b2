"""Peer for `lepton-scan classify`: PNG files in, a CSV of (path, probability, decision, flag) out.

The same work as ours, end to end: find the PNGs under --input (recursively, sorted), decode
each with Pillow to gray in 0..1, standardise, run cnn-small (cnn_torch.py's definition, seeded
weights) at batch --batch with PyTorch eager or ONNX Runtime fp32 (--runtime), softmax, and write
every row to --output. Decoding and inference share the process's --threads. Prints one JSON
object: images_per_second (files found to CSV closed), read, peak_rss_mb, tool.
"""
import argparse
import csv
import json
import os
import tempfile
import time

import numpy as np
import torch
from PIL import Image

from cnn_torch import MODELS, peak_rss_mb


def find_pngs(root):
    found = []
    for folder, _, files in os.walk(root):
        found += [os.path.join(folder, f) for f in files if f.lower().endswith(".png") and not f.startswith(".")]
    return sorted(found)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--runtime", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=28)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS["cnn-small"](1, 2).eval()
    if args.runtime == "onnx":
        import onnxruntime as ort
        from cnn_onnx import export
        path = os.path.join(tempfile.mkdtemp(), "cnn.onnx")
        export(model, (1, args.size, args.size), path)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        infer = lambda x: session.run(None, {"x": x})[0]
        tool = f"Pillow + ONNX Runtime {ort.__version__}"
    else:
        def infer(x):
            with torch.no_grad():
                return model(torch.from_numpy(x)).numpy()
        tool = f"Pillow + PyTorch {torch.__version__}"
    mean, std, threshold = 0.5, 0.25, 0.5

    start = time.perf_counter()
    files = find_pngs(args.input)
    read = 0
    with open(args.output, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["path", "probability", "decision", "flag"])
        for b in range(0, len(files), args.batch):
            batch = files[b:b + args.batch]
            images = []
            for p in batch:
                image = Image.open(p).convert("L")
                if image.size != (args.size, args.size):
                    image = image.resize((args.size, args.size), Image.BOX)
                images.append(np.asarray(image, dtype=np.float32))
            x = ((np.stack(images)[:, None] / 255 - mean) / std).astype(np.float32)
            logits = infer(x)
            z = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(z)[:, 1] / np.exp(z).sum(axis=1)
            for path, prob in zip(batch, p):
                decision = "positive" if prob >= threshold else "negative"
                flag = "borderline" if abs(prob - threshold) < 0.05 else decision
                writer.writerow([path, f"{prob:.6f}", decision, flag])
            read += len(batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": tool, "read": read, "seconds": seconds, "images_per_second": read / seconds,
                      "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
