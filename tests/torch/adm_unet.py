"""A PyTorch twin of disco's ADM U-Net (SPEC Part 3 §3.3, src/models/adm_unet*.c).

Written from the specification and disco's C builder, as a second implementation to check
the C one against: it computes the same function F(c_in x, c_noise, class[, latent tokens])
in NCHW, and its state_dict has EDM's DhariwalUNet names and PyTorch shapes, buffers
included (`<conv>.resample_filter` where a block resamples), so its weights go through the
same converter as EDM's (scripts/edm_export.py, `disco weights import-edm`). Our graph holds
the same names under "model.", as EDMPrecond's state_dict does.

Two layouts are EDM's here and differ in disco (docs/weights.md): conv weights are
[out, in, kh, kw], and the fused qkv projection's 3C outputs are ordered
[head][channel in head][q | k | v].

With latent_dim > 0 each self-attention is followed by disco's cross-attention to latent
tokens (names `<block>.cross_attn.{norm,q,k,v,proj}`), as in include/disco/adm_unet.h: one
group of tokens feeds every such layer; more groups feed only the decoder, one group per
resolution with attention, lowest resolution first.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

PRESETS = {
    # include/disco/adm_unet.h, one entry per adm_unet_<name>() preset.
    "imagenet64": dict(img_resolution=64, in_channels=3, out_channels=3, label_dim=1000, model_channels=192,
                       channel_mult=(1, 2, 3, 4), channel_mult_emb=4, num_blocks=3, attn_resolutions=(32, 16, 8),
                       dropout=0.10, channels_per_head=64),
    "imagenet128": dict(img_resolution=128, in_channels=3, out_channels=3, label_dim=1000, model_channels=128,
                        channel_mult=(1, 2, 4, 16), channel_mult_emb=4, num_blocks=3, attn_resolutions=(64, 32, 16),
                        dropout=0.10, channels_per_head=64),
    "fmnist": dict(img_resolution=32, in_channels=1, out_channels=1, label_dim=10, model_channels=16,
                   channel_mult=(1, 2, 2), channel_mult_emb=4, num_blocks=1, attn_resolutions=(16, 8), dropout=0.0,
                   channels_per_head=32),
    "tiny": dict(img_resolution=8, in_channels=3, out_channels=3, label_dim=3, model_channels=8, channel_mult=(1, 2),
                 channel_mult_emb=2, num_blocks=1, attn_resolutions=(4,), dropout=0.10, channels_per_head=8),
}


def _parameter(shape, init, fan_in, device):
    """EDM's ADM initialisations: 'uniform' is U(±1/sqrt(fan_in)) (kaiming-uniform times
    sqrt(1/3)), for biases too; 'zero' ends residual branches; 'normal' is N(0, 1)."""
    p = nn.Parameter(torch.empty(shape, device=device))
    with torch.no_grad():
        if init == "uniform":
            bound = 1 / math.sqrt(fan_in)
            p.uniform_(-bound, bound)
        elif init == "zero":
            p.zero_()
        else:
            p.normal_()
    return p


class Linear(nn.Module):
    def __init__(self, cin, cout, bias=True, init="uniform", device=None):
        super().__init__()
        self.weight = _parameter((cout, cin), init, cin, device)
        self.bias = _parameter((cout,), init, cin, device) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class GroupNorm(nn.Module):
    """min(32, C/4) groups, eps 1e-5, affine."""

    def __init__(self, channels, device=None):
        super().__init__()
        self.groups = min(32, channels // 4)
        self.weight = nn.Parameter(torch.ones(channels, device=device))
        self.bias = nn.Parameter(torch.zeros(channels, device=device))

    def forward(self, x):
        return F.group_norm(x, self.groups, self.weight, self.bias, eps=1e-5)


class Conv(nn.Module):
    """A kernel x kernel convolution with bias (kernel 0: none), after an optional 2x
    resampling with the [1, 1] filter, kept as the 2x2 buffer `resample_filter` (taps 1/4):
    'down' is its stride-2 depthwise convolution (a 2x2 mean), 'up' its stride-2 transposed
    convolution times 4 (nearest-neighbour)."""

    def __init__(self, cin, cout, kernel, resample=None, init="uniform", device=None):
        super().__init__()
        self.resample = resample
        fan_in = cin * kernel * kernel
        self.weight = _parameter((cout, cin, kernel, kernel), init, fan_in, device) if kernel else None
        self.bias = _parameter((cout,), init, fan_in, device) if kernel else None
        if resample:
            self.register_buffer("resample_filter", torch.full((1, 1, 2, 2), 0.25, device=device))

    def forward(self, x):
        channels = x.shape[1]
        if self.resample == "down":
            x = F.conv2d(x, self.resample_filter.expand(channels, 1, 2, 2), stride=2, groups=channels)
        elif self.resample == "up":
            x = F.conv_transpose2d(x, 4 * self.resample_filter.expand(channels, 1, 2, 2), stride=2, groups=channels)
        if self.weight is not None:
            x = F.conv2d(x, self.weight, self.bias, padding=self.weight.shape[-1] // 2)
        return x


def _attend(q, k, v):
    """q [N, heads, d, Tq], k and v [N, heads, d, Tk] -> [N, heads, d, Tq]."""
    weights = torch.einsum("nhcq,nhck->nhqk", q, k / math.sqrt(q.shape[2])).softmax(dim=-1)
    return torch.einsum("nhqk,nhck->nhcq", weights, v)


class CrossAttention(nn.Module):
    """x + proj(attention(q(GN(x)), k(tokens), v(tokens))); q and proj 1x1 convs, k and v
    linears without bias, proj zero at init."""

    def __init__(self, channels, latent_dim, heads, device=None):
        super().__init__()
        self.heads = heads
        self.norm = GroupNorm(channels, device)
        self.q = Conv(channels, channels, 1, device=device)
        self.k = Linear(latent_dim, channels, bias=False, device=device)
        self.v = Linear(latent_dim, channels, bias=False, device=device)
        self.proj = Conv(channels, channels, 1, init="zero", device=device)

    def forward(self, x, tokens):
        n, c, h, w = x.shape
        d = c // self.heads
        q = self.q(self.norm(x)).reshape(n, self.heads, d, h * w)
        k = self.k(tokens).reshape(n, -1, self.heads, d).permute(0, 2, 3, 1)
        v = self.v(tokens).reshape(n, -1, self.heads, d).permute(0, 2, 3, 1)
        return x + self.proj(_attend(q, k, v).reshape(n, c, h, w))


class Block(nn.Module):
    """EDM's UNetBlock for ADM: adaptive scale/shift from the embedding, skip scale 1, then
    self-attention (heads of channels_per_head) and, given latent_dim, cross-attention."""

    def __init__(self, cin, cout, emb_channels, resample=None, attention=False, channels_per_head=64, dropout=0.0,
                 latent_dim=0, device=None):
        super().__init__()
        self.dropout = dropout
        self.heads = cout // channels_per_head if attention else 0
        self.norm0 = GroupNorm(cin, device)
        self.conv0 = Conv(cin, cout, 3, resample, device=device)
        self.affine = Linear(emb_channels, 2 * cout, device=device)
        self.norm1 = GroupNorm(cout, device)
        self.conv1 = Conv(cout, cout, 3, init="zero", device=device)
        self.skip = None
        if cin != cout or resample:  # a 1x1 conv only where the channels change
            self.skip = Conv(cin, cout, 1 if cin != cout else 0, resample, device=device)
        if self.heads:
            self.norm2 = GroupNorm(cout, device)
            self.qkv = Conv(cout, 3 * cout, 1, device=device)
            self.proj = Conv(cout, cout, 1, init="zero", device=device)
        self.cross_attn = CrossAttention(cout, latent_dim, self.heads, device) if self.heads and latent_dim else None

    def self_attention(self, x):
        n, c, h, w = x.shape
        # EDM's fused layout: output channel (head * d + i) * 3 + j holds q, k, v for j = 0, 1, 2.
        q, k, v = self.qkv(self.norm2(x)).reshape(n, self.heads, c // self.heads, 3, h * w).unbind(3)
        return x + self.proj(_attend(q, k, v).reshape(n, c, h, w))

    def forward(self, x, emb, tokens=None):
        h = self.conv0(F.silu(self.norm0(x)))
        scale, shift = self.affine(emb)[:, :, None, None].chunk(2, dim=1)
        h = F.silu(self.norm1(h) * (scale + 1) + shift)
        h = self.conv1(F.dropout(h, p=self.dropout, training=self.training))
        x = h + (self.skip(x) if self.skip is not None else x)
        if self.heads:
            x = self.self_attention(x)
        if self.cross_attn is not None:
            x = self.cross_attn(x, tokens)
        return x


class AdmUNet(nn.Module):
    """Arguments as AdmUnetConfig (include/disco/adm_unet.h), channel_mult and
    attn_resolutions as sequences; device="meta" builds it without memory."""

    def __init__(self, img_resolution, in_channels, out_channels, label_dim=0, model_channels=192,
                 channel_mult=(1, 2, 3, 4), channel_mult_emb=4, num_blocks=3, attn_resolutions=(32, 16, 8),
                 dropout=0.10, channels_per_head=64, latent_dim=0, latent_groups=1, device=None):
        super().__init__()
        levels = len(channel_mult)
        emb_channels = model_channels * channel_mult_emb
        self.model_channels = model_channels
        self.latent_groups = latent_groups
        self.map_layer0 = Linear(model_channels, emb_channels, device=device)
        self.map_layer1 = Linear(emb_channels, emb_channels, device=device)
        self.map_label = None
        if label_dim:
            self.map_label = Linear(label_dim, emb_channels, bias=False, init="normal", device=device)

        def block(cin, cout, resample=None, attention=False, cross=False):
            return Block(cin, cout, emb_channels, resample, attention, channels_per_head, dropout,
                         latent_dim if cross else 0, device)

        # The encoder pushes every module's output as a skip; one group of tokens reaches its
        # attention layers, the group-hierarchical variant none.
        self.enc = nn.ModuleDict()
        encoder_cross = latent_dim > 0 and latent_groups == 1
        skips, cout = [], in_channels
        for level, mult in enumerate(channel_mult):
            res = img_resolution >> level
            attention = res in attn_resolutions
            if level == 0:
                self.enc[f"{res}x{res}_conv"] = Conv(cout, model_channels * mult, 3, device=device)
                cout = model_channels * mult
            else:
                self.enc[f"{res}x{res}_down"] = block(cout, cout, "down")
            skips.append(cout)
            for i in range(num_blocks):
                self.enc[f"{res}x{res}_block{i}"] = block(cout, model_channels * mult, attention=attention,
                                                          cross=attention and encoder_cross)
                cout = model_channels * mult
                skips.append(cout)

        # The decoder: in0 (attention whatever attn_resolutions says) and in1 at the lowest
        # resolution, an up block above it, then num_blocks + 1 blocks each taking one skip.
        self.dec = nn.ModuleDict()
        self.dec_group = {}  # decoder block name -> the latent group its cross-attention reads
        group = 0
        for level in reversed(range(levels)):
            res = img_resolution >> level
            attention = res in attn_resolutions
            tokens = latent_dim > 0 and (attention or level == levels - 1)
            if level == levels - 1:
                self.dec[f"{res}x{res}_in0"] = block(cout, cout, attention=True, cross=tokens)
                self.dec[f"{res}x{res}_in1"] = block(cout, cout)
            else:
                self.dec[f"{res}x{res}_up"] = block(cout, cout, "up")
            for i in range(num_blocks + 1):
                cin = cout + skips.pop()
                cout = model_channels * channel_mult[level]
                self.dec[f"{res}x{res}_block{i}"] = block(cin, cout, attention=attention, cross=attention and tokens)
            if tokens:
                for name, module in self.dec.items():
                    if name.startswith(f"{res}x{res}_") and module.cross_attn is not None:
                        self.dec_group[name] = 0 if latent_groups == 1 else group
                group += 1
        self.out_norm = GroupNorm(cout, device)
        self.out_conv = Conv(cout, out_channels, 3, init="zero", device=device)

    def embedding(self, noise_labels, class_labels):
        half = self.model_channels // 2
        freqs = (1 / 10000) ** (torch.arange(half, dtype=torch.float32, device=noise_labels.device) / half)
        angles = noise_labels.float()[:, None] * freqs[None, :]
        emb = torch.cat([angles.cos(), angles.sin()], dim=1)  # cos half first
        emb = self.map_layer1(F.silu(self.map_layer0(emb)))
        if self.map_label is not None:
            emb = emb + self.map_label(class_labels)
        return F.silu(emb)

    def forward(self, x, noise_labels, class_labels=None, latents=None):
        """x [N, C, H, W] (c_in-scaled), noise_labels [N] (c_noise), class_labels [N, label_dim]
        one-hot, latents [N, m, latent_dim] or one such tensor per group. Returns F."""
        groups = latents if isinstance(latents, (list, tuple)) else [latents]
        emb = self.embedding(noise_labels, class_labels)
        skips = []
        for name, module in self.enc.items():
            x = module(x) if isinstance(module, Conv) else module(x, emb, groups[0])
            skips.append(x)
        for name, module in self.dec.items():
            if "_block" in name:
                x = torch.cat([x, skips.pop()], dim=1)
            x = module(x, emb, groups[self.dec_group[name]] if name in self.dec_group else None)
        return self.out_conv(F.silu(self.out_norm(x)))


class EdmPrecondStandIn(nn.Module):
    """Holds the U-Net as `model`, as EDM's EDMPrecond does, so that a snapshot pickled
    from it ({'ema': this, ...}) has EDM's structure and its state_dict EDM's "model." names.
    Tests only: the preconditioning itself (SPEC §3.2) is not needed to move weights."""

    def __init__(self, model):
        super().__init__()
        self.model = model
