"""Baseline for `pnpm --filter @selfsup/augment bench`: torchvision's per-image PIL pipeline.

The same SimCLR CIFAR transforms as @selfsup/augment's simclrCifar (RandomResizedCrop(32, scale
0.08-1), flip, ColorJitter(0.4, 0.4, 0.4, 0.1) p=0.8, RandomGrayscale(0.2)) plus ToTensor, applied
image by image to PIL images in one process (as one DataLoader worker does), two views per image.
Prints one JSON line: {"views_per_s": ..., "seconds": ..., "views": ..., "torchvision": ...}.
Run with an interpreter that has torchvision (here /usr/bin/python3).
"""
import argparse
import json
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

parser = argparse.ArgumentParser()
parser.add_argument("--batch", type=int, default=512)
parser.add_argument("--size", type=int, default=32)
parser.add_argument("--steps", type=int, default=3)
args = parser.parse_args()

torch.manual_seed(0)
rs = np.random.RandomState(0)
images = [Image.fromarray(rs.randint(0, 256, (args.size, args.size, 3), dtype=np.uint8)) for _ in range(args.batch)]
pipeline = T.Compose([
    T.RandomResizedCrop(args.size, scale=(0.08, 1.0)),
    T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.ToTensor(),
])


def step():
    # Two views of every image, stacked as a training step would.
    return torch.stack([pipeline(img) for img in images]), torch.stack([pipeline(img) for img in images])


step()  # warm-up
start = time.perf_counter()
for _ in range(args.steps):
    step()
seconds = time.perf_counter() - start
views = 2 * args.batch * args.steps
print(json.dumps({"views_per_s": views / seconds, "seconds": seconds, "views": views,
                  "torchvision": torchvision.__version__, "torch_threads": torch.get_num_threads()}))
