#!/usr/bin/env python3
"""Makes the vision goldens: image files of every supported format and the real HF processor's outputs for them.

Writes tests/golden/vision/data/:
  images/<case>.<ext>          synthetic images drawn here with PIL (seeded), saved in the case's format; a few
                               PNG/GIF variants PIL cannot write (16-bit RGB, 2-bit gray, Adam7, offset GIF frames)
                               are written by the small encoders below
  expected/<case>.decoded.png  what transformers feeds to the resize: convert_to_rgb(PIL.Image.open(file))
  expected/<case>.resized.png  torchvision.transforms.v2.functional.resize(BICUBIC, antialias=True) of that uint8
                               tensor at the smart_resize size: the processor's input to normalisation
  expected/<case>.pixel_values.f32   full processor pixel_values (little-endian f32) for a few small cases
  expected/resize_sweep.u8     concatenated outputs of the resize sweep (see below)
  cases.json                   per case: sizes, sha256 of decoded/resized/pixel_values bytes, grid_thw, tokens;
                               the smart_resize table; the resize sweep; library versions

The reference is the installed transformers (AutoImageProcessor on a Qwen3-VL preprocessor_config.json, i.e. the
torchvision-backend Qwen2VLImageProcessor) with PIL and torch on the CPU. For every case the script also checks that
normalising + patchifying the resized image (re-implemented here from the spec, section 4.2) reproduces the
processor's pixel_values bit for bit, so the resized fixture is exactly what the processor used.

It also writes the fuzz seed corpora of tests/fuzz/vision/corpus/ (tiny images of each variant, data: URLs).

Run: python3 tools/golden/make_vision_golden.py [--out DIR] [--corpus DIR]   (a few seconds on a CPU)
"""
import argparse
import base64
import hashlib
import io
import json
import math
import pathlib
import random
import shutil
import struct
import tempfile
import zlib

import numpy as np
import PIL
import torch
import torchvision
import transformers
from PIL import Image, ImageDraw
from torchvision.transforms.v2 import functional as tvF
from transformers import AutoImageProcessor
from transformers.image_transforms import convert_to_rgb
from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = 20240613

# Qwen3-VL preprocessor_config.json values (spec section 4.1).
PREPROCESSOR_CONFIG = {
    "image_processor_type": "Qwen2VLImageProcessorFast",
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "merge_size": 2,
    "patch_size": 16,
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"longest_edge": 16777216, "shortest_edge": 65536},
    "temporal_patch_size": 2,
}
NATIVE = {"min_pixels": 4096}
CHECKPOINT = {}  # the preprocessor_config values unchanged
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def sha256(data):
    return hashlib.sha256(bytes(data)).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Synthetic pictures (numpy HxWx3 uint8), all from one seeded generator.


