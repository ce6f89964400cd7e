"""Print the project's pinned dependencies (pyproject.toml) for an image's ``pip install -r``.

Run inside an image build, before the project is installed: ``python image_requirements.py
pyproject.toml [--without-synth]``. ``--without-synth`` leaves out what only fitting replicas needs
(torch, SDV and its libraries): the scoring worker and the scoring API never import them, only
``arena synth`` and ``arena challenge make-example`` do. Standard library only.
"""

from __future__ import annotations

import re
import sys
import tomllib

SYNTH_ONLY = frozenset({"torch", "sdv", "sdmetrics", "rdt"})


def requirements(pyproject: str, *, with_synth: bool) -> list[str]:
    """The dependency pins of ``pyproject``, without the synthesis-only ones unless ``with_synth``."""
    with open(pyproject, "rb") as file:
        pins = tomllib.load(file)["project"]["dependencies"]
    return [pin for pin in pins if with_synth or re.split(r"[\s=<>!~\[;]", pin, maxsplit=1)[0] not in SYNTH_ONLY]


if __name__ == "__main__":
    print(*requirements(sys.argv[1], with_synth="--without-synth" not in sys.argv[2:]), sep="\n")
