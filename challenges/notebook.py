"""Write minimal Jupyter notebooks (nbformat 4 JSON) from a list of cells."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["code", "markdown", "write_notebook"]


def _cell(kind: str, source: str) -> dict:
    cell: dict = {"cell_type": kind, "metadata": {}, "source": source.strip("\n").splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def markdown(source: str) -> dict:
    """A markdown cell."""
    return _cell("markdown", source)


def code(source: str) -> dict:
    """A code cell without outputs."""
    return _cell("code", source)


def write_notebook(path: Path, cells: list[dict]) -> Path:
    """Write ``cells`` as an nbformat 4.5 notebook with a Python 3 kernel.

    Args:
        path: Where to write the ``.ipynb`` file.
        cells: Cells from :func:`markdown` and :func:`code`.

    Returns:
        ``path``.
    """
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