def gradient_shapes(rng, width, height, text=True):
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * xx / max(width - 1, 1)
    g = 255 * yy / max(height - 1, 1)
    b = 128 + 100 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    img = Image.fromarray(np.stack([r, g, b], -1).clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(4, max(5, width // 3))), y0 + int(rng.integers(4, max(5, height // 3)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.integers(0, 2):
            draw.ellipse([x0, y0, x1, y1], fill=color)
        else:
            draw.rectangle([x0, y0, x1, y1], outline=color, width=2)
    if text:
        # Text-like edges: thin dark strokes on a light band.
        band_y = height // 2
        draw.rectangle([0, band_y, width, band_y + max(8, height // 10)], fill=(245, 245, 240))
        for i in range(0, width - 6, 7):
            h = int(rng.integers(3, max(4, height // 12)))
            draw.line([i + 1, band_y + 2, i + 1, band_y + 2 + h], fill=(10, 10, 10), width=1)
            draw.line([i + 1, band_y + 2, i + 4, band_y + 2], fill=(10, 10, 10), width=1)
    return np.array(img)


def noise(rng, width, height):
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def smooth_noise(rng, width, height):
    base = rng.integers(0, 256, (height // 4 + 2, width // 4 + 2, 3), dtype=np.uint8)
    img = Image.fromarray(base, "RGB").resize((width, height), Image.BILINEAR)
    return np.array(img)


def alpha_ramp(width, height):
    yy, xx = np.mgrid[0:height, 0:width]
    return ((xx + yy) * 255 // max(width + height - 2, 1)).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------
# Minimal encoders for variants PIL does not write.


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def pack_row(values, bit_depth):
    """values: 1-D array of samples for one row (already interleaved)."""
    if bit_depth == 16:
        return values.astype(">u2").tobytes()
    if bit_depth == 8:
        return values.astype(np.uint8).tobytes()
    per_byte = 8 // bit_depth
    out = bytearray((len(values) + per_byte - 1) // per_byte)
    for i, v in enumerate(values):
        out[i // per_byte] |= int(v) << (8 - bit_depth * (i % per_byte + 1))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(samples, color_type, bit_depth, palette=None, trns=None, interlace=False):
    """samples: HxWxC integer array (C = channels of color_type). Filter type 0 on every row."""
    height, width = samples.shape[:2]
    flat = samples.reshape(height, width, -1)
    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = flat[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for row in sub:
                raw += b"\x00" + pack_row(row.reshape(-1), bit_depth)
    else:
        for row in flat:
            raw += b"\x00" + pack_row(row.reshape(-1), bit_depth)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += png_chunk(b"IEND", b"")
    return out


def lzw_gif_data(indices, min_code_size):
    """LZW stream that only emits literals, with a clear code often enough that the code width never grows."""
    clear, eoi = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    codes = []
    max_literals = (1 << width) - (1 << min_code_size) - 2 - 4
    for start in range(0, len(indices), max_literals):
        codes.append(clear)
        codes.extend(int(v) for v in indices[start : start + max_literals])
    codes.append(eoi)
    bits, num_bits, out = 0, 0, bytearray()
    for code in codes:
        bits |= code << num_bits
        num_bits += width
        while num_bits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            num_bits -= 8
    if num_bits:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code_size])
    for start in range(0, len(out), 255):
        chunk = out[start : start + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes(blocks + b"\x00")


def write_gif(screen_w, screen_h, frame, left, top, palette, palette_bits, min_code_size, transparency=None):
    """One-frame GIF89a with a global palette; frame: HxW indices placed at (left, top)."""
    out = b"GIF89a" + struct.pack("<HHBBB", screen_w, screen_h, 0x80 | 0x70 | (palette_bits - 1), 0, 0)
    pal = np.zeros((1 << palette_bits, 3), np.uint8)
    pal[: len(palette)] = palette
    out += bytes(pal.reshape(-1))
    if transparency is not None:
        out += b"\x21\xf9\x04" + struct.pack("<BHB", 1, 0, transparency) + b"\x00"
    fh, fw = frame.shape
    out += b"\x2c" + struct.pack("<HHHHB", left, top, fw, fh, 0)
    out += lzw_gif_data(frame.reshape(-1), min_code_size)
    return out + b"\x3b"


# ---------------------------------------------------------------------------------------------------------------
# Cases: name -> (format extension, bytes). Options override the preprocessor config per case.


def pil_bytes(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def build_cases(rng):
    cases = []

    def add(name, ext, data, options=None, store_pixel_values=False, lossless=True):
        # Most format variants use a low min_pixels so that they are resized near their own size (small
        # fixtures); the size cases and a few others keep the checkpoint's values.
        options = dict(NATIVE if options is None else options)
        cases.append(
            dict(name=name, ext=ext, data=data, options=options, store_pixel_values=store_pixel_values,
                 lossless=lossless)
        )

    # JPEG: qualities, chroma subsampling, grayscale, progressive, CMYK.
    odd = Image.fromarray(gradient_shapes(rng, 333, 517))
    add("jpeg_q95_444_odd_333x517", "jpg", pil_bytes(odd, "JPEG", quality=95, subsampling=0), lossless=False,
        options=CHECKPOINT)
    shapes = Image.fromarray(gradient_shapes(rng, 256, 200))
    add("jpeg_q75_420_shapes", "jpg", pil_bytes(shapes, "JPEG", quality=75, subsampling=2), lossless=False,
        options=CHECKPOINT)
    add("jpeg_q90_422_shapes", "jpg", pil_bytes(shapes, "JPEG", quality=90, subsampling=1), lossless=False)
    add("jpeg_q30_420_noise", "jpg", pil_bytes(Image.fromarray(noise(rng, 96, 72)), "JPEG", quality=30,
                                                subsampling=2), lossless=False)
    add("jpeg_q85_progressive", "jpg", pil_bytes(Image.fromarray(smooth_noise(rng, 180, 140)), "JPEG", quality=85,
                                                  progressive=True), lossless=False)
    add("jpeg_gray", "jpg", pil_bytes(Image.fromarray(gradient_shapes(rng, 150, 110)).convert("L"), "JPEG",
                                      quality=90), lossless=False)
    add("jpeg_cmyk", "jpg", pil_bytes(Image.fromarray(gradient_shapes(rng, 90, 70)).convert("CMYK"), "JPEG",
                                      quality=92), lossless=False)
    add("jpeg_small_pixel_values", "jpg", pil_bytes(Image.fromarray(smooth_noise(rng, 50, 70)), "JPEG", quality=90),
        options={"min_pixels": 4096}, store_pixel_values=True, lossless=False)

    # PNG: every colour type, alpha and transparency flavours, bit depths, interlacing.
    add("png_rgb_300x200", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 300, 200)), "PNG"), options=CHECKPOINT)
    sweep = np.zeros((256, 256, 4), np.uint8)
    sweep[..., 0] = np.arange(256)[:, None]
    sweep[..., 1] = 255 - np.arange(256)[:, None]
    sweep[..., 2] = 77
    sweep[..., 3] = np.arange(256)[None, :]
    add("png_rgba_alpha_sweep_256", "png", pil_bytes(Image.fromarray(sweep, "RGBA"), "PNG"), options=CHECKPOINT)
    rgba = np.dstack([gradient_shapes(rng, 190, 130), alpha_ramp(190, 130)])
    add("png_rgba_partial_alpha", "png", pil_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    gray = Image.fromarray(gradient_shapes(rng, 120, 90)).convert("L")
    add("png_gray", "png", pil_bytes(gray, "PNG"))
    la = Image.merge("LA", [gray, Image.fromarray(alpha_ramp(120, 90))])
    add("png_gray_alpha", "png", pil_bytes(la, "PNG"))
    pal_img = Image.fromarray(gradient_shapes(rng, 150, 100)).quantize(64)
    add("png_palette", "png", pil_bytes(pal_img, "PNG"))
    add("png_palette_4bit", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 70, 50)).quantize(16), "PNG",
                                             bits=4))
    trns_alpha = bytes(int(v) for v in np.linspace(0, 255, 64).astype(np.uint8))
    add("png_palette_trns_partial", "png", pil_bytes(pal_img, "PNG", transparency=trns_alpha))
    add("png_palette_trns_single", "png", pil_bytes(pal_img, "PNG", transparency=3))
    rgb_for_trns = gradient_shapes(rng, 80, 60)
    rgb_for_trns[10:30, 10:40] = (12, 34, 56)
    add("png_rgb_trns", "png", pil_bytes(Image.fromarray(rgb_for_trns), "PNG", transparency=(12, 34, 56)))
    gray_trns = np.array(gray)[:60, :80].copy()
    gray_trns[5:25, 5:50] = 99
    add("png_gray_trns", "png", pil_bytes(Image.fromarray(gray_trns), "PNG", transparency=99))
    g16 = (np.linspace(0, 600, 64 * 48).reshape(48, 64)).astype(np.uint16)
    add("png_gray16", "png", write_png(g16[..., None], color_type=0, bit_depth=16))
    rgb16 = (gradient_shapes(rng, 64, 48).astype(np.uint16) * 257 + rng.integers(0, 257, (48, 64, 3))).astype(
        np.uint16)
    add("png_rgb16", "png", write_png(rgb16, color_type=2, bit_depth=16))
    rgba16 = np.dstack([rgb16, (alpha_ramp(64, 48).astype(np.uint16) * 257 + 100).clip(0, 65535)]).astype(np.uint16)
    add("png_rgba16", "png", write_png(rgba16, color_type=6, bit_depth=16))
    add("png_gray_alpha16", "png", write_png(np.dstack([rgb16[..., 0], rgba16[..., 3]]), color_type=4, bit_depth=16))
    for bits in (1, 2, 4):
        levels = rng.integers(0, 1 << bits, (40, 52))
        add(f"png_gray_{bits}bit", "png", write_png(levels[..., None], color_type=0, bit_depth=bits))
    add("png_gray_2bit_trns", "png",
        write_png(rng.integers(0, 4, (40, 52))[..., None], color_type=0, bit_depth=2, trns=struct.pack(">H", 2)))
    add("png_adam7_rgb", "png", write_png(gradient_shapes(rng, 61, 47), color_type=2, bit_depth=8, interlace=True))
    add("png_small_pixel_values", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 64, 64)), "PNG"),
        options={"min_pixels": 4096}, store_pixel_values=True)

    # WebP: lossy and lossless, with and without alpha.
    webp_rgb = Image.fromarray(gradient_shapes(rng, 200, 150))
    add("webp_lossy", "webp", pil_bytes(webp_rgb, "WEBP", quality=80), lossless=False)
    add("webp_lossless", "webp", pil_bytes(Image.fromarray(gradient_shapes(rng, 160, 120)), "WEBP", lossless=True),
        options=CHECKPOINT)
    webp_rgba = Image.fromarray(np.dstack([gradient_shapes(rng, 140, 100), alpha_ramp(140, 100)]), "RGBA")
    add("webp_lossy_alpha", "webp", pil_bytes(webp_rgba, "WEBP", quality=70), lossless=False)
    add("webp_lossless_alpha", "webp", pil_bytes(webp_rgba, "WEBP", lossless=True))

    # GIF: first frame, palettes, transparency, interlacing, an offset first frame, out-of-palette indices.
    gif_img = Image.fromarray(gradient_shapes(rng, 120, 80)).quantize(128)
    add("gif_palette", "gif", pil_bytes(gif_img, "GIF", interlace=False), options=CHECKPOINT)
    add("gif_interlaced", "gif", pil_bytes(gif_img, "GIF", interlace=True))
    add("gif_transparent", "gif", pil_bytes(gif_img, "GIF", transparency=5, interlace=False))
    second = Image.fromarray(noise(rng, 120, 80)).quantize(64)
    add("gif_animated_first_frame", "gif", pil_bytes(gif_img, "GIF", save_all=True, append_images=[second],
                                                      duration=100, loop=0))
    gray_levels = np.array(Image.fromarray(gradient_shapes(rng, 60, 40)).convert("L"))
    add("gif_grayscale", "gif", pil_bytes(Image.fromarray(gray_levels), "GIF"))
    frame = rng.integers(0, 16, (30, 40))
    colors = rng.integers(0, 256, (16, 3))
    add("gif_offset_frame", "gif", write_gif(64, 48, frame, 9, 7, colors, 4, 4))
    add("gif_offset_frame_transparent", "gif", write_gif(64, 48, frame, 9, 7, colors, 4, 4, transparency=2))
    add("gif_index_beyond_palette", "gif", write_gif(32, 24, rng.integers(0, 64, (24, 32)), 0, 0, colors[:4], 2, 6))

    # Sizes: below the minimum, very wide, tall, exactly on the grid, one side on the grid, max_pixels.
    add("png_tiny_20x20", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 20, 20, text=False)), "PNG"),
        options=CHECKPOINT)
    add("png_wide_1000x40", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 1000, 40)), "PNG"),
        options=CHECKPOINT)
    add("png_tall_36x900", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 36, 900)), "PNG"), options=CHECKPOINT)
    add("png_extreme_ratio_3000x16", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 3000, 16, text=False)),
                                                      "PNG"), options=CHECKPOINT)
    add("png_on_grid_256x320", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 256, 320)), "PNG"),
        options=CHECKPOINT)
    add("png_width_on_grid_256x300", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 256, 300)), "PNG"),
        options=CHECKPOINT)
    add("png_max_pixels_640x480", "png", pil_bytes(Image.fromarray(gradient_shapes(rng, 640, 480)), "PNG"),
        options={"max_pixels": 128 * 32 * 32})
    add("png_clip_mean_std", "png", pil_bytes(Image.fromarray(smooth_noise(rng, 96, 64)), "PNG"),
        options={"image_mean": OPENAI_CLIP_MEAN, "image_std": OPENAI_CLIP_STD, "min_pixels": 4096})
    return cases


