"""Rebuild static/dashboard/favicon.ico from favicon.svg (run from the repository's root):

    .venv/bin/python docs/favicon.py

Chromium draws the SVG at 16, 32 and 48 px; each PNG goes into the ICO file as it is (PNG
entries, which every browser reads), so no image library is needed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

ICON_DIR = Path("static/dashboard")
SIZES = (16, 32, 48)


def png_draw(svg: str, sizes: tuple[int, ...]) -> list[bytes]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        pngs = []
        for size in sizes:
            page = browser.new_page(viewport={"width": size, "height": size})
            style = f"body{{margin:0}}svg{{display:block;width:{size}px;height:{size}px}}"
            page.set_content(f"<style>{style}</style>{svg}")
            pngs.append(page.screenshot(omit_background=True))
            page.close()
        browser.close()
    return pngs


def ico_pack(pngs: list[bytes], sizes: tuple[int, ...]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(pngs))  # reserved, type 1 (icon), image count
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in zip(sizes, pngs, strict=True):
        # width, height (0 means 256), colours, reserved, planes, bits per pixel, size, offset
        entries += struct.pack(
            "<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(images)
        )
        images += png
    return header + entries + images


if __name__ == "__main__":
    svg = (ICON_DIR / "favicon.svg").read_text()
    (ICON_DIR / "favicon.ico").write_bytes(ico_pack(png_draw(svg, SIZES), SIZES))
