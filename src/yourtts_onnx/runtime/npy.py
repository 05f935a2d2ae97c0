"""Reading ``.npy`` files we did not necessarily write (speaker tables, voice embeddings) without trusting them.

``np.load`` allocates what the header declares before it reads a byte of data: a 192-byte file declaring
10¹³ elements is an allocation of 40 TB (a ``MemoryError``, or the machine swapping). Here the file must be a
regular file within a size limit, its header is parsed first, and its dtype (floating point, no objects),
element count and exact size (header + data == the file's size) are checked before the data is read.
Any problem is a ``ValueError`` with a one-line reason; callers wrap it in their own error naming the file.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

FLOAT_KINDS = "f"


def read_float_npy(
    path: str | os.PathLike[str], *, max_elements: int, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """The floating-point array in ``path`` (as stored: float16/32/64), checked before it is read.

    ``max_elements``: the most values accepted; ``shape``: the exact shape expected, when known."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("not a regular file")
    with open(p, "rb") as fh:
        try:
            version = npy_format.read_magic(fh)
            if version == (1, 0):
                dims, fortran, dtype = npy_format.read_array_header_1_0(fh, max_header_size=10_000)
            elif version in ((2, 0), (3, 0)):
                dims, fortran, dtype = npy_format.read_array_header_2_0(fh, max_header_size=10_000)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except (ValueError, EOFError, SyntaxError, TypeError) as exc:
            raise ValueError(
                f"not a valid .npy file ({str(exc).splitlines()[0] if str(exc) else exc})"
            ) from None
        if dtype.hasobject or dtype.kind not in FLOAT_KINDS or dtype.subdtype is not None:
            raise ValueError(f"holds {dtype}, not floating-point numbers")
        count = math.prod(dims)
        if shape is not None and tuple(dims) != tuple(shape):
            raise ValueError(f"expected shape {list(shape)}, the header declares {list(dims)}")
        if count > max_elements:
            raise ValueError(f"the header declares {count} values; at most {max_elements} are accepted")
        expected = fh.tell() + count * dtype.itemsize
        if st.st_size != expected:
            raise ValueError(f"is {st.st_size} bytes; its header declares {expected}")
        data = fh.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError("changed while it was read")
    array = np.frombuffer(bytearray(data), dtype=dtype, count=count)  # writable, like np.load
    return array.reshape(dims, order="F" if fortran else "C")
