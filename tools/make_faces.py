#!/usr/bin/env python3
"""Generate Hymy's smiley-face artwork.

One geometry, two renderers:

* PNG via Pillow: every shape is drawn as an 8-bit coverage mask at
  ``SUPERSAMPLE`` x the target size, composited, then the whole image is
  downsampled with LANCZOS for crisp antialiased edges.
* SVG: the very same shapes written out as hand-readable SVG elements
  (circles, ellipses, cubic/quadratic Bezier paths), for the web dashboard.

Coordinates are in a 512 x 512 design space (SVG ``viewBox="0 0 512 512"``).

Usage (from the repository root)::

    .venv/bin/python tools/make_faces.py            # writes assets/faces/*, assets/icon.png
    .venv/bin/python tools/make_faces.py --out DIR  # faces into DIR (icon stays in assets/)

Output is deterministic; re-run after changing the geometry and commit the
results. Which faces each scale uses is documented in faces/README.md.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path as FilePath  # Path is the SVG shape below

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ASSETS = FilePath(__file__).resolve().parents[1] / "assets"

DESIGN = 512  # design-space size (SVG viewBox)
FACE_PX = 512  # PNG face size
ICON_PX = 256  # app icon size
SUPERSAMPLE = 4

INK = "#3E2723"  # eyes, brows, mouth (dark warm brown)
TONGUE = "#EF7A7A"
WHITE = "#FFFFFF"

# Face centre/radius leave room below for the soft drop shadow.
CX, CY, R = 256.0, 246.0, 214.0
RIM = 10.0  # darker outline ring width
SHADOW_DY, SHADOW_BLUR, SHADOW_OPACITY = 11.0, 9.0, 0.24

EYE_Y = 212.0
EYE_DX = 74.0  # eye centre distance from the vertical axis


# --------------------------------------------------------------------------
# Geometry primitives
# --------------------------------------------------------------------------


@dataclass
class Shape:
    fill: str | None = None
    stroke: str | None = None
    width: float = 0.0  # stroke width (round caps and joins)
    opacity: float = 1.0
    blur: float = 0.0  # Gaussian blur std-dev, design units
    clip: Shape | None = None  # clip to this shape's fill area
    name: str | None = None  # used for SVG ids of clip paths


@dataclass
class Ellipse(Shape):
    cx: float = 0.0
    cy: float = 0.0
    rx: float = 0.0
    ry: float = 0.0


@dataclass
class Path(Shape):
    # list of commands: ("M", x, y) ("L", x, y) ("Q", x1, y1, x, y)
    # ("C", x1, y1, x2, y2, x, y) ("Z",)
    d: tuple = ()


def circle(cx, cy, r, **kw) -> Ellipse:
    return Ellipse(cx=cx, cy=cy, rx=r, ry=r, **kw)


def mix(c1: str, c2: str, t: float) -> str:
    """Linear blend of two #RRGGBB colours, t=0 -> c1, t=1 -> c2."""
    a = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------
# The five faces
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceSpec:
    level: int
    label: str
    color: str


FACES = {
    1: FaceSpec(1, "Very dissatisfied", "#D32F2F"),
    2: FaceSpec(2, "Dissatisfied", "#F57C00"),
    3: FaceSpec(3, "Neutral", "#FBC02D"),
    4: FaceSpec(4, "Satisfied", "#7CB342"),
    5: FaceSpec(5, "Very satisfied", "#2E7D32"),
}

# Which face files each scale shows is FACE_ART in sync/i18n.py (kiosk and dashboard).


def dot_eyes(rx=22.0, ry=31.0, y=EYE_Y) -> list[Shape]:
    shapes: list[Shape] = []
    for sx in (-1, 1):
        ex = CX + sx * EYE_DX
        shapes.append(Ellipse(cx=ex, cy=y, rx=rx, ry=ry, fill=INK))
        # small catch-light, upper right of each pupil: friendly, "alive"
        shapes.append(circle(ex + rx * 0.32, y - ry * 0.38, rx * 0.3, fill=WHITE, opacity=0.9))
    return shapes


def brows(
    outer_y: float, inner_y: float, *, inner_x=38.0, outer_x=124.0, arch=-6.0, width=18.0
) -> list[Shape]:
    """Two mirrored eyebrows; inner_y > outer_y means angry (V), < means worried."""
    shapes: list[Shape] = []
    for sx in (-1, 1):
        ox, ix = CX + sx * outer_x, CX + sx * inner_x
        mx, my = (ox + ix) / 2, (outer_y + inner_y) / 2 + arch
        shapes.append(
            Path(d=(("M", ox, outer_y), ("Q", mx, my, ix, inner_y)), stroke=INK, width=width)
        )
    return shapes



def open_mouth(*commands: tuple) -> Path:
    """An open mouth: a closed outline filled with the ink colour."""
    return Path(d=(*commands, ("Z",)), fill=INK, stroke=INK, width=14, name="mouth")


