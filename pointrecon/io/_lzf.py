"""A bounds-checked LZF decompressor (the codec of PCD ``DATA binary_compressed``)."""

from __future__ import annotations

from pathlib import Path

from pointrecon.errors import DataError


def lzf_decompress(path: Path, src: bytes, out_len: int) -> bytes:
    """Decompress ``src`` to exactly ``out_len`` bytes or raise DataError."""
    out = bytearray(out_len)
    ip = op = 0
    n = len(src)
    bad = "corrupt LZF-compressed data"
    while ip < n:
        ctrl = src[ip]
        ip += 1
        if ctrl < 32:  # literal run of ctrl + 1 bytes
            length = ctrl + 1
            if ip + length > n or op + length > out_len:
                raise DataError(path, f"{bad}: literal run past the end")
            out[op : op + length] = src[ip : ip + length]
            ip += length
            op += length
            continue
        length = ctrl >> 5
        ref = op - ((ctrl & 0x1F) << 8) - 1
        if length == 7:
            if ip >= n:
                raise DataError(path, f"{bad}: back-reference past the end")
            length += src[ip]
            ip += 1
        if ip >= n:
            raise DataError(path, f"{bad}: back-reference past the end")
        ref -= src[ip]
        ip += 1
        length += 2
        if ref < 0 or op + length > out_len:
            raise DataError(path, f"{bad}: back-reference out of range")
        dist = op - ref
        if dist >= length:
            out[op : op + length] = out[ref : ref + length]
        else:  # overlapping copy repeats the last `dist` bytes
            chunk = bytes(out[ref:op])
            reps = -(-length // dist)
            out[op : op + length] = (chunk * reps)[:length]
        op += length
    if op != out_len:
        raise DataError(path, f"{bad}: decompressed {op} bytes, expected {out_len}")
    return bytes(out)
