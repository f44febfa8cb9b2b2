"""Peer for `lepton-bench cnn-speed` (and, with --val, `lepton-bench cnn`): PyTorch eager on CPU.

The same networks as Lepton's registry: cnn-small (3×3 convolutions with padding 1: 1→16, ReLU,
2×2 max-pool; 16→32, ReLU, 2×2 max-pool; 32→64, ReLU; global average pool; dense 64→2;
23,426 parameters) and ResNet-18 adapted to small 1-channel images (3×3 stride-1 stem conv →
BN → ReLU, no stem max-pool, BasicBlocks [2, 2, 2, 2] at 64/128/256/512, global average pool,
dense 512→2). The same recipe: Adam (lr 1e-3, β 0.9/0.999, ε 1e-8), softmax cross-entropy,
batch 128, pixels standardised with the training set's mean and standard deviation,
torch.set_num_threads(--threads).

Speed mode (default) trains --epochs epochs without validation and prints one JSON object:
seconds_per_epoch (the best epoch), first_epoch_seconds, images_per_s (inference in eval mode
at --inference-batch, best of --inference-passes passes over the images), peak_rss_mb (VmHWM).
With --val it runs the quality recipe instead (reduce-on-plateau ×0.3 after 2 stale epochs,
early stopping after 6, best epoch by val AUC) and prints val_auc.
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch
from PIL import Image
from torch import nn


def load_folder(root, limit=None):
    """root/<class>/*.png → (N, 1, H, W) float32 in 0..1, labels, class names (sorted)."""
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    files = []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        files += [(os.path.join(folder, f), label) for f in sorted(os.listdir(folder))
                  if f.lower().endswith(".png") and not f.startswith(".")]
    if limit is not None and limit < len(files):
        # Evenly spaced over the sorted files, so every class is represented (Lepton does the same).
        files = [files[i * len(files) // limit] for i in range(limit)]
    images = np.stack([np.asarray(Image.open(p).convert("L"), dtype=np.float32) / 255 for p, _ in files])
    labels = np.array([l for _, l in files], dtype=np.int64)
    return images[:, None, :, :], labels, classes


def cnn_small(channels, outputs):
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, outputs))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet18(channels, outputs):
    layers = [nn.Conv2d(channels, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for width, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(cin, width, stride), BasicBlock(width, width, 1)]
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, outputs)]
    return nn.Sequential(*layers)


MODELS = {"cnn-small": cnn_small, "resnet18": resnet18}


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def auc(labels, scores):
    """ROC AUC with midranks for ties (Mann–Whitney)."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def train_epoch(model, optimizer, x, y, batch, generator):
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x), generator=generator)
    for start in range(0, len(x), batch):
        idx = order[start:start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--val")
    parser.add_argument("--model", default="cnn-small", choices=sorted(MODELS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--inference-batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inference-passes", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images, labels, classes = load_folder(args.train, args.limit)
    mean, std = float(images.mean()), float(images.std())
    x = torch.from_numpy((images - mean) / std)
    y = torch.from_numpy(labels)
    model = MODELS[args.model](x.shape[1], max(2, len(classes)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(args.seed)
    result = {"tool": f"PyTorch {torch.__version__}", "model": args.model, "threads": args.threads,
              "batch_size": args.batch_size, "train_images": len(x),
              "parameters": sum(p.numel() for p in model.parameters())}

    if args.val:
        vimages, vlabels, _ = load_folder(args.val)
        vx = torch.from_numpy((vimages - mean) / std)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.3, patience=2)
        best, best_epoch, stale, times = -1.0, 0, 0, []
        for epoch in range(1, args.epochs + 1):
            start = time.perf_counter()
            train_epoch(model, optimizer, x, y, args.batch_size, generator)
            model.eval()
            with torch.no_grad():
                p = torch.softmax(model(vx), dim=1)[:, 1].numpy()
            value = auc(vlabels, p.astype(np.float64))
            times.append(time.perf_counter() - start)
            scheduler.step(value)
            if value > best:
                best, best_epoch, stale = value, epoch, 0
            else:
                stale += 1
                if stale > 6:
                    break
        result.update({"val_auc": best, "best_epoch": best_epoch, "epochs": len(times),
                       "seconds_per_epoch": sum(times) / len(times), "peak_rss_mb": peak_rss_mb()})
        print(json.dumps(result, sort_keys=True))
        return

    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        train_epoch(model, optimizer, x, y, args.batch_size, generator)
        times.append(time.perf_counter() - start)
    model.eval()
    best_pass = float("inf")
    with torch.no_grad():
        for _ in range(args.inference_passes):
            start = time.perf_counter()
            for s in range(0, len(x), args.inference_batch):
                model(x[s:s + args.inference_batch])
            best_pass = min(best_pass, time.perf_counter() - start)
    result.update({"epochs": args.epochs, "seconds_per_epoch": min(times), "first_epoch_seconds": times[0],
                   "images_per_s": len(x) / best_pass if args.inference_passes > 0 else 0, "inference_batch": args.inference_batch,
                   "peak_rss_mb": peak_rss_mb()})
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
