#!/usr/bin/python3
"""Generate the small reference diffusion models used by ingot's tests.

Run with Debian's python (it has torch 1.13, onnx 1.12, numpy 1.24):

    /usr/bin/python3 models/make_models.py                 # all models -> models/
    /usr/bin/python3 models/make_models.py --only dit      # one model
    /usr/bin/python3 models/make_models.py --out /tmp/m    # another output dir
    /usr/bin/python3 models/make_models.py --dit-s2 /tmp/dit_s2   # DiT-S/2 for benchmarks

Each model is written as

    <out>/<name>/model.onnx
    <out>/<name>/inputs/<graph input name>.npy    (float32 / int64, C order)
    <out>/<name>/outputs/<graph output name>.npy  (torch fp32 reference)

The graphs are exported with torch's own exporter (torch.onnx.export,
opset 17) and left as torch emits them.  Everything is seeded, so a rerun
produces the same weights, inputs and outputs (bit-exact on the same machine;
the reference outputs may differ in the last ulp across CPUs / thread counts).

The architectures follow the public reference code closely:
  * DiT        -- facebookresearch/DiT models.py (adaLN-Zero blocks)
  * MMDiT      -- Stability-AI/sd3-ref mmdit.py (joint blocks, qk RMSNorm,
                  pre_only context stream in the last block)
  * inpaint UNet -- a scaled-down LDM/SD "openaimodel" UNet with 9 input
                  channels (latent + mask + masked-image latent)
Deviation on purpose: the adaLN modulation / final layers are NOT
zero-initialised (DiT does that for training); with zeros the whole
network output would be trivially zero and tests could never fail.
"""

import argparse
import collections
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17

# --------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------


def timestep_embedding(t, dim, max_period=10000):
    """Sinusoidal timestep embedding (DiT / SD3 / LDM): cat([cos, sin]).

    t: float32 [B]; computed inside the graph."""
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half
    )
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class TimestepEmbedder(nn.Module):
    """sinusoidal(t) -> Linear -> SiLU -> Linear."""

    def __init__(self, hidden, freq_dim=256):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(
            nn.Linear(freq_dim, hidden, bias=True),
            nn.SiLU(),
            nn.Linear(hidden, hidden, bias=True),
        )

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.freq_dim))


