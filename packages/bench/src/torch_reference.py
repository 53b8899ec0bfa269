"""PyTorch reference for the selfsup benchmarks: the same model, batch and step, on this CPU.

Prints one JSON line. `step`: one SimCLR step (ResNet-18 CIFAR stem, head 512-512-128, NT-Xent
tau=0.5, SGD) on 2N views; `features`: forward-only pooled features (eval mode, no_grad).
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def resnet18_cifar():
    net = torchvision.models.resnet18()
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Identity()
    return net


def nt_xent(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = z @ z.t() / tau
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["step", "features"], default="step")
    p.add_argument("--batch", type=int, default=256, help="2N views (step) or images (features)")
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    backbone = resnet18_cifar()
    head = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 128))
    views = torch.rand(a.batch, 3, 32, 32)
    if a.mode == "step":
        opt = torch.optim.SGD(list(backbone.parameters()) + list(head.parameters()), lr=0.1, momentum=0.9)
        backbone.train()

        def run():
            opt.zero_grad(set_to_none=True)
            z = head(backbone(views))
            loss = nt_xent(z[: a.batch // 2], z[a.batch // 2 :], 0.5)
            loss.backward()
            opt.step()
            return loss.item()
    else:
        backbone.eval()

        def run():
            with torch.no_grad():
                return backbone(views).sum().item()

    for _ in range(a.warmup):
        run()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    ms = 1000 * sum(times) / len(times)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ms_per_step": ms,
        "views_per_s": a.batch / (ms / 1000),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
