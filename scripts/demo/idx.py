"""MNIST/Fashion-MNIST IDX files (gzipped), the format the demo data is stored in."""
import gzip
import struct

import numpy as np

# IDX magic numbers: 0x0000 + type code 0x08 (unsigned byte) + number of dimensions.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    magic, = struct.unpack('>I', raw[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        raise ValueError(f'{path}: not an unsigned-byte IDX file (magic {magic:#010x})')
    shape = struct.unpack(f'>{ndim}I', raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_idx(path, array):
    """Writes uint8 images (N, H, W) or labels (N,); mtime 0 keeps the .gz byte-identical across runs."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = IMAGES_MAGIC if array.ndim == 3 else LABELS_MAGIC
    header = struct.pack(f'>I{array.ndim}I', magic, *array.shape)
    with open(path, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', mtime=0, filename='') as f:
        f.write(header + array.tobytes())
