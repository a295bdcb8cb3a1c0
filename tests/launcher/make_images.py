"""Small image sets for the launcher tests, written the ways disco reads images.

    python3 make_images.py tiny OUT N
        N random 8x8 RGB PNGs under OUT/000000/ with OUT/dataset.json giving image i the label
        i % 3: a data set for the tiny preset (disco data import --png-folder OUT). Standard
        library only.
    python3 make_images.py export DATA OUT N
        The first N images of DATA (a data set of disco data import; numpy and h5py) as
          OUT/png/       grey PNGs in EDM's seed folders (000000/000000.png, ...)
          OUT/rgb.npz    arr_0 uint8 [N, H, W, 3], grey repeated (the ADM evaluator's form)
          OUT/shifted.npz the same images moved 3 pixels to the right, black coming in
          OUT/two.npz    arr_0 [4, H, W, 2]: a channel count no feature network reads
          OUT/large.npz  arr_0 [4, 64, 64, 1]: larger than the Fashion-MNIST classifier reads
"""
import json
import os
import random
import struct
import sys
import zlib


def write_png(path, rows, width, height, channels):
    """rows: height byte strings of width * channels bytes; 8-bit grey (1) or RGB (3)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every row
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) +
                chunk(b"IEND", b""))


def tiny(out, n):
    folder = os.path.join(out, "000000")
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(3)
    labels = []
    for i in range(n):
        name = f"000000/{i:06d}.png"
        rows = [bytes(rng.randrange(256) for _ in range(8 * 3)) for _ in range(8)]
        write_png(os.path.join(out, name), rows, 8, 8, 3)
        labels.append([name, i % 3])
    with open(os.path.join(out, "dataset.json"), "w") as f:
        json.dump({"labels": labels}, f)


def export(data, out, n):
    import h5py
    import numpy as np

    with h5py.File(os.path.join(data, "shard-00000.h5"), "r") as f:
        images = f["images"][:n]
    count, height, width, channels = images.shape
    assert count == n and channels == 1, images.shape
    for i, image in enumerate(images):
        folder = os.path.join(out, "png", f"{i - i % 1000:06d}")
        os.makedirs(folder, exist_ok=True)
        write_png(os.path.join(folder, f"{i:06d}.png"), [row.tobytes() for row in image[:, :, 0]], width, height, 1)
    rgb = np.repeat(images, 3, axis=3)
    np.savez(os.path.join(out, "rgb.npz"), rgb)
    shifted = np.zeros_like(rgb)
    shifted[:, :, 3:] = rgb[:, :, :-3]
    np.savez(os.path.join(out, "shifted.npz"), shifted)
    np.savez(os.path.join(out, "two.npz"), np.zeros((4, height, width, 2), np.uint8))
    np.savez(os.path.join(out, "large.npz"), np.zeros((4, 64, 64, 1), np.uint8))


if __name__ == "__main__":
    if sys.argv[1] == "tiny":
        tiny(sys.argv[2], int(sys.argv[3]))
    else:
        export(sys.argv[2], sys.argv[3], int(sys.argv[4]))