def get_2d_sincos_pos_embed(embed_dim, grid_size):
    """MAE / DiT fixed 2-D sin-cos positional embedding -> [grid*grid, D]."""

    def emb_1d(d, pos):
        omega = np.arange(d // 2, dtype=np.float64) / (d / 2.0)
        omega = 1.0 / 10000 ** omega
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    gh = np.arange(grid_size, dtype=np.float32)
    gw = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(gw, gh)  # w first
    grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
    emb_h = emb_1d(embed_dim // 2, grid[0])
    emb_w = emb_1d(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1).astype(np.float32)


class LayerNormNoAffine(nn.Module):
    """LayerNorm(elementwise_affine=False).

    torch 1.13's opset-17 exporter emits LayerNormalization with an empty
    scale input for a non-affine LayerNorm, which the ONNX checker rejects.
    Passing constant ones/zeros as weight/bias is numerically identical and
    exports as a valid LayerNormalization(x, ones, zeros)."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.register_buffer("ones", torch.ones(dim), persistent=False)
        self.register_buffer("zeros", torch.zeros(dim), persistent=False)

    def forward(self, x):
        return F.layer_norm(x, (self.dim,), self.ones, self.zeros, self.eps)


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Mlp(nn.Module):
    """timm Mlp: Linear -> GELU(tanh) -> Linear."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate="tanh")
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class PatchEmbed(nn.Module):
    """Conv2d(kernel=stride=patch) -> flatten -> [B, N, D]."""

    def __init__(self, patch, in_ch, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch, bias=True)

    def forward(self, x):
        x = self.proj(x)  # B, D, H/p, W/p
        return x.flatten(2).transpose(1, 2)


def unpatchify(x, p, c):
    """[B, T, p*p*c] -> [B, c, H, W] using the DiT einsum."""
    n = x.shape[0]
    h = w = int(math.isqrt(int(x.shape[1])))
    x = x.reshape(n, h, w, p, p, c)
    x = torch.einsum("nhwpqc->nchpwq", x)
    # n is taken before the einsum so the exported output shape stays static
    # (ONNX shape inference gives Einsum outputs rank only).
    return x.reshape(n, c, h * p, w * p)


# --------------------------------------------------------------------------
# DiT
# --------------------------------------------------------------------------


class Attention(nn.Module):
    """timm-style multi-head self-attention, written out with matmul/softmax."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # B, H, N, D
        q = q * self.scale
        attn = q @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class DiTBlock(nn.Module):
    def __init__(self, hidden, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = LayerNormNoAffine(hidden, eps=1e-6)
        self.attn = Attention(hidden, heads)
        self.norm2 = LayerNormNoAffine(hidden, eps=1e-6)
        self.mlp = Mlp(hidden, int(hidden * mlp_ratio))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 6 * hidden, bias=True))

    def forward(self, x, c):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = \
            self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
        return x


class FinalLayer(nn.Module):
    def __init__(self, hidden, patch, out_ch):
        super().__init__()
        self.norm_final = LayerNormNoAffine(hidden, eps=1e-6)
        self.linear = nn.Linear(hidden, patch * patch * out_ch, bias=True)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden, bias=True))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        x = modulate(self.norm_final(x), shift, scale)
        return self.linear(x)


class DiT(nn.Module):
    """Diffusion Transformer (Peebles & Xie), class-conditional."""

    def __init__(self, input_size=16, patch_size=2, in_channels=4, hidden_size=64,
                 depth=2, num_heads=4, mlp_ratio=4.0, num_classes=10,
                 learn_sigma=True, freq_dim=256):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = in_channels * 2 if learn_sigma else in_channels
        self.patch_size = patch_size
        self.x_embedder = PatchEmbed(patch_size, in_channels, hidden_size)
        self.t_embedder = TimestepEmbedder(hidden_size, freq_dim)
        # +1: the classifier-free-guidance "null" class, as in DiT
        self.y_embedder = nn.Embedding(num_classes + 1, hidden_size)
        grid = input_size // patch_size
        self.register_buffer(
            "pos_embed",
            torch.from_numpy(get_2d_sincos_pos_embed(hidden_size, grid)).unsqueeze(0),
            persistent=False,
        )
        self.blocks = nn.ModuleList([DiTBlock(hidden_size, num_heads, mlp_ratio) for _ in range(depth)])
        self.final_layer = FinalLayer(hidden_size, patch_size, self.out_channels)

    def forward(self, x, t, y):
        x = self.x_embedder(x) + self.pos_embed  # B, T, D
        c = self.t_embedder(t) + self.y_embedder(y)
        for blk in self.blocks:
            x = blk(x, c)
        x = self.final_layer(x, c)
        return unpatchify(x, self.patch_size, self.out_channels)


# --------------------------------------------------------------------------
# MMDiT (SD3)
# --------------------------------------------------------------------------


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return x * self.weight


class VectorEmbedder(nn.Module):
    """pooled text vector -> Linear -> SiLU -> Linear."""

    def __init__(self, in_dim, hidden):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))

    def forward(self, y):
        return self.mlp(y)


class SelfAttentionParts(nn.Module):
    """qkv projection with per-head RMSNorm on q and k, and the out projection."""

    def __init__(self, dim, heads, pre_only=False):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.ln_q = RMSNorm(self.head_dim)
        self.ln_k = RMSNorm(self.head_dim)
        self.pre_only = pre_only
        if not pre_only:
            self.proj = nn.Linear(dim, dim)

    def pre_attention(self, x):
        B, L, _ = x.shape
        q, k, v = self.qkv(x).reshape(B, L, 3, self.heads, self.head_dim).unbind(2)  # B,L,H,D
        q = self.ln_q(q).reshape(B, L, -1)
        k = self.ln_k(k).reshape(B, L, -1)
        v = v.reshape(B, L, -1)
        return q, k, v

    def post_attention(self, x):
        return self.proj(x)


class DismantledBlock(nn.Module):
    def __init__(self, hidden, heads, mlp_ratio=4.0, pre_only=False):
        super().__init__()
        self.pre_only = pre_only
        self.norm1 = LayerNormNoAffine(hidden, eps=1e-6)
        self.attn = SelfAttentionParts(hidden, heads, pre_only)
        n_mods = 2 if pre_only else 6
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, n_mods * hidden))
        if not pre_only:
            self.norm2 = LayerNormNoAffine(hidden, eps=1e-6)
            self.mlp = Mlp(hidden, int(hidden * mlp_ratio))

    def pre_attention(self, x, c):
        if self.pre_only:
            shift_msa, scale_msa = self.adaLN_modulation(c).chunk(2, dim=1)
            qkv = self.attn.pre_attention(modulate(self.norm1(x), shift_msa, scale_msa))
            return qkv, None
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = \
            self.adaLN_modulation(c).chunk(6, dim=1)
        qkv = self.attn.pre_attention(modulate(self.norm1(x), shift_msa, scale_msa))
        return qkv, (x, gate_msa, shift_mlp, scale_mlp, gate_mlp)

    def post_attention(self, attn, x, gate_msa, shift_mlp, scale_mlp, gate_mlp):
        x = x + gate_msa.unsqueeze(1) * self.attn.post_attention(attn)
        x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
        return x


def joint_attention(q, k, v, heads, head_dim):
    """q,k,v: [B, L, H*D] -> [B, L, H*D]; plain matmul/softmax."""
    B, L, _ = q.shape
    q, k, v = (z.reshape(B, L, heads, head_dim).transpose(1, 2) for z in (q, k, v))
    attn = (q @ k.transpose(-2, -1)) * (head_dim ** -0.5)
    attn = attn.softmax(dim=-1)
    return (attn @ v).transpose(1, 2).reshape(B, L, heads * head_dim)


class JointBlock(nn.Module):
    def __init__(self, hidden, heads, mlp_ratio=4.0, pre_only=False):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.context_block = DismantledBlock(hidden, heads, mlp_ratio, pre_only=pre_only)
        self.x_block = DismantledBlock(hidden, heads, mlp_ratio, pre_only=False)

    def forward(self, context, x, c):
        c_qkv, c_int = self.context_block.pre_attention(context, c)
        x_qkv, x_int = self.x_block.pre_attention(x, c)
        q, k, v = (torch.cat((c_qkv[i], x_qkv[i]), dim=1) for i in range(3))
        attn = joint_attention(q, k, v, self.heads, self.head_dim)
        n_ctx = context.shape[1]
        c_attn, x_attn = attn[:, :n_ctx], attn[:, n_ctx:]
        if not self.context_block.pre_only:
            context = self.context_block.post_attention(c_attn, *c_int)
        else:
            context = None
        x = self.x_block.post_attention(x_attn, *x_int)
        return context, x


class MMDiT(nn.Module):
    """SD3-style multimodal DiT; the last block's context stream is pre_only."""

    def __init__(self, input_size=16, patch_size=2, in_channels=4, hidden_size=64,
                 depth=2, num_heads=4, mlp_ratio=4.0, context_dim=32, pooled_dim=32,
                 freq_dim=256):
        super().__init__()
        self.patch_size = patch_size
        self.out_channels = in_channels
        self.x_embedder = PatchEmbed(patch_size, in_channels, hidden_size)
        self.t_embedder = TimestepEmbedder(hidden_size, freq_dim)
        self.y_embedder = VectorEmbedder(pooled_dim, hidden_size)
        self.context_embedder = nn.Linear(context_dim, hidden_size)
        grid = input_size // patch_size
        self.register_buffer(
            "pos_embed",
            torch.from_numpy(get_2d_sincos_pos_embed(hidden_size, grid)).unsqueeze(0),
            persistent=False,
        )
        self.joint_blocks = nn.ModuleList([
            JointBlock(hidden_size, num_heads, mlp_ratio, pre_only=(i == depth - 1))
            for i in range(depth)
        ])
        self.final_layer = FinalLayer(hidden_size, patch_size, self.out_channels)

    def forward(self, x, t, context, y):
        x = self.x_embedder(x) + self.pos_embed
        c = self.t_embedder(t) + self.y_embedder(y)
        context = self.context_embedder(context)
        for blk in self.joint_blocks:
            context, x = blk(context, x, c)
        x = self.final_layer(x, c)
        return unpatchify(x, self.patch_size, self.out_channels)


# --------------------------------------------------------------------------
# inpainting UNet
# --------------------------------------------------------------------------


def norm32(ch):
    return nn.GroupNorm(8, ch, eps=1e-5)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, emb_dim):
        super().__init__()
        self.in_layers = nn.Sequential(norm32(in_ch), nn.SiLU(), nn.Conv2d(in_ch, out_ch, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_ch))
        self.out_layers = nn.Sequential(norm32(out_ch), nn.SiLU(), nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Identity() if in_ch == out_ch else nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x, emb):
        h = self.in_layers(x)
        h = h + self.emb_layers(emb)[:, :, None, None]
        h = self.out_layers(h)
        return self.skip(x) + h


class AttnBlock(nn.Module):
    """LDM spatial self-attention: GroupNorm, 1x1 q/k/v convs, softmax, proj, residual."""

    def __init__(self, ch, heads=2):
        super().__init__()
        self.heads = heads
        self.head_dim = ch // heads
        self.scale = self.head_dim ** -0.5
        self.norm = norm32(ch)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Conv2d(ch, ch, 1)
        self.v = nn.Conv2d(ch, ch, 1)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.norm(x)
        d = self.head_dim
        q = self.q(h).reshape(B, self.heads, d, H * W).transpose(2, 3)  # B, h, HW, d
        k = self.k(h).reshape(B, self.heads, d, H * W)                   # B, h, d, HW
        v = self.v(h).reshape(B, self.heads, d, H * W).transpose(2, 3)  # B, h, HW, d
        w = torch.matmul(q, k) * self.scale
        w = F.softmax(w, dim=-1)
        o = torch.matmul(w, v)                                           # B, h, HW, d
        o = o.transpose(2, 3).reshape(B, C, H, W)
        return x + self.proj_out(o)


class InpaintUNet(nn.Module):
    """Two-level UNet; input = cat(noisy latent 4, mask 1, masked-image latent 4)."""

    def __init__(self, ch=32, latent_ch=4, emb_mult=2):
        super().__init__()
        self.ch = ch
        emb = ch * emb_mult
        self.time_embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.conv_in = nn.Conv2d(2 * latent_ch + 1, ch, 3, padding=1)
        # level 0 (full resolution)
        self.down0 = ResBlock(ch, ch, emb)
        self.downsample = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
        # level 1 (half resolution) with attention
        self.down1 = ResBlock(ch, 2 * ch, emb)
        self.down1_attn = AttnBlock(2 * ch)
        # middle
        self.mid1 = ResBlock(2 * ch, 2 * ch, emb)
        self.mid_attn = AttnBlock(2 * ch)
        self.mid2 = ResBlock(2 * ch, 2 * ch, emb)
        # up path
        self.up1 = ResBlock(4 * ch, 2 * ch, emb)       # cat(mid, skip down1)
        self.upsample_conv = nn.Conv2d(2 * ch, 2 * ch, 3, padding=1)
        self.up0 = ResBlock(3 * ch, ch, emb)           # cat(up, skip down0)
        self.out = nn.Sequential(norm32(ch), nn.SiLU(), nn.Conv2d(ch, latent_ch, 3, padding=1))

    def forward(self, x, mask, masked_latent, t):
        emb = self.time_embed(timestep_embedding(t, self.ch))
        h = torch.cat([x, mask, masked_latent], dim=1)
        h = self.conv_in(h)
        h0 = self.down0(h, emb)                            # 16x16, ch
        h = self.downsample(h0)                            # 8x8
        h1 = self.down1_attn(self.down1(h, emb))           # 8x8, 2ch
        h = self.mid2(self.mid_attn(self.mid1(h1, emb)), emb)
        h = self.up1(torch.cat([h, h1], dim=1), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.upsample_conv(h)                          # 16x16, 2ch
        h = self.up0(torch.cat([h, h0], dim=1), emb)
        pred = self.out(h)
        # masked composite: mask==1 marks the region to (re)generate.
        # Keep the known latent outside the mask.  masked_latent is the
        # image latent with the masked region blanked, so outside the mask
        # it equals the original image latent.
        return mask * pred + (1 - mask) * masked_latent


# --------------------------------------------------------------------------
# export helpers
# --------------------------------------------------------------------------


def _save_npy(path, arr):
    arr = np.ascontiguousarray(arr)
    assert arr.dtype in (np.float32, np.int64), arr.dtype
    np.save(path, arr)


def export(name, model, inputs, out_root, dynamic_batch=False, verbose=True):
    """inputs: OrderedDict name -> tensor. Writes model.onnx, inputs/, outputs/."""
    model.eval()
    d = os.path.join(out_root, name)
    os.makedirs(os.path.join(d, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(d, "outputs"), exist_ok=True)
    names = list(inputs.keys())
    args = tuple(inputs[n] for n in names)
    with torch.no_grad():
        out = model(*args)
    out_names = ["out"]
    dyn = None
    if dynamic_batch:
        dyn = {n: {0: "batch"} for n in names + out_names}
    onnx_path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, args, onnx_path,
            input_names=names, output_names=out_names,
            opset_version=OPSET, do_constant_folding=True,
            dynamic_axes=dyn, export_params=True,
        )
    for n in names:
        _save_npy(os.path.join(d, "inputs", n + ".npy"), inputs[n].numpy())
    _save_npy(os.path.join(d, "outputs", "out.npy"), out.numpy().astype(np.float32))
    if verbose:
        print(f"[{name}] wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), "
              f"out {tuple(out.shape)} std={out.std().item():.4f}")
    return d


def check(dir_):
    """onnx.checker + shape inference; returns an op-type histogram."""
    import onnx
    m = onnx.load(os.path.join(dir_, "model.onnx"))
    onnx.checker.check_model(m, full_check=True)
    hist = collections.Counter(n.op_type for n in m.graph.node)
    return m, hist


def describe(m):
    import onnx
    def vi(v):
        tt = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in tt.shape.dim]
        return f"{v.name}: {onnx.TensorProto.DataType.Name(tt.elem_type).lower()} {dims}"
    inits = {i.name for i in m.graph.initializer}
    ins = [vi(v) for v in m.graph.input if v.name not in inits]
    outs = [vi(v) for v in m.graph.output]
    return ins, outs


# --------------------------------------------------------------------------
# model definitions (seeded)
# --------------------------------------------------------------------------


def _dit_inputs(B, num_classes, latent=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, 4, latent, latent, generator=g)
    # spread of realistic timesteps (DDPM 1000 steps), non-integer on purpose
    t = (torch.rand(B, generator=g) * 999.0).float()
    # distinct labels per batch row (index num_classes = the CFG null class)
    y = torch.randperm(num_classes + 1, generator=g)[:B].to(torch.int64)
    return collections.OrderedDict(x=x, t=t, y=y)


def make_dit(out_root, name="dit", B=2, dynamic=False):
    torch.manual_seed(0)
    model = DiT(input_size=16, patch_size=2, in_channels=4, hidden_size=64, depth=2,
                num_heads=4, mlp_ratio=4.0, num_classes=10, learn_sigma=True, freq_dim=64)
    inputs = _dit_inputs(B, 10, seed=1 if not dynamic else 2)
    return export(name, model, inputs, out_root, dynamic_batch=dynamic)


def make_dit_dynamic(out_root):
    return make_dit(out_root, name="dit_dynamic", B=3, dynamic=True)


def make_dit_variant(out_root):
    torch.manual_seed(3)
    model = DiT(input_size=16, patch_size=4, in_channels=4, hidden_size=48, depth=3,
                num_heads=2, mlp_ratio=2.0, num_classes=7, learn_sigma=False, freq_dim=32)
    inputs = _dit_inputs(3, 7, seed=4)
    return export("dit_variant", model, inputs, out_root)


def make_mmdit(out_root):
    torch.manual_seed(5)
    model = MMDiT(input_size=16, patch_size=2, in_channels=4, hidden_size=64, depth=2,
                  num_heads=4, mlp_ratio=4.0, context_dim=32, pooled_dim=32, freq_dim=64)
    # give the RMSNorm weights non-trivial values (they init to ones), and make
    # attention sharper / the text tokens larger, so that the output depends
    # visibly on the text stream (with default init it barely does).
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, RMSNorm):
                mod.weight.copy_(1.5 + 0.3 * torch.randn_like(mod.weight))
        model.context_embedder.weight.mul_(3.0)
    g = torch.Generator().manual_seed(6)
    B = 2
    inputs = collections.OrderedDict(
        x=torch.randn(B, 4, 16, 16, generator=g),
        t=(torch.rand(B, generator=g) * 999.0).float(),
        context=torch.randn(B, 8, 32, generator=g),
        y=torch.randn(B, 32, generator=g),
    )
    return export("mmdit", model, inputs, out_root)


