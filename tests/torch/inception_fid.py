"""FID's Inception-v3 in plain torch.nn (no torchvision), written from the architecture as
docs/fid_inception.md describes it, for tests/launcher/inception_check.sh; and the fixture that
check compares disco against:

    python3 tests/torch/inception_fid.py OUT_DIR

writes into OUT_DIR
  pytorch_fid.pth   the network's state_dict, random, under pytorch-fid's names (BatchNorm
                    statistics included, plus a 1008-way fc as pytorch-fid's file has)
  nvidia_names.pt   the same function under the names of EDM's TorchScript network
                    (layers.mixed_9.tower_mixed_conv.weight, ...; no BatchNorm scale)
  io.h5             images uint8 [B, H, W, 3] (NHWC, as disco reads them) and the network's
                    features float32 [B, 2048] for them
"""
import os
import sys

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 299
BATCH, HEIGHT, WIDTH = 2, 24, 32  # not square: the resize must take rows and columns each their own way


class ConvUnit(nn.Module):
    """Conv without bias -> eval BatchNorm (eps 0.001, TensorFlow's) -> ReLU."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def same_size_pool(x, kind):
    """The 3x3, stride 1 pool of the A, C and E blocks; the average leaves the padding out."""
    if kind == "max":
        return F.max_pool2d(x, 3, stride=1, padding=1)
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):  # Mixed_5b..5d, 35x35
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = ConvUnit(cin, 64, 1)
        self.branch5x5_1 = ConvUnit(cin, 48, 1)
        self.branch5x5_2 = ConvUnit(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvUnit(cin, 64, 1)
        self.branch3x3dbl_2 = ConvUnit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvUnit(96, 96, 3, padding=1)
        self.branch_pool = ConvUnit(cin, pool_features, 1)

    def forward(self, x):
        five = self.branch5x5_2(self.branch5x5_1(x))
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pool = self.branch_pool(same_size_pool(x, "average"))
        return torch.cat([self.branch1x1(x), five, double, pool], 1)


class BlockB(nn.Module):  # Mixed_6a, 35x35 -> 17x17
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = ConvUnit(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvUnit(cin, 64, 1)
        self.branch3x3dbl_2 = ConvUnit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvUnit(96, 96, 3, stride=2)

    def forward(self, x):
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):  # Mixed_6b..6e, 17x17, factorised 7x7s
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = ConvUnit(cin, 192, 1)
        self.branch7x7_1 = ConvUnit(cin, c7, 1)
        self.branch7x7_2 = ConvUnit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvUnit(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvUnit(cin, c7, 1)
        self.branch7x7dbl_2 = ConvUnit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvUnit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvUnit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvUnit(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvUnit(cin, 192, 1)

    def forward(self, x):
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            double = layer(double)
        pool = self.branch_pool(same_size_pool(x, "average"))
        return torch.cat([self.branch1x1(x), seven, double, pool], 1)


class BlockD(nn.Module):  # Mixed_7a, 17x17 -> 8x8
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = ConvUnit(cin, 192, 1)
        self.branch3x3_2 = ConvUnit(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvUnit(cin, 192, 1)
        self.branch7x7x3_2 = ConvUnit(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvUnit(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvUnit(192, 192, 3, stride=2)

    def forward(self, x):
        three = self.branch3x3_2(self.branch3x3_1(x))
        seven = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            seven = layer(seven)
        return torch.cat([three, seven, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):  # Mixed_7b (average pool), Mixed_7c (max pool), 8x8
    def __init__(self, cin, pool):
        super().__init__()
        self.pool = pool
        self.branch1x1 = ConvUnit(cin, 320, 1)
        self.branch3x3_1 = ConvUnit(cin, 384, 1)
        self.branch3x3_2a = ConvUnit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvUnit(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvUnit(cin, 448, 1)
        self.branch3x3dbl_2 = ConvUnit(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvUnit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvUnit(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvUnit(cin, 192, 1)

    def forward(self, x):
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(three), self.branch3x3_2b(three),
            self.branch3x3dbl_3a(double), self.branch3x3dbl_3b(double),
            self.branch_pool(same_size_pool(x, self.pool)),
        ], 1)


class InceptionFID(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvUnit(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvUnit(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvUnit(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvUnit(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvUnit(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, "average")
        self.Mixed_7c = BlockE(2048, "max")
        self.fc = nn.Linear(2048, 1008)  # in the weights files, unused for features

    def forward(self, images):
        """uint8-valued NCHW RGB of any size -> [B, 2048] pool features."""
        x = images.to(torch.float32)
        b, c, h, w = x.shape
        # Resample to 299x299: identity affine grid shifted by 1/in - 1/299 on each axis.
        theta = torch.tensor([[1.0, 0.0, 1.0 / w - 1.0 / SIZE], [0.0, 1.0, 1.0 / h - 1.0 / SIZE]])
        grid = F.affine_grid(theta.expand(b, 2, 3), [b, c, SIZE, SIZE], align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        x = (x - 128) / 128
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, "Mixed_" + name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def randomised(seed):
    """He-scaled conv weights; BatchNorm statistics far from 1 and 0 (a gamma of 1 or a mean of 0
    would hide a fold that drops it), gammas of both signs."""
    torch.manual_seed(seed)
    net = InceptionFID().eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0, (2.0 / fan_in) ** 0.5)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.normal_(1.0, 0.5)
                module.bias.normal_(0.2, 0.3)
                module.running_mean.normal_(0.1, 0.3)
                module.running_var.uniform_(0.5, 2.0)
    return net


# EDM's TorchScript network (layers.<block>...) names each pytorch-fid layer as follows.
NVIDIA_TRUNK = {"Conv2d_1a_3x3": "conv", "Conv2d_2a_3x3": "conv_1", "Conv2d_2b_3x3": "conv_2",
                "Conv2d_3b_1x1": "conv_3", "Conv2d_4a_3x3": "conv_4"}
NVIDIA_BLOCKS = {"Mixed_5b": "mixed", "Mixed_5c": "mixed_1", "Mixed_5d": "mixed_2", "Mixed_6a": "mixed_3",
                 "Mixed_6b": "mixed_4", "Mixed_6c": "mixed_5", "Mixed_6d": "mixed_6", "Mixed_6e": "mixed_7",
                 "Mixed_7a": "mixed_8", "Mixed_7b": "mixed_9", "Mixed_7c": "mixed_10"}
NVIDIA_BRANCHES = {
    BlockA: {"branch1x1": "conv", "branch5x5_1": "tower.conv", "branch5x5_2": "tower.conv_1",
             "branch3x3dbl_1": "tower_1.conv", "branch3x3dbl_2": "tower_1.conv_1",
             "branch3x3dbl_3": "tower_1.conv_2", "branch_pool": "tower_2.conv"},
    BlockB: {"branch3x3": "conv", "branch3x3dbl_1": "tower.conv", "branch3x3dbl_2": "tower.conv_1",
             "branch3x3dbl_3": "tower.conv_2"},
    BlockC: {"branch1x1": "conv", "branch7x7_1": "tower.conv", "branch7x7_2": "tower.conv_1",
             "branch7x7_3": "tower.conv_2", "branch7x7dbl_1": "tower_1.conv", "branch7x7dbl_2": "tower_1.conv_1",
             "branch7x7dbl_3": "tower_1.conv_2", "branch7x7dbl_4": "tower_1.conv_3",
             "branch7x7dbl_5": "tower_1.conv_4", "branch_pool": "tower_2.conv"},
    BlockD: {"branch3x3_1": "tower.conv", "branch3x3_2": "tower.conv_1", "branch7x7x3_1": "tower_1.conv",
             "branch7x7x3_2": "tower_1.conv_1", "branch7x7x3_3": "tower_1.conv_2", "branch7x7x3_4": "tower_1.conv_3"},
    BlockE: {"branch1x1": "conv", "branch3x3_1": "tower_conv", "branch3x3_2a": "tower_mixed_conv",
             "branch3x3_2b": "tower_mixed_conv_1", "branch3x3dbl_1": "tower_1_conv",
             "branch3x3dbl_2": "tower_1_conv_1", "branch3x3dbl_3a": "tower_1_mixed_conv",
             "branch3x3dbl_3b": "tower_1_mixed_conv_1", "branch_pool": "tower_2_conv"},
}


def nvidia_state_dict(net):
    """The same function in the TorchScript's form: its BatchNorm has no scale, so gamma moves into
    the conv weight and the running mean (g (Wx - m) / s = (gW x - g m) / s)."""
    units = [(NVIDIA_TRUNK[name], getattr(net, name)) for name in NVIDIA_TRUNK]
    for block_name, ours in NVIDIA_BLOCKS.items():
        block = getattr(net, block_name)
        for branch, theirs in NVIDIA_BRANCHES[type(block)].items():
            units.append((f"{ours}.{theirs}", getattr(block, branch)))
    state = {}
    for name, unit in units:
        gamma = unit.bn.weight.detach()
        state[f"layers.{name}.weight"] = unit.conv.weight.detach() * gamma[:, None, None, None]
        state[f"layers.{name}.beta"] = unit.bn.bias.detach().clone()
        state[f"layers.{name}.mean"] = unit.bn.running_mean * gamma
        state[f"layers.{name}.var"] = unit.bn.running_var.clone()
    state["output.weight"] = net.fc.weight.detach().clone()
    state["output.bias"] = net.fc.bias.detach().clone()
    return state


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    net = randomised(11)
    generator = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (BATCH, 3, HEIGHT, WIDTH), dtype=torch.uint8, generator=generator)
    with torch.no_grad():
        features = net(images)
    assert features.abs().max() > 0.1 and (features > 0).float().mean() > 0.2, "the features should not be trivial"
    torch.save(net.state_dict(), os.path.join(out_dir, "pytorch_fid.pth"))
    torch.save(nvidia_state_dict(net), os.path.join(out_dir, "nvidia_names.pt"))
    with h5py.File(os.path.join(out_dir, "io.h5"), "w") as f:
        f["images"] = images.permute(0, 2, 3, 1).contiguous().numpy()
        f["features"] = features.numpy()
    print(f"inception_fid: {BATCH} images {HEIGHT}x{WIDTH}, features in [{features.min():.3g}, "
          f"{features.max():.3g}], files in {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
