#!/usr/bin/env python3
"""Generates the PNG test fixtures of LeptonIOTests once; the outputs are committed.

Run from the repository root:
    python3 -m venv Benchmarks/peers/.venv
    Benchmarks/peers/.venv/bin/pip install pillow numpy
    Benchmarks/peers/.venv/bin/python Tests/LeptonIOTests/Fixtures/png/make_fixtures.py

Real encoders write every image: Pillow (8-bit gray, 16-bit gray, RGB, RGBA, gray+alpha,
palette with and without tRNS) and ImageMagick `convert` (Adam7 interlaced 8- and 16-bit
gray and RGB; 16-bit RGBA; 1-, 2- and 4-bit gray). ImageMagick keeps its default gAMA/cHRM/bKGD/tEXt
chunks on purpose: the decoder must return the stored samples regardless.

For every NAME.png the script writes NAME.json with what was fed to the encoder:
    {"width", "height", "channels", "maxval", "values": [row-major, interleaved],
     "png": {"bitdepth", "colortype", "interlace"}, "encoder"}
`values` are integers on the scale 0...maxval (palette images: the expanded RGB(A) entries).
The script checks each file's IHDR against the intent and reads every image back with
Pillow (16-bit RGB(A) also with a small independent reader, as Pillow keeps 8 bits of
those) to prove the encoder stored exactly those values.

It also writes the malformed inputs (with valid CRCs where the point is to get past them):
huge_ihdr.png (100000 x 100000), zero_width.png, corrupt_idat.png (scrambled deflate data with
valid CRCs), random.bin, empty.png. Truncated files and flipped CRC bytes are made by the
tests from the good files.
"""
import json
import os
import random
import struct
import subprocess
import tempfile
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def ihdr(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return width, height, depth, ctype, interlace


def raw_samples(path):
    """A minimal independent PNG reader (zlib + unfiltering + Adam7) for 16-bit images,
    whose full precision Pillow does not keep for RGB: the stored samples, row-major."""
    data = open(path, "rb").read()
    width, height, depth, ctype, interlace = ihdr(path)
    assert depth == 16 and ctype in (0, 2, 6)
    channels = {0: 1, 2: 3, 6: 4}[ctype]
    bpp = 2 * channels
    stream = zlib.decompress(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))
    out = np.zeros((height, width, channels), dtype=np.int64)
    passes = ([(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
               (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)])
    at = 0
    for x0, y0, dx, dy in passes:
        pw, ph = len(range(x0, width, dx)), len(range(y0, height, dy))
        if pw == 0 or ph == 0:
            continue
        previous = bytearray(pw * bpp)
        for row in range(ph):
            kind, line = stream[at], bytearray(stream[at + 1:at + 1 + pw * bpp])
            at += 1 + pw * bpp
            for i in range(len(line)):
                a = line[i - bpp] if i >= bpp else 0
                b, c = previous[i], previous[i - bpp] if i >= bpp else 0
                if kind == 1: line[i] = (line[i] + a) & 255
                elif kind == 2: line[i] = (line[i] + b) & 255
                elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            out[y0 + row * dy, x0::dx][:pw] = np.frombuffer(bytes(line), ">u2").reshape(pw, channels)
            previous = line
    return out.reshape(-1)


def record(name, values, maxval, encoder, expect):
    """Writes NAME.json and checks the PNG header and Pillow's read-back."""
    path = os.path.join(HERE, name + ".png")
    values = fed = np.asarray(values)
    height, width = values.shape[:2]
    channels = 1 if values.ndim == 2 else values.shape[2]
    w, h, depth, ctype, interlace = ihdr(path)
    assert (w, h) == (width, height), (name, w, h)
    assert (depth, ctype, interlace) == expect, (name, depth, ctype, interlace, expect)
    back = Image.open(path)
    if ctype == 3:
        back = back.convert("RGBA" if channels == 4 else "RGB")
    back = np.asarray(back)
    if depth == 16 and channels >= 3:  # Pillow keeps only the high byte of 16-bit RGB(A)
        assert np.array_equal(raw_samples(path), values.reshape(-1).astype(np.int64)), name
        values = values >> 8
    if depth < 8 and ctype == 0:  # Pillow opens 1-bit as bool, 2/4-bit scaled to 0...255
        back = np.round(back.astype(np.float64) * maxval / (1 if back.dtype == bool else 255))
    assert np.array_equal(back.astype(np.int64), values.astype(np.int64)), name
    values = np.asarray(fed)
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"width": width, "height": height, "channels": channels, "maxval": maxval,
                   "encoder": encoder,
                   "png": {"bitdepth": depth, "colortype": ctype, "interlace": interlace},
                   "values": values.reshape(-1).tolist()}, f, separators=(",", ":"))
        f.write("\n")


def pillow(name, array, mode, expect, **save):
    image = Image.fromarray(array)
    assert image.mode == mode, (name, image.mode)
    image.save(os.path.join(HERE, name + ".png"), **save)
    maxval = 65535 if array.dtype == np.uint16 else 255
    record(name, array, maxval, "pillow", expect)


