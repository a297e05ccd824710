#!/usr/bin/env python3
"""render-html.py FILE.html [MIN_COLOURS] [HEX:MIN_PIXELS...]

Renders FILE.html in headless Chromium and checks what a reader would see:
the screenshot is a real picture (a valid PNG of the window size, with at
least MIN_COLOURS distinct colours, default 8: text, grid, several chart
series) and the page logged no console error (a blocked external resource,
a CSP violation or a script error all log one).

Each HEX:MIN_PIXELS asks that at least MIN_PIXELS of the sampled pixels
have exactly that colour: the report draws its threshold lines, axis titles
and date labels in colours of their own, so that this shows they are on the
screen, not only in the source.

Exit status: 0 pass, 1 fail (reasons on stderr), 77 when chromium is not
installed (the caller reports a skip).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

WIDTH, HEIGHT = 1200, 1600
TIMEOUT_S = 120


def find_chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    return None


def png_pixels(data):
    """Decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium writes):
    returns (width, height, set of colours)."""
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, width = 8, b'', None
    while pos < len(data):
        length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise ValueError(f'unexpected PNG format depth={depth} colour={colour}')
            bpp = 3 if colour == 2 else 4
        elif ctype == b'IDAT':
            idat += body
        elif ctype == b'IEND':
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours = {}
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):  # PNG filters, RFC 2083 section 6
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty
            c = bytes(line[x:x + 3])
            colours[c] = colours.get(c, 0) + 1
        prev = line
    return width, height, colours


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    html = os.path.abspath(sys.argv[1])
    min_colours = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    wanted = [(bytes.fromhex(a.split(':')[0]), int(a.split(':')[1])) for a in sys.argv[3:]]
    chromium = find_chromium()
    if chromium is None:
        print('render-html: chromium is not installed', file=sys.stderr)
        return 77
    with tempfile.TemporaryDirectory(prefix='bounced-render-') as tmp:
        shot = os.path.join(tmp, 'shot.png')
        cmd = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--hide-scrollbars',
               '--user-data-dir=' + os.path.join(tmp, 'profile'),
               '--enable-logging=stderr', '--v=0',
               f'--window-size={WIDTH},{HEIGHT}', '--screenshot=' + shot,
               'file://' + html]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        log = proc.stderr
        failures = []
        # Console messages are logged as "CONSOLE(line)" or ":CONSOLE:";
        # script errors as "Uncaught ...".
        for line in log.splitlines():
            if re.search(r'CONSOLE|Uncaught|Refused to|Content Security Policy', line):
                failures.append('console: ' + line.strip())
        if not os.path.exists(shot):
            failures.append(f'no screenshot (exit status {proc.returncode}): {log[-2000:]}')
        else:
            with open(shot, 'rb') as f:
                data = f.read()
            width, height, colours = png_pixels(data)
            print(f'render-html: {width}x{height}, {len(data)} bytes, '
                  f'{len(colours)} distinct colours (sampled)')
            if (width, height) != (WIDTH, HEIGHT):
                failures.append(f'screenshot is {width}x{height}, not {WIDTH}x{HEIGHT}')
            if len(colours) < min_colours:
                failures.append(f'only {len(colours)} distinct colours: the page looks empty')
            for colour, least in wanted:
                got = colours.get(colour, 0)
                print(f'render-html: #{colour.hex()}: {got} sampled pixels (at least {least})')
                if got < least:
                    failures.append(f'#{colour.hex()} drawn on {got} sampled pixels, '
                                    f'fewer than {least}: not on the screen')
            keep = os.environ.get('BOUNCED_KEEP_SCREENSHOT')
            if keep:
                shutil.copy(shot, keep)
        for f in failures:
            print('render-html: ' + f, file=sys.stderr)
        return 1 if failures else 0


sys.exit(main())
