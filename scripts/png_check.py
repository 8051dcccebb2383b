"""Checks a browser screenshot of the landing page with the standard library alone: a PNG of the
window's size, mostly white (the page's background), with dark text drawn on it and the
links' blue (#2a5bd7) buttons, so the page and its stylesheet were rendered, not an error page.
Usage: python3 scripts/png_check.py FILE.png"""

import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, color type {color})")
    channels = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, [tuple(r[x : x + 3]) for r in rows for x in range(0, stride, channels)]


def main(path):
    width, height, px = pixels(path)
    white = sum(1 for p in px if min(p) >= 245) / len(px)
    dark = sum(1 for p in px if max(p) <= 80) / len(px)
    blue = sum(1 for r, g, b in px if abs(r - 0x2A) < 24 and abs(g - 0x5B) < 24 and abs(b - 0xD7) < 24)
    print(f"{path}: {width}x{height}, white {white:.2f}, dark text {dark:.3f}, link blue {blue} px")
    ok = (width, height) == (1000, 800) and white > 0.6 and dark > 0.002 and blue > 2000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