def imagemagick(name, array, maxval, depth, ctype, interlace):
    """Feeds ImageMagick a PGM/PPM with exactly these samples."""
    height, width = array.shape[:2]
    dtype = ">u2" if maxval > 255 else "u1"
    if array.ndim == 3 and array.shape[2] == 4:
        header = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 4\nMAXVAL {maxval}\nTUPLTYPE RGB_ALPHA\nENDHDR\n"
    else:
        header = f"{'P5' if array.ndim == 2 else 'P6'}\n{width} {height}\n{maxval}\n"
    with tempfile.NamedTemporaryFile(suffix=".pnm", delete=False) as f:
        f.write(header.encode() + array.astype(dtype).tobytes())
        source = f.name
    try:
        subprocess.run(["convert", source, "-define", f"png:bit-depth={depth}",
                        "-define", f"png:color-type={ctype}",
                        "-interlace", "PNG" if interlace else "none",
                        os.path.join(HERE, name + ".png")], check=True)
    finally:
        os.unlink(source)
    record(name, array, maxval, "imagemagick", (depth, ctype, 1 if interlace else 0))



def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data):
    at, out = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        out.append((data[at + 4:at + 8], data[at + 8:at + 8 + length]))
        at += 12 + length
    return out


def ramp(h, w, c=None, maxval=255):
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(0, maxval + 1, size=shape)


# --- Pillow --------------------------------------------------------------------------------
pillow("gray8", ramp(7, 13).astype(np.uint8), "L", (8, 0, 0))
gray16 = ramp(9, 11, maxval=65535).astype(np.uint16)
gray16[0, :4] = [0, 1, 65534, 65535]
pillow("gray16", gray16, "I;16", (16, 0, 0))
pillow("rgb8", ramp(11, 17, 3).astype(np.uint8), "RGB", (8, 2, 0))
rgba = ramp(13, 9, 4).astype(np.uint8)
rgba[0, :3, 3] = [0, 255, 128]
pillow("rgba8", rgba, "RGBA", (8, 6, 0))
gray_alpha = ramp(7, 15, 2).astype(np.uint8)
gray_alpha[0, :3, 1] = [0, 255, 1]
pillow("gray_alpha8", gray_alpha, "LA", (8, 4, 0))

palette = np.array([[0, 0, 0], [255, 255, 255], [200, 30, 40], [10, 220, 90],
                    [5, 6, 250], [128, 128, 0], [77, 12, 199]], dtype=np.uint8)
indices = rng.integers(0, len(palette), size=(5, 19)).astype(np.uint8)
image = Image.frombytes("P", (indices.shape[1], indices.shape[0]), indices.tobytes())
image.putpalette(palette.reshape(-1).tolist())
image.save(os.path.join(HERE, "palette.png"))  # Pillow packs 7 colours in 4 bits
record("palette", palette[indices], 255, "pillow", (4, 3, 0))

alphas = np.array([255, 0, 128, 64, 255, 1, 254], dtype=np.uint8)
image = Image.frombytes("P", (indices.shape[1], indices.shape[0]), indices.tobytes())
image.putpalette(palette.reshape(-1).tolist())
image.save(os.path.join(HERE, "palette_trns.png"), transparency=alphas.tobytes())
record("palette_trns", np.concatenate([palette, alphas[:, None]], axis=1)[indices], 255,
       "pillow", (4, 3, 0))

# --- ImageMagick ---------------------------------------------------------------------------
imagemagick("gray8_adam7", ramp(17, 23), 255, 8, 0, True)
gray16i = ramp(15, 21, maxval=65535)
gray16i[1, :3] = [1, 65534, 257]
imagemagick("gray16_adam7", gray16i, 65535, 16, 0, True)
imagemagick("rgb8_adam7", ramp(13, 19, 3), 255, 8, 2, True)
imagemagick("rgb16_adam7", ramp(11, 9, 3, maxval=65535), 65535, 16, 2, True)
rgba16 = ramp(7, 9, 4, maxval=65535)
rgba16[..., 3] = rng.integers(40000, 65536, size=(7, 9))
rgba16[0, :3, 3] = [0, 65535, 32768]
imagemagick("rgba16", rgba16, 65535, 16, 6, False)
imagemagick("gray1", ramp(9, 21, maxval=1), 1, 1, 0, False)
imagemagick("gray2", ramp(5, 7, maxval=3), 3, 2, 0, False)
imagemagick("gray4", ramp(11, 13, maxval=15), 15, 4, 0, False)
imagemagick("gray4_adam7", ramp(9, 11, maxval=15), 15, 4, 0, True)

# --- Malformed inputs ----------------------------------------------------------------------
signature = b"\x89PNG\r\n\x1a\n"
good = open(os.path.join(HERE, "gray8.png"), "rb").read()
idat = b"".join(body for kind, body in chunks(good) if kind == b"IDAT")


def with_header(width, height):
    return (signature + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


open(os.path.join(HERE, "huge_ihdr.png"), "wb").write(with_header(100000, 100000))
open(os.path.join(HERE, "zero_width.png"), "wb").write(with_header(0, 7))
broken = bytearray(idat)
for i in range(4, len(broken) - 6, 3):  # keep the zlib header, scramble the deflate stream
    broken[i] ^= 0x5A
open(os.path.join(HERE, "corrupt_idat.png"), "wb").write(
    signature + b"".join(chunk(kind, bytes(broken) if kind == b"IDAT" else body)
                         for kind, body in chunks(good)))
random.seed(7)
open(os.path.join(HERE, "random.bin"), "wb").write(bytes(random.randrange(256) for _ in range(200)))
open(os.path.join(HERE, "empty.png"), "wb").close()
for name in ("huge_ihdr", "zero_width", "corrupt_idat"):
    try:
        Image.open(os.path.join(HERE, name + ".png")).load()
        if name != "huge_ihdr":
            raise SystemExit(f"{name}: Pillow decoded it; the fixture is not broken")
    except SystemExit:
        raise
    except Exception:
        pass
print("fixtures written to", HERE)
