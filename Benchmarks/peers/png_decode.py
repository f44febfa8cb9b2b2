"""Peer for `lepton-bench png`: Pillow decodes every .png under a folder to float32 gray.

Files are read into memory first; only decoding is timed:
Image.open(BytesIO(data)).convert("L") → float32 numpy array / 255, one thread.
Prints one JSON object (best of --repeat runs), like `lepton-bench png --json`.
"""
import argparse
import io
import json
import os
import time

import numpy as np
import PIL
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(os.path.join(folder, name) for folder, _, names in os.walk(args.dir)
                   for name in names if name.lower().endswith(".png"))
    if not paths:
        raise SystemExit(f"no .png files under {args.dir}")
    contents = [open(path, "rb").read() for path in paths]
    best, checksum, pixels = float("inf"), 0.0, 0
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        total, count = np.float32(0), 0
        for data in contents:
            image = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255
            total += image.reshape(-1)[image.size // 2]
            count += image.size
        best = min(best, time.perf_counter() - start)
        checksum, pixels = float(total), count
    size = sum(len(data) for data in contents)
    print(json.dumps({"tool": f"Pillow {PIL.__version__}", "threads": 1, "images": len(paths), "bytes": size,
                      "pixels": pixels, "seconds": best, "images_per_s": len(paths) / best,
                      "mb_per_s": size / 1e6 / best, "checksum": checksum}, sort_keys=True))


if __name__ == "__main__":
    main()