def face_shapes(level: int) -> list[Shape]:
    spec = FACES[level]
    base = spec.color
    rim = mix(base, "#000000", 0.2)
    shapes: list[Shape] = [
        # soft drop shadow
        circle(CX, CY + SHADOW_DY, R - 2, fill="#000000", opacity=SHADOW_OPACITY, blur=SHADOW_BLUR),
        # darker rim, then the face itself
        circle(CX, CY, R, fill=rim),
        circle(CX, CY, R - RIM, fill=base),
    ]

    if level == 1:
        # very dissatisfied: angry V brows, open deep frown
        shapes += brows(outer_y=140, inner_y=170, arch=-4, width=20)
        shapes += dot_eyes(ry=27, y=EYE_Y + 4)
        shapes.append(open_mouth(
            ("M", 176, 388),
            ("C", 178, 332, 216, 308, 256, 308),
            ("C", 296, 308, 334, 332, 336, 388),
            ("C", 300, 376, 212, 376, 176, 388),
        ))
    elif level == 2:
        # dissatisfied: slightly worried brows, gentle frown
        shapes += brows(outer_y=158, inner_y=146, inner_x=46, outer_x=118, arch=-3, width=16)
        shapes += dot_eyes()
        shapes.append(Path(d=(("M", 190, 362), ("Q", 256, 318, 322, 362)), stroke=INK, width=20))
    elif level == 3:
        # neutral: plain eyes, straight mouth
        shapes += dot_eyes()
        shapes.append(Path(d=(("M", 196, 348), ("L", 316, 348)), stroke=INK, width=20))
    elif level == 4:
        # satisfied: plain eyes, clear smile
        shapes += dot_eyes()
        shapes.append(Path(d=(("M", 176, 322), ("Q", 256, 404, 336, 322)), stroke=INK, width=20))
    elif level == 5:
        # very satisfied: closed "^" happy eyes, big open smile with tongue
        for sx in (-1, 1):
            ex = CX + sx * EYE_DX
            shapes.append(
                Path(
                    d=(("M", ex - 34, EYE_Y + 14), ("Q", ex, EYE_Y - 54, ex + 34, EYE_Y + 14)),
                    stroke=INK,
                    width=20,
                )
            )
        mouth = open_mouth(
            ("M", 152, 296),
            ("C", 200, 310, 312, 310, 360, 296),
            ("C", 356, 386, 306, 428, 256, 428),
            ("C", 206, 428, 156, 386, 152, 296),
        )
        shapes.append(mouth)
        shapes.append(Ellipse(cx=256, cy=424, rx=66, ry=46, fill=TONGUE, clip=mouth))
    else:
        raise ValueError(level)
    return shapes


# --------------------------------------------------------------------------
# PNG renderer (Pillow, supersampled)
# --------------------------------------------------------------------------


def _flatten(d, k: float, steps: int = 96) -> list[list[tuple[float, float]]]:
    """Path commands -> list of polylines (in pixels, design * k)."""
    subpaths: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    x = y = sx = sy = 0.0
    for cmd in d:
        op = cmd[0]
        if op == "M":
            if cur:
                subpaths.append(cur)
            x, y = cmd[1], cmd[2]
            sx, sy = x, y
            cur = [(x, y)]
        elif op == "L":
            x, y = cmd[1], cmd[2]
            cur.append((x, y))
        elif op == "Q":
            x1, y1, x2, y2 = cmd[1:]
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                cur.append(
                    (
                        u * u * x + 2 * u * t * x1 + t * t * x2,
                        u * u * y + 2 * u * t * y1 + t * t * y2,
                    )
                )
            x, y = x2, y2
        elif op == "C":
            x1, y1, x2, y2, x3, y3 = cmd[1:]
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                cur.append(
                    (
                        u**3 * x + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                        u**3 * y + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                    )
                )
            x, y = x3, y3
        elif op == "Z":
            cur.append((sx, sy))
            x, y = sx, sy
        else:
            raise ValueError(op)
    if cur:
        subpaths.append(cur)
    return [[(px * k, py * k) for px, py in sp] for sp in subpaths]


def _fill_mask(shape: Shape, size: int, k: float) -> Image.Image:
    m = Image.new("L", (size, size), 0)
    dr = ImageDraw.Draw(m)
    if isinstance(shape, Ellipse):
        dr.ellipse(
            (
                (shape.cx - shape.rx) * k,
                (shape.cy - shape.ry) * k,
                (shape.cx + shape.rx) * k,
                (shape.cy + shape.ry) * k,
            ),
            fill=255,
        )
    else:
        for sp in _flatten(shape.d, k):
            dr.polygon(sp, fill=255)
    return m


def _stroke_mask(shape: Shape, size: int, k: float) -> Image.Image:
    m = Image.new("L", (size, size), 0)
    dr = ImageDraw.Draw(m)
    w = shape.width * k
    r = w / 2
    if isinstance(shape, Ellipse):
        dr.ellipse(
            (
                (shape.cx - shape.rx) * k - r,
                (shape.cy - shape.ry) * k - r,
                (shape.cx + shape.rx) * k + r,
                (shape.cy + shape.ry) * k + r,
            ),
            fill=255,
        )
        dr.ellipse(
            (
                (shape.cx - shape.rx) * k + r,
                (shape.cy - shape.ry) * k + r,
                (shape.cx + shape.rx) * k - r,
                (shape.cy + shape.ry) * k - r,
            ),
            fill=0,
        )
        return m
    for sp in _flatten(shape.d, k):
        dr.line(sp, fill=255, width=max(1, round(w)))
        for px, py in sp:  # round joins and caps
            dr.ellipse((px - r, py - r, px + r, py + r), fill=255)
    return m


