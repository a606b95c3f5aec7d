"""Charts of generated pages drawn to PNG, for the connectors whose targets show pictures.

Rules put a chart in a page as data (:class:`opsync.documents.model.Chart`); drawing it is
a renderer's job, here, with matplotlib's Agg backend (no display needed). matplotlib is the
optional ``opsync[charts]`` extra: without it, :func:`as_text` replaces every chart with its
text and the page keeps its text trend, so a chart is never a reason for a run to fail.

A drawing is deterministic (no timestamp or software version in the file, a fixed size and
font), so the same data gives the same bytes: a file is named after the chart's
fingerprint, and a connector sends it only when that name is new to the page.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterator, Sequence
from functools import cache

from opsync.documents.model import Block, Chart, Document, Region, para, text

#: The drawing's size in pixels: wide enough for 13 weekly labels, readable on a page.
WIDTH, HEIGHT, DPI = 960, 480, 96


@cache
def available() -> bool:
    """Whether matplotlib is installed (the ``charts`` extra)."""
    return importlib.util.find_spec("matplotlib") is not None


def charts(blocks: Sequence[Block]) -> Iterator[Chart]:
    """Every chart in ``blocks``, regions included, in page order."""
    for block in blocks:
        if isinstance(block, Chart):
            yield block
        elif isinstance(block, Region):
            yield from charts(block.children)


def _in_text(blocks: Sequence[Block]) -> tuple[Block, ...]:
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Chart):
            out.append(para(text(block.text, italic=True)))
        elif isinstance(block, Region):
            out.append(block.model_copy(update={"children": _in_text(block.children)}))
        else:
            out.append(block)
    return tuple(out)


def as_text(document: Document) -> Document:
    """``document`` with each chart replaced by its text (no matplotlib, or a target that
    cannot show a picture)."""
    if not any(True for _ in charts(document.children)):
        return document
    return document.model_copy(update={"children": _in_text(document.children)})


def drawable(document: Document) -> Document:
    """``document`` as a target that shows pictures writes it: its charts kept when they can
    be drawn here, else their text."""
    return document if available() else as_text(document)


def draw(chart: Chart) -> bytes:
    """The chart as PNG bytes: one line per series over the labels, gaps where a value is
    missing. Same chart, same bytes."""
    import matplotlib

    matplotlib.use("Agg")  # no display; also the only backend whose output is reproducible
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {"svg.hashsalt": "opsync", "font.family": "DejaVu Sans", "path.simplify": False}
    ):
        figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
        axes = figure.add_subplot()
        positions = list(range(len(chart.labels)))
        for series in chart.series:
            values = [float("nan") if v is None else v for v in series.values]
            axes.plot(positions, values, marker="o", label=series.name)
        axes.set_xticks(positions, list(chart.labels))
        axes.set_title(chart.title)
        if chart.unit:
            axes.yaxis.set_major_formatter(f"{{x:g}}{chart.unit}")
        axes.grid(True, alpha=0.3)
        if chart.series:
            axes.legend(loc="best", fontsize="small")
        figure.tight_layout()
        out = io.BytesIO()
        # No "Software" or creation-time text chunk: the bytes depend on the data alone.
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


__all__ = ["HEIGHT", "WIDTH", "as_text", "available", "charts", "draw", "drawable"]
