"""Peer for `lepton-bench compress`'s int8 figure: ONNX Runtime static int8 (QDQ), CPU.

Builds cnn-small in PyTorch (cnn_torch.py's definition, seeded weights) and exports it with
torch.onnx exactly as cnn_onnx.py does (dynamic batch axis, opset 17). Then quantizes it with
onnxruntime.quantization.quantize_static: QDQ format, per-channel int8 weights (QInt8),
static uint8 activations (QUInt8), reduce_range off (the usual CPU setting), activation ranges
calibrated by --calibration (percentile, ORT's default 99.999th, by default, as Lepton's
`compress` does; or minmax) on --calibration-images evenly spaced standardised training images
fed through a CalibrationDataReader. The exported model goes through ORT's quant_pre_process
(shape inference and graph optimisation) first, as ORT's documentation advises.

Both models run on the CPUExecutionProvider with intra_op_num_threads = --threads,
inter_op_num_threads = 1, all graph optimisations on, at batch --inference-batch over the
standardised images of --train; fp32 and int8 passes alternate and each keeps its best of
--passes. The two sessions share ORT's global thread pool (set to those sizes): with a pool
each, the idle session's workers keep spinning after its pass and, on 2 cores, halved the
other's throughput (fp32 28k instead of 55k images/s here).

Prints one JSON object with int8_images_per_s, fp32_images_per_s, int8_speedup_over_fp32,
onnxruntime_version, calibration, threads and batch (and a few more).
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from cnn_onnx import export
from cnn_torch import MODELS, load_folder, peak_rss_mb

METHODS = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile}


class Images(CalibrationDataReader):
    """Hands the calibrator the calibration images as one batch, then None. (One batch: ORT's
    percentile and entropy calibrators stack each tensor's outputs over the batches and fail on
    a short last batch.)"""

    def __init__(self, images):
        self.batches = iter([{"x": images}])

    def get_next(self):
        return next(self.batches, None)


def session(path):
    """A CPU session on the global thread pool (its sizes are set once, in main)."""
    options = ort.SessionOptions()
    options.use_per_session_threads = False
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def one_pass(s, x, batch):
    """Seconds for one pass over x at `batch`."""
    start = time.perf_counter()
    for i in range(0, len(x), batch):
        s.run(None, {"x": x[i:i + batch]})
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--model", default="cnn-small", choices=sorted(MODELS))
    parser.add_argument("--inference-batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calibration", default="percentile", choices=sorted(METHODS))
    parser.add_argument("--calibration-images", type=int, default=512)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    images, _, classes = load_folder(args.train, args.limit)
    x = ((images - images.mean()) / images.std()).astype(np.float32)
    model = MODELS[args.model](x.shape[1], max(2, len(classes))).eval()
    # Evenly spaced over the (class-sorted) images, so both classes are in the calibration set.
    n = min(args.calibration_images, len(x))
    calibration = x[[i * len(x) // n for i in range(n)]]
    with tempfile.TemporaryDirectory() as folder:
        fp32_path = os.path.join(folder, "model.onnx")
        prepared_path = os.path.join(folder, "model-prepared.onnx")
        int8_path = os.path.join(folder, "model-int8.onnx")
        export(model, x.shape[1:], fp32_path)
        quant_pre_process(fp32_path, prepared_path)
        quantize_static(prepared_path, int8_path, Images(calibration), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=False, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=METHODS[args.calibration])
        # intra_op_num_threads = --threads, inter_op_num_threads = 1, for both timed sessions. Set
        # after quantizing: once it is set, every session (ORT's own calibration ones too) must use it.
        ort.set_global_thread_pool_sizes(args.threads, 1)
        fp32 = session(fp32_path)
        int8 = session(int8_path)
        int8_bytes, fp32_bytes = os.path.getsize(int8_path), os.path.getsize(fp32_path)
    # Sanity checks: fp32 ORT matches PyTorch; int8 stays near fp32 (the weights are untrained,
    # so the logits are small and close together; agreement is a check, not a quality figure).
    with torch.no_grad():
        reference = model(torch.from_numpy(x[:256])).numpy()
    check = fp32.run(None, {"x": x[:256]})[0]
    assert np.allclose(reference, check, atol=1e-4), "ONNX Runtime disagrees with PyTorch"
    quantized = int8.run(None, {"x": x[:256]})[0]
    int8_error = float(np.abs(quantized - check).max() / max(1e-12, np.abs(check).max()))
    assert int8_error < 0.2, f"int8 logits off by {int8_error:.3f} of the fp32 range"
    # One warm-up pass each, then alternating fp32 / int8 passes, each keeping its best.
    one_pass(fp32, x, args.inference_batch)
    one_pass(int8, x, args.inference_batch)
    best_fp32, best_int8 = float("inf"), float("inf")
    for _ in range(args.passes):
        best_fp32 = min(best_fp32, one_pass(fp32, x, args.inference_batch))
        best_int8 = min(best_int8, one_pass(int8, x, args.inference_batch))
    print(json.dumps({"tool": f"ONNX Runtime {ort.__version__} int8 (QDQ, static, per-channel)", "model": args.model,
                      "onnxruntime_version": ort.__version__, "calibration": args.calibration,
                      "calibration_images": n, "threads": args.threads, "batch": args.inference_batch,
                      "images": len(x), "int8_images_per_s": len(x) / best_int8, "fp32_images_per_s": len(x) / best_fp32,
                      "int8_speedup_over_fp32": best_fp32 / best_int8, "int8_relative_max_error": int8_error,
                      "bytes_fp32": fp32_bytes, "bytes_int8": int8_bytes, "peak_rss_mb": peak_rss_mb()},
                     sort_keys=True))


if __name__ == "__main__":
    main()
