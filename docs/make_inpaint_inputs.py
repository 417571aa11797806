#!/usr/bin/python3
"""Writes the inpainting example's input picture and mask (docs/inpaint-input.png,
docs/inpaint-mask.png) and the refused-mask fixtures for tests/e2e/apps.sh.
Deterministic: a rerun gives byte-identical files.  Needs PIL and numpy
(Debian's /usr/bin/python3 has both).

    /usr/bin/python3 docs/make_inpaint_inputs.py
"""
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W, H = 120, 90


def scene():
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.zeros((H, W, 3))
    sky = y / H
    img[..., 0] = 90 + 80 * sky
    img[..., 1] = 150 + 60 * sky
    img[..., 2] = 230 - 20 * sky
    sun = (x - 92) ** 2 + (y - 20) ** 2 < 11 ** 2
    img[sun] = (255, 215, 80)
    hill = y > 58 + 9 * np.sin(x / 13.0)
    img[hill] = np.stack([40 + 0 * x, 120 + 30 * np.cos(x / 7.0), 50 + 0 * x], -1)[hill]
    house = (x >= 22) & (x < 48) & (y >= 44) & (y < 68)
    img[house] = (180, 70, 60)
    roof = (y >= 30) & (y < 44) & (np.abs(x - 35) < (y - 30) * 1.1)
    img[roof] = (110, 50, 40)
    door = (x >= 32) & (x < 38) & (y >= 56) & (y < 68)
    img[door] = (70, 40, 30)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def mask():
    y, x = np.mgrid[0:H, 0:W]
    m = ((x - 35) ** 2 / 20.0 ** 2 + (y - 50) ** 2 / 24.0 ** 2) < 1.0  # over the house
    return np.where(m, 255, 0).astype(np.uint8)


def save(arr, path, mode):
    Image.fromarray(arr, mode).save(path, optimize=False, compress_level=9)


save(scene(), os.path.join(ROOT, "docs", "inpaint-input.png"), "RGB")
save(mask(), os.path.join(ROOT, "docs", "inpaint-mask.png"), "L")
data = os.path.join(ROOT, "tests", "e2e", "apps_data")
os.makedirs(data, exist_ok=True)
# refused masks: soft edges (not binary), RGB, and 16-bit gray
soft = (mask().astype(np.float64) * 0.5 + 64).astype(np.uint8)
save(soft, os.path.join(data, "mask_soft.png"), "L")
save(np.repeat(mask()[..., None], 3, -1), os.path.join(data, "mask_rgb.png"), "RGB")
Image.fromarray(mask().astype(np.uint16) * 257).save(os.path.join(data, "mask_16bit.png"))
# a binary mask of another size than the picture
save(np.where(np.mgrid[0:48, 0:64][1] < 32, 255, 0).astype(np.uint8), os.path.join(data, "mask_64x48.png"), "L")
# a palette image (refused as an input picture)
Image.fromarray(scene(), "RGB").convert("P").save(os.path.join(data, "palette.png"))
