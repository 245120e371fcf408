"""Writes test/TestData/torchvision-resize: torchvision's antialiased bilinear resize of a few deterministic images.

Run from this folder with the Debian packages (python3-torch, python3-torchvision, python3-pil):
    /usr/bin/python3 make_resize_golden.py
Each case crops a region of a uint8 image (gradients plus seeded noise), scales it to [0, 1] as float32 and resizes
it with torchvision.transforms.functional.resize(..., BILINEAR, antialias=True) (torchvision's RandomResizedCrop and
evaluation Resize on tensors). As an independent check the script also resizes the same uint8 crop with PIL's
BILINEAR (always antialiased) and asserts the two engines agree within PIL's uint8 rounding.
Writes expected.json (the cases) and resize.safetensors (U8 inputs `<name>.input`, C×H×W; F32 outputs
`<name>.output`, C×h×w in [0, 1]).
"""
import json
import struct

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

# name, channels, source height, width, region (top, left, height, width) or None for the whole image, target height, width
CASES = [
    ("small_37x53_to_16x16", 3, 37, 53, None, 16, 16),
    ("photo_224x300_to_112x112", 1, 224, 300, None, 112, 112),
    ("crop_of_224x300_to_40x56", 1, 224, 300, (17, 31, 150, 201), 40, 56),
    ("shrink_width_grow_height_37x53_to_50x20", 1, 37, 53, None, 50, 20),
    ("enlarge_12x9_to_31x26", 3, 12, 9, None, 31, 26),
    ("exact_halving_20x30_to_10x15", 1, 20, 30, None, 10, 15),
]


def image(seed, channels, height, width):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    planes = []
    for c in range(channels):
        ramp = 255.0 * (0.5 + 0.5 * np.sin(0.07 * (c + 1) * x + 0.11 * y)) * 0.6 + 80.0 * (x + y) / (height + width)
        planes.append(ramp + rng.normal(0, 30, size=(height, width)))
    return np.clip(np.rint(np.stack(planes)), 0, 255).astype(np.uint8)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        dtype = {np.dtype(np.uint8): "U8", np.dtype(np.float32): "F32"}[array.dtype]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    tensors, cases = {}, []
    worst_pil = 0.0
    for seed, (name, channels, height, width, region, th, tw) in enumerate(CASES):
        pixels = image(seed, channels, height, width)
        top, left, rh, rw = region if region else (0, 0, height, width)
        crop = torch.from_numpy(pixels[:, top:top + rh, left:left + rw].copy())
        output = F.resize(crop.float() / 255.0, [th, tw], interpolation=InterpolationMode.BILINEAR, antialias=True)
        tensors[name + ".input"] = pixels
        tensors[name + ".output"] = output.numpy().astype(np.float32)
        for c in range(channels):
            pil = Image.fromarray(crop[c].numpy(), mode="L").resize((tw, th), Image.BILINEAR)
            diff = np.abs(np.asarray(pil, dtype=np.float64) / 255.0 - output[c].double().numpy()).max()
            worst_pil = max(worst_pil, diff)
        cases.append({"name": name, "channels": channels, "height": height, "width": width,
                      "region": [top, left, rh, rw], "target": [th, tw]})
    # PIL rounds to uint8 (half a level) and works in 8-bit fixed point (22 fraction bits): agreement within one level.
    assert worst_pil <= 1.0 / 255.0 + 1e-9, worst_pil
    write_safetensors("resize.safetensors", tensors)
    with open("expected.json", "w") as f:
        json.dump({"generator": "make_resize_golden.py", "torch": torch.__version__, "torchvision": torchvision.__version__,
                   "pil": PIL.__version__, "max_abs_difference_pil_uint8": worst_pil, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases; PIL uint8 vs torchvision float max |diff| = {worst_pil:.6f} ({worst_pil * 255:.3f} levels)")


if __name__ == "__main__":
    main()