def _paint(canvas: Image.Image, mask: Image.Image, color: str, shape: Shape, k: float):
    if shape.blur:
        mask = mask.filter(ImageFilter.GaussianBlur(shape.blur * k))
    if shape.clip is not None:
        mask = ImageChops.multiply(mask, _fill_mask(shape.clip, canvas.width, k))
    if shape.opacity < 1:
        mask = mask.point(lambda v: round(v * shape.opacity))
    layer = Image.new("RGBA", canvas.size, color)
    layer.putalpha(mask)
    canvas.alpha_composite(layer)


def render_png(shapes: list[Shape], px: int) -> Image.Image:
    size = px * SUPERSAMPLE
    k = size / DESIGN
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for s in shapes:
        if s.fill:
            _paint(canvas, _fill_mask(s, size, k), s.fill, s, k)
        if s.stroke and s.width:
            _paint(canvas, _stroke_mask(s, size, k), s.stroke, s, k)
    return canvas.resize((px, px), Image.Resampling.LANCZOS)


# --------------------------------------------------------------------------
# SVG writer
# --------------------------------------------------------------------------


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _d(d) -> str:
    out = []
    for cmd in d:
        out.append(cmd[0] + (" " + " ".join(_n(v) for v in cmd[1:]) if len(cmd) > 1 else ""))
    return " ".join(out)


def _geom(shape: Shape) -> tuple[str, str]:
    if isinstance(shape, Ellipse):
        if shape.rx == shape.ry:
            return "circle", f'cx="{_n(shape.cx)}" cy="{_n(shape.cy)}" r="{_n(shape.rx)}"'
        return "ellipse", (
            f'cx="{_n(shape.cx)}" cy="{_n(shape.cy)}" rx="{_n(shape.rx)}" ry="{_n(shape.ry)}"'
        )
    return "path", f'd="{_d(shape.d)}"'


def render_svg(level: int, shapes: list[Shape]) -> str:
    spec = FACES[level]
    prefix = f"hymy-face-{level}"
    defs: list[str] = []
    body: list[str] = []
    clip_ids: dict[int, str] = {}
    blur_ids: dict[float, str] = {}
    for s in shapes:
        tag, geom = _geom(s)
        attrs = [geom]
        if s.fill:
            attrs.append(f'fill="{s.fill}"')
        else:
            attrs.append('fill="none"')
        if s.stroke and s.width:
            attrs.append(
                f'stroke="{s.stroke}" stroke-width="{_n(s.width)}" '
                'stroke-linecap="round" stroke-linejoin="round"'
            )
        if s.opacity < 1:
            attrs.append(f'opacity="{_n(s.opacity)}"')
        if s.blur:
            if s.blur not in blur_ids:
                fid = f"{prefix}-shadow"
                blur_ids[s.blur] = fid
                defs.append(
                    f'<filter id="{fid}" x="-20%" y="-20%" width="140%" height="140%">'
                    f'<feGaussianBlur stdDeviation="{_n(s.blur)}"/></filter>'
                )
            attrs.append(f'filter="url(#{blur_ids[s.blur]})"')
        if s.clip is not None:
            key = id(s.clip)
            if key not in clip_ids:
                cid = f"{prefix}-{s.clip.name or 'clip'}"
                clip_ids[key] = cid
                ctag, cgeom = _geom(s.clip)
                defs.append(f'<clipPath id="{cid}"><{ctag} {cgeom}/></clipPath>')
            attrs.append(f'clip-path="url(#{clip_ids[key]})"')
        body.append(f"  <{tag} {' '.join(attrs)}/>")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- Hymy face {level}: {spec.label}. Generated by tools/make_faces.py; "
        "edit the geometry there, not here. -->",
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512" '
        f'role="img" aria-labelledby="{prefix}-title">',
        f'  <title id="{prefix}-title">{spec.label}</title>',
    ]
    if defs:
        lines.append("  <defs>")
        lines += [f"    {x}" for x in defs]
        lines.append("  </defs>")
    lines += body
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        type=FilePath,
        default=ASSETS / "faces",
        help="directory for face-N.png / face-N.svg (default: assets/faces)",
    )
    ap.add_argument("--no-icon", action="store_true", help="do not write assets/icon.png")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for level in FACES:
        shapes = face_shapes(level)
        render_png(shapes, FACE_PX).save(args.out / f"face-{level}.png", optimize=True)
        (args.out / f"face-{level}.svg").write_text(render_svg(level, shapes), encoding="utf-8")
        print(f"wrote {args.out / f'face-{level}.png'} and .svg")
    if not args.no_icon:
        render_png(face_shapes(5), ICON_PX).save(ASSETS / "icon.png", optimize=True)
        print(f"wrote {ASSETS / 'icon.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
