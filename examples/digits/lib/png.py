"""PNG images to and from NumPy arrays, with the standard library's zlib and struct: 8-bit grey, grey+alpha, RGB and
RGBA, not interlaced. Enough for this example; a real image model would use Pillow or its framework's reader, listed
in its requirements.txt."""

import struct
import zlib

import numpy as np

from framework import InputError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channels


def read_png(body: bytes) -> np.ndarray:
    """The image as a height x width x channels uint8 array; InputError (the caller gets 400) when it is not one."""
    if not body.startswith(SIGNATURE):
        raise InputError("the body is not a PNG image")
    chunks, position = {}, len(SIGNATURE)
    while position + 8 <= len(body):
        length, kind = struct.unpack(">I4s", body[position : position + 8])
        chunks[kind] = chunks.get(kind, b"") + body[position + 8 : position + 8 + length]
        position += 12 + length
    try:
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
        raw = zlib.decompress(chunks[b"IDAT"])
    except (KeyError, struct.error, zlib.error) as exc:
        raise InputError(f"the PNG image is damaged: {exc}") from None
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise InputError("only 8-bit, non-interlaced grey or RGB(A) PNG images are supported")
    pixel = _CHANNELS[colour]
    stride = width * pixel
    if len(raw) != height * (stride + 1):
        raise InputError("the PNG image's data is truncated")
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), np.int32)
    previous = np.zeros(stride, np.int32)
    for y in range(height):
        image[y] = previous = _unfilter(rows[y, 0], rows[y, 1:].astype(np.int32), previous, pixel)
    return image.astype(np.uint8).reshape(height, width, pixel)


def write_png(image: np.ndarray) -> bytes:
    """A height x width uint8 array as a grey PNG (no row filter: these images are tiny)."""
    height, width = image.shape
    raw = b"".join(b"\x00" + image[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


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
