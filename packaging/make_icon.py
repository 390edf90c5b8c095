"""Draws the LAP icon: a prescription sheet with a green cross, on a green rounded square.

Writes packaging/linux/lap-app.svg (the source), packaging/linux/lap-app.png (256 px, rendered
from the SVG by Qt) and packaging/windows/lap-app.ico (16..256 px). Re-run after changing it:
    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
GREEN = "#1b7f4b"
DARK_GREEN = "#11613a"

SVG = f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <title>LAP — logiciel d'aide à la prescription</title>
  <rect x="8" y="8" width="240" height="240" rx="44" fill="{GREEN}"/>
  <!-- the ordonnance: a sheet with its top right corner folded -->
  <path d="M64 36 H160 L196 72 V220 H64 Z" fill="#ffffff"/>
  <path d="M160 36 V72 H196 Z" fill="#cfe8da"/>
  <!-- the pharmacy cross -->
  <path d="M112 62 h24 v22 h22 v24 h-22 v22 h-24 v-22 h-22 v-24 h22 z" fill="{GREEN}"/>
  <!-- prescription lines -->
  <rect x="84" y="150" width="92" height="9" rx="4.5" fill="{DARK_GREEN}" opacity="0.55"/>
  <rect x="84" y="170" width="92" height="9" rx="4.5" fill="{DARK_GREEN}" opacity="0.55"/>
  <rect x="84" y="190" width="58" height="9" rx="4.5" fill="{DARK_GREEN}" opacity="0.55"/>
</svg>
"""


def render_png(svg: bytes, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(QByteArray(svg)).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def main() -> None:
    from PIL import Image

    (HERE / "linux").mkdir(exist_ok=True)
    (HERE / "windows").mkdir(exist_ok=True)
    (HERE / "linux" / "lap-app.svg").write_text(SVG, encoding="utf-8")
    png = render_png(SVG.encode("utf-8"), 256)
    (HERE / "linux" / "lap-app.png").write_bytes(png)
    sizes = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    Image.open(io.BytesIO(png)).save(HERE / "windows" / "lap-app.ico", sizes=sizes)


if __name__ == "__main__":
    main()
