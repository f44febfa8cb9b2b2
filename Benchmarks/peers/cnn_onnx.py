"""Peer for `lepton-bench cnn-speed`'s inference figure: ONNX Runtime, fp32, CPU.

Builds cnn-small in PyTorch (cnn_torch.py's definition, seeded weights), exports it with
torch.onnx (dynamic batch axis), and runs it with onnxruntime's CPUExecutionProvider,
intra_op_num_threads = --threads, inter_op_num_threads = 1, all graph optimisations on, at
batch --inference-batch over the standardised images of --train: images/s is the best of 5
passes. Prints one JSON object with images_per_s and peak_rss_mb.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

from cnn_torch import MODELS, load_folder, peak_rss_mb


def export(model, shape, path):
    dummy = torch.zeros((2,) + tuple(shape))
    kwargs = dict(input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}},
                  opset_version=17)
    try:
        torch.onnx.export(model, (dummy,), path, dynamo=False, **kwargs)
    except TypeError:  # older torch without the `dynamo` switch
        torch.onnx.export(model, (dummy,), path, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", default="cnn-small", choices=sorted(MODELS))
    parser.add_argument("--inference-batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    images, _, classes = load_folder(args.train, args.limit)
    x = ((images - images.mean()) / images.std()).astype(np.float32)
    model = MODELS[args.model](x.shape[1], max(2, len(classes))).eval()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        export(model, x.shape[1:], path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    with torch.no_grad():
        reference = model(torch.from_numpy(x[:8])).numpy()
    check = session.run(None, {"x": x[:8]})[0]
    assert np.allclose(reference, check, atol=1e-4), "ONNX Runtime disagrees with PyTorch"
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for s in range(0, len(x), args.inference_batch):
            session.run(None, {"x": x[s:s + args.inference_batch]})
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"tool": f"ONNX Runtime {ort.__version__}", "model": args.model, "threads": args.threads,
                      "inference_batch": args.inference_batch, "images": len(x), "images_per_s": len(x) / best,
                      "peak_rss_mb": peak_rss_mb()}, sort_keys=True))


if __name__ == "__main__":
    main()