ERROR_CASES = [
    # Aspect ratio above 200: the processor raises; fovea must return an error.
    ("png_ratio_201x1", lambda rng: pil_bytes(Image.fromarray(noise(rng, 201, 1)), "PNG")),
]


# ---------------------------------------------------------------------------------------------------------------


def patchify_reference(resized_chw, mean, std, rescale_factor, patch, merge, temporal):
    """Spec section 4.2 written out index by index (numpy); normalisation as the torchvision backend fuses it."""
    scale = np.float32(1.0 / rescale_factor)
    mean_s = np.asarray(mean, np.float32) * scale
    std_s = np.asarray(std, np.float32) * scale
    x = (resized_chw.astype(np.float32) - mean_s[:, None, None]) / std_s[:, None, None]
    c, h, w = x.shape
    gh, gw = h // patch, w // patch
    v = x.reshape(c, gh // merge, merge, patch, gw // merge, merge, patch)
    v = v.transpose(1, 4, 2, 5, 0, 3, 6)  # (BH, BW, mh, mw, C, py, px)
    v = np.repeat(v[:, :, :, :, :, None], temporal, axis=5)  # (BH, BW, mh, mw, C, tp, py, px)
    return np.ascontiguousarray(v.reshape(gh * gw, c * temporal * patch * patch)), (1, gh, gw)


def png_of(rgb_hwc):
    return pil_bytes(Image.fromarray(np.ascontiguousarray(rgb_hwc), "RGB"), "PNG", compress_level=9)


def run_case(case, processor_dir, images_dir, expected_dir):
    opts = dict(PREPROCESSOR_CONFIG)
    o = case["options"]
    min_pixels = o.get("min_pixels", opts["size"]["shortest_edge"])
    max_pixels = o.get("max_pixels", opts["size"]["longest_edge"])
    mean = o.get("image_mean", opts["image_mean"])
    std = o.get("image_std", opts["image_std"])
    path = images_dir / f"{case['name']}.{case['ext']}"
    path.write_bytes(case["data"])

    processor = AutoImageProcessor.from_pretrained(processor_dir)
    out = processor(images=Image.open(path), size={"shortest_edge": min_pixels, "longest_edge": max_pixels},
                    image_mean=mean, image_std=std, return_tensors="pt")
    pixel_values = out["pixel_values"].numpy()
    grid = out["image_grid_thw"][0].tolist()

    decoded = convert_to_rgb(Image.open(path), return_numpy=True)
    assert decoded.dtype == np.uint8 and decoded.ndim == 3 and decoded.shape[2] == 3
    height, width = decoded.shape[:2]
    rh, rw = smart_resize(height, width, factor=32, min_pixels=min_pixels, max_pixels=max_pixels)
    tensor = torch.from_numpy(decoded).permute(2, 0, 1).contiguous()[None]
    resized = tvF.resize(tensor, [rh, rw], interpolation=tvF.InterpolationMode.BICUBIC, antialias=True)[0]
    assert resized.dtype == torch.uint8
    resized_np = resized.numpy()
    mine, mine_grid = patchify_reference(resized_np, mean, std, opts["rescale_factor"], 16, 2, 2)
    assert list(mine_grid) == grid, (case["name"], mine_grid, grid)
    assert mine.dtype == pixel_values.dtype == np.float32
    assert np.array_equal(mine.view(np.uint32), pixel_values.view(np.uint32)), case["name"]

    resized_hwc = np.ascontiguousarray(resized_np.transpose(1, 2, 0))
    if not case["lossless"]:
        # Lossy decoders may differ from PIL's build by a little: keep the pixels to measure how much.
        (expected_dir / f"{case['name']}.decoded.png").write_bytes(png_of(decoded))
    (expected_dir / f"{case['name']}.resized.png").write_bytes(png_of(resized_hwc))
    record = {
        "name": case["name"],
        "file": f"images/{path.name}",
        "format": {"jpg": "jpeg"}.get(case["ext"], case["ext"]),
        "lossless": case["lossless"],
        "pil_mode": Image.open(path).mode,
        "options": o,
        "width": width,
        "height": height,
        "decoded_sha256": sha256(decoded.tobytes()),
        "resized_width": rw,
        "resized_height": rh,
        "resized_png": f"expected/{case['name']}.resized.png",
        "resized_sha256": sha256(resized_hwc.tobytes()),
        "grid_thw": grid,
        "num_tokens": grid[0] * grid[1] * grid[2] // 4,
        "pixel_values_shape": list(pixel_values.shape),
        "pixel_values_sha256": sha256(pixel_values.astype("<f4").tobytes()),
    }
    if not case["lossless"]:
        record["decoded_png"] = f"expected/{case['name']}.decoded.png"
    if case["store_pixel_values"]:
        name = f"expected/{case['name']}.pixel_values.f32"
        (expected_dir.parent / name).write_bytes(pixel_values.astype("<f4").tobytes())
        record["pixel_values_file"] = name
    return record


def run_error_case(name, data, processor_dir, images_dir):
    path = images_dir / f"{name}.png"
    path.write_bytes(data)
    processor = AutoImageProcessor.from_pretrained(processor_dir)
    try:
        processor(images=Image.open(path), return_tensors="pt")
    except ValueError as e:
        return {"name": name, "file": f"images/{path.name}", "processor_error": str(e)}
    raise AssertionError(f"{name}: the processor accepted an image it should refuse")


def smart_resize_table(rng):
    """(height, width, factor, min_pixels, max_pixels) -> [h, w] or null where transformers raises."""
    qwen = (32, 65536, 16777216)
    rows = []
    fixed = [
        (1, 1), (1, 200), (1, 201), (200, 1), (201, 1), (20, 20), (31, 31), (32, 32), (48, 48), (80, 80), (16, 16),
        (112, 112), (144, 176), (720, 1280), (1080, 1920), (2160, 3840), (4000, 6000), (517, 333), (40, 1000),
        (1000, 40), (32, 6400), (16, 3000), (100000, 500), (4096, 4096), (4097, 4095), (8192, 8192), (3, 600),
        (2, 401), (65536, 328),
    ]
    for h, w in fixed:
        rows.append((h, w) + qwen)
    # Lowered budgets and other factors (Qwen2-VL's 28), including the max(factor, .) floor branch.
    for h, w in [(640, 480), (40, 8000), (33, 6000), (1, 150), (7, 1399), (999, 1001), (2000, 15)]:
        rows.append((h, w, 32, 4096, 128 * 32 * 32))
        rows.append((h, w, 28, 56 * 56, 28 * 28 * 1280))
        rows.append((h, w, 32, 64 * 32 * 32, 64 * 32 * 32))
    for _ in range(400):
        h = int(rng.integers(1, 5000))
        w = int(max(1, min(20000, round(h * math.exp(rng.uniform(-5.5, 5.5))))))
        factor = int(rng.choice([28, 32]))
        min_pixels = int(rng.choice([4096, 3136, 65536, 128 * 32 * 32]))
        max_pixels = int(rng.choice([16777216, 1003520, 128 * 32 * 32, 256 * 28 * 28, min_pixels]))
        rows.append((h, w, factor, min_pixels, max_pixels))
    table = []
    for h, w, factor, lo, hi in rows:
        try:
            result = list(smart_resize(h, w, factor=factor, min_pixels=lo, max_pixels=hi))
        except ValueError:
            result = None
        table.append({"height": h, "width": w, "factor": factor, "min_pixels": lo, "max_pixels": hi,
                      "result": result})
    return table


def resize_sweep(rng, out_dir):
    """Small sources resized to many sizes (both directions, one side unchanged, large ratios) with tvF.resize."""
    sources = {
        "noise_37x53": noise(rng, 37, 53),
        "shapes_64x48": gradient_shapes(rng, 64, 48, text=True),
        "stripes_300x12": np.repeat(np.repeat(rng.integers(0, 256, (3, 75, 3), dtype=np.uint8), 4, 0), 4, 1),
    }
    targets = {
        "noise_37x53": [(53, 37), (53, 20), (40, 37), (64, 64), (16, 16), (1, 2), (3, 90), (106, 74), (100, 13),
                        (7, 5), (52, 36), (54, 38), (26, 19), (11, 53)],
        "shapes_64x48": [(48, 32), (24, 16), (96, 128), (5, 7), (47, 63), (49, 65), (12, 64), (48, 8)],
        "stripes_300x12": [(12, 100), (12, 3), (2, 300), (30, 7), (1, 299)],
    }
    entries, blob = [], bytearray()
    for name, img in sources.items():
        (out_dir / f"resize_sweep_{name}.png").write_bytes(png_of(img))
        tensor = torch.from_numpy(img).permute(2, 0, 1).contiguous()[None]
        for h, w in targets[name]:
            r = tvF.resize(tensor, [h, w], interpolation=tvF.InterpolationMode.BICUBIC, antialias=True)[0]
            hwc = np.ascontiguousarray(r.numpy().transpose(1, 2, 0))
            entries.append({"source": f"expected/resize_sweep_{name}.png", "source_sha256": sha256(img.tobytes()),
                            "height": h, "width": w, "offset": len(blob), "sha256": sha256(hwc.tobytes())})
            blob += hwc.tobytes()
    (out_dir / "resize_sweep.u8").write_bytes(bytes(blob))
    return {"data": "expected/resize_sweep.u8", "cases": entries}


def write_fuzz_corpus(rng, corpus):
    """Tiny seeds: every decoder variant at 8-24 pixels a side, and data: URLs. Only the seeds are (re)written:
    named regression inputs added next to them by hand stay."""
    for sub in ("jpeg", "png", "webp", "gif", "data_url"):
        (corpus / sub).mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(gradient_shapes(rng, 24, 16, text=False))
    rgba = Image.fromarray(np.dstack([gradient_shapes(rng, 16, 12, text=False), alpha_ramp(16, 12)]), "RGBA")
    seeds = {
        "jpeg/q80_420.jpg": pil_bytes(img, "JPEG", quality=80),
        "jpeg/q95_444.jpg": pil_bytes(img, "JPEG", quality=95, subsampling=0),
        "jpeg/progressive.jpg": pil_bytes(img, "JPEG", progressive=True),
        "jpeg/gray.jpg": pil_bytes(img.convert("L"), "JPEG"),
        "jpeg/cmyk.jpg": pil_bytes(img.convert("CMYK"), "JPEG"),
        "png/rgb.png": pil_bytes(img, "PNG"),
        "png/rgba.png": pil_bytes(rgba, "PNG"),
        "png/palette_trns.png": pil_bytes(img.quantize(8), "PNG", transparency=2),
        "png/gray_2bit.png": write_png(rng.integers(0, 4, (8, 9))[..., None], color_type=0, bit_depth=2),
        "png/rgba16.png": write_png(rng.integers(0, 65536, (6, 7, 4)), color_type=6, bit_depth=16),
        "png/adam7.png": write_png(gradient_shapes(rng, 11, 9, text=False), color_type=2, bit_depth=8, interlace=True),
        "webp/lossy.webp": pil_bytes(img, "WEBP", quality=60),
        "webp/lossless.webp": pil_bytes(img, "WEBP", lossless=True),
        "webp/lossy_alpha.webp": pil_bytes(rgba, "WEBP", quality=60),
        "gif/palette.gif": pil_bytes(img.quantize(16), "GIF"),
        "gif/interlaced_transparent.gif": pil_bytes(img.quantize(16), "GIF", interlace=True, transparency=1),
        "gif/offset_frame.gif": write_gif(12, 10, rng.integers(0, 4, (5, 6)), 3, 2, rng.integers(0, 256, (4, 3)), 2,
                                          2, transparency=1),
    }
    small_png = pil_bytes(Image.fromarray(gradient_shapes(rng, 8, 8, text=False)), "PNG")
    seeds["data_url/png.txt"] = b"data:image/png;base64," + base64.b64encode(small_png)
    seeds["data_url/params.txt"] = b"data:image/jpeg;name=a.jpg;base64," + base64.b64encode(seeds["jpeg/gray.jpg"])
    seeds["data_url/not_base64.txt"] = b"data:image/gif,GIF89a"
    seeds["data_url/bad_char.txt"] = b"data:image/webp;base64,UklG\nRg=="
    for name, data in seeds.items():
        (corpus / name).write_bytes(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "golden" / "vision" / "data"))
    parser.add_argument("--corpus", default=str(ROOT / "tests" / "fuzz" / "vision" / "corpus"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    images_dir, expected_dir = out / "images", out / "expected"
    images_dir.mkdir(parents=True)
    expected_dir.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    random.seed(SEED)
    torch.manual_seed(SEED)

    with tempfile.TemporaryDirectory() as processor_dir:
        (pathlib.Path(processor_dir) / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR_CONFIG))
        processor = AutoImageProcessor.from_pretrained(processor_dir)
        assert type(processor).__name__ == "Qwen2VLImageProcessor", type(processor).__name__
        assert processor.backend == "torchvision"
        records = [run_case(c, processor_dir, images_dir, expected_dir) for c in build_cases(rng)]
        errors = [run_error_case(name, make(rng), processor_dir, images_dir) for name, make in ERROR_CASES]

    manifest = {
        "generator": "tools/golden/make_vision_golden.py",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
                     "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()},
        "preprocessor_config": PREPROCESSOR_CONFIG,
        "cases": records,
        "error_cases": errors,
        "smart_resize": smart_resize_table(rng),
        "resize_sweep": resize_sweep(rng, expected_dir),
    }
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
    write_fuzz_corpus(rng, pathlib.Path(args.corpus))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {len(records)} cases, {len(errors)} error cases to {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
