"""PNG in, label out: an image model's shape. Declares an image/png decoder and a text/plain encoder of its own.

The PNG reader is the standard library's zlib and struct (8-bit grey, grey+alpha, RGB, RGBA; not interlaced): a
real algorithm would use Pillow or its framework's reader, listed in its requirements.txt.
"""

import struct
import zlib

import numpy as np

from framework import InputError

_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channels


def read_png(body: bytes) -> np.ndarray:
    """The image as a height x width x channels uint8 array."""
    if not body.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InputError("body is not a PNG image")
    chunks, position = {}, 8
    while position + 8 <= len(body):
        length, kind = struct.unpack(">I4s", body[position : position + 8])
        chunks[kind] = chunks.get(kind, b"") + body[position + 8 : position + 8 + length]
        position += 12 + length
    try:
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
        raw = zlib.decompress(chunks[b"IDAT"])
    except (KeyError, struct.error, zlib.error) as exc:
        raise InputError(f"PNG image is damaged: {exc}") from None
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise InputError("only 8-bit, non-interlaced grey or RGB(A) PNG images are supported")
    pixel = _CHANNELS[colour]
    stride = width * pixel
    if len(raw) != height * (stride + 1):
        raise InputError("PNG image data is truncated")
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), np.int32)
    previous = np.zeros(stride, np.int32)
    for y in range(height):
        line = rows[y, 1:].astype(np.int32)
        image[y] = previous = _unfilter(rows[y, 0], line, previous, pixel)
    return image.astype(np.uint8).reshape(height, width, pixel)


def _unfilter(kind: int, line: np.ndarray, up: np.ndarray, pixel: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 2:
        return (line + up) % 256
    out = line.copy()
    for x in range(len(out)):  # Sub, Average and Paeth depend on the byte just decoded
        left = out[x - pixel] if x >= pixel else 0
        corner = up[x - pixel] if x >= pixel else 0
        if kind == 1:
            out[x] = (out[x] + left) % 256
        elif kind == 3:
            out[x] = (out[x] + (left + up[x]) // 2) % 256
        elif kind == 4:
            guess = left + up[x] - corner
            distances = abs(guess - left), abs(guess - up[x]), abs(guess - corner)
            nearest = (left, up[x], corner)[distances.index(min(distances))]
            out[x] = (out[x] + nearest) % 256
        else:
            raise InputError(f"PNG row filter {kind} does not exist")
    return out


DECODERS = {"image/png": read_png}
ENCODERS = {"text/plain": lambda answer: answer["label"].encode()}


def initialize(model_dir):
    return None


def predict(model, image: np.ndarray) -> dict:
    brightness = float(image[..., : min(3, image.shape[2])].mean())
    return {"label": "bright" if brightness >= 128 else "dark", "size": [image.shape[1], image.shape[0]]}