def make_unet_inpaint(out_root):
    torch.manual_seed(7)
    model = InpaintUNet(ch=32, latent_ch=4)
    # non-trivial GroupNorm affine params (they init to 1 / 0)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.GroupNorm):
                mod.weight.copy_(1.0 + 0.1 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
    g = torch.Generator().manual_seed(8)
    B = 2
    latent = torch.randn(B, 4, 16, 16, generator=g)           # clean image latent
    mask = torch.zeros(B, 1, 16, 16)
    mask[0, :, 4:12, 3:10] = 1.0                               # 1 = repaint here
    mask[1, :, 0:8, 8:16] = 1.0
    masked_latent = latent * (1 - mask)                        # known region only
    noise = torch.randn(B, 4, 16, 16, generator=g)
    x = 0.6 * latent + 0.8 * noise                             # noisy latent
    t = torch.tensor([700.25, 120.5], dtype=torch.float32)
    inputs = collections.OrderedDict(x=x, mask=mask, masked_latent=masked_latent, t=t)
    return export("unet_inpaint", model, inputs, out_root)


def make_dit_s2(out_dir):
    """DiT-S/2 (hidden 384, depth 12, 6 heads, patch 2) on a 4x32x32 latent, batch 1."""
    torch.manual_seed(11)
    model = DiT(input_size=32, patch_size=2, in_channels=4, hidden_size=384, depth=12,
                num_heads=6, mlp_ratio=4.0, num_classes=1000, learn_sigma=True, freq_dim=256)
    inputs = _dit_inputs(1, 1000, latent=32, seed=12)
    root, name = os.path.split(os.path.abspath(out_dir))
    return export(name, model, inputs, root)


MODELS = collections.OrderedDict(
    dit=make_dit,
    mmdit=make_mmdit,
    unet_inpaint=make_unet_inpaint,
    dit_dynamic=make_dit_dynamic,
    dit_variant=make_dit_variant,
)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)),
                    help="output root (default: the models/ folder)")
    ap.add_argument("--only", action="append", choices=list(MODELS),
                    help="generate only this model (repeatable)")
    ap.add_argument("--dit-s2", metavar="OUTDIR",
                    help="export a DiT-S/2 model to OUTDIR (for benchmarks) and exit")
    ap.add_argument("--no-check", action="store_true", help="skip onnx.checker, op histogram and numpy evaluation")
    a = ap.parse_args()

    torch.set_num_threads(1)  # most reproducible reference numbers
    if a.dit_s2:
        dirs = [make_dit_s2(a.dit_s2)]
    else:
        dirs = [MODELS[n](a.out) for n in (a.only or MODELS)]
    if a.no_check:
        return 0
    bad = []
    for d in dirs:
        m, hist = check(d)
        ins, outs = describe(m)
        print(f"== {os.path.basename(d)}: checker OK")
        print("   inputs : " + "; ".join(ins))
        print("   outputs: " + "; ".join(outs))
        print("   ops    : " + ", ".join(f"{k} {v}" for k, v in sorted(hist.items())))
        # onnx 1.12 has no onnx.reference and onnxruntime is not available:
        # evaluate the graph with our own small numpy interpreter instead.
        sys.dont_write_bytecode = True  # keep models/ free of __pycache__
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import onnx_ref
        if not onnx_ref.verify_dir(d):
            bad.append(os.path.basename(d))
    if bad:
        print("numpy evaluation MISMATCH for: " + ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
