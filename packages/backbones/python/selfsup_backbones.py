"""PyTorch twins of selfsup's backbones, for weights exported by `exportTorchWeights` of
@selfsup/backbones or `selfsup export --format torchvision`.

    import selfsup_backbones as sb
    model = sb.load("backbone.safetensors")   # rebuilt from the spec the file records, eval mode
    features = model(images_nchw)             # images in [0, 1], shape [N, 3, H, W]; no normalisation

The ResNets are torchvision's own (`torchvision.models.resnet18` ...) with the classifier
replaced by `Identity()` and, for the CIFAR stem, `conv1 = Conv2d(3, 64, 3, 1, 1, bias=False)`
and `maxpool = Identity()`. Needs torch (and torchvision for the ResNets); reads safetensors
with the `safetensors` package when installed, else with the small reader below.
"""
import json

import torch
from torch import nn
import torch.nn.functional as F


def torchvision_resnet(kind="resnet18", stem="cifar", block=None, layers=None):
    """A torchvision ResNet without its classifier, with selfsup's CIFAR stem if asked."""
    import torchvision
    from torchvision.models import resnet as tv

    if kind == "resnet":
        blocks = {"basic": tv.BasicBlock, "bottleneck": tv.Bottleneck}
        model = tv.ResNet(blocks[block], list(layers))
    else:
        model = getattr(torchvision.models, kind)()
    if stem == "cifar":
        model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    model.fc = nn.Identity()
    return model


class _Stage(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)


class SmallConvnet(nn.Module):
    """selfsup's small convnet: per stage conv 3×3 → BN → ReLU, a 2×2 max-pool between stages,
    then a global average pool. Parameter names `stage1.conv.weight`, `stage1.bn.running_mean`."""

    def __init__(self, widths=(16, 32, 64), in_channels=3):
        super().__init__()
        self.widths = list(widths)
        cin = in_channels
        for i, w in enumerate(self.widths):
            setattr(self, f"stage{i + 1}", _Stage(cin, w))
            cin = w

    def forward(self, x):
        for i in range(len(self.widths)):
            stage = getattr(self, f"stage{i + 1}")
            x = F.relu(stage.bn(stage.conv(x)))
            if i + 1 < len(self.widths):
                x = F.max_pool2d(x, 2, 2)
        return x.mean(dim=(2, 3))


def from_spec(spec):
    """The module a selfsup backbone spec (`backbone.spec`, recorded in exported files) describes."""
    kind = spec["kind"]
    if kind == "small-convnet":
        model = SmallConvnet(spec["widths"], spec.get("inChannels", 3))
    else:
        model = torchvision_resnet(kind, spec["stem"], spec.get("block"), spec.get("layers"))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = spec.get("bnEpsilon", 1e-5)
            m.momentum = spec.get("bnMomentum", 0.1)
    return model


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """(state_dict, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    try:
        from safetensors.torch import load_file

        return load_file(path), metadata
    except ImportError:
        pass
    data = bytearray(raw[8 + n :])
    state = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        t = torch.frombuffer(data[begin:end], dtype=_DTYPES[entry["dtype"]]) if end > begin else torch.empty(0, dtype=_DTYPES[entry["dtype"]])
        state[name] = t.reshape(entry["shape"]).clone()
    return state, metadata


def load(path, spec=None):
    """The backbone of an exported file, weights loaded strictly, in eval mode."""
    state, metadata = read_safetensors(path)
    spec = spec or json.loads(metadata["selfsup_spec"])
    model = from_spec(spec)
    model.load_state_dict(state, strict=True)
    return model.eval()
