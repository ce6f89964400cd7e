"""Every notebook that ships into a sandbox opens unmodified in JupyterLab.

JupyterLab writes the kernel's ``kernelspec`` and ``language_info`` into a notebook as soon as the
kernel reports them, and marks the notebook modified when they differ from what the file held
(``welcome.ipynb`` shipped with ``language_info: {"name": "python"}`` did, at every open). The
shipped copies must therefore carry exactly what the sandbox's kernel (ipykernel, pinned in
``SANDBOX_REQUIREMENTS``) reports, and be written as nbformat writes them (what a save leaves).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import ipykernel
import nbformat
from challenge_bundles import base_spec, write_bundle
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

from challenges import load_bundle, write_generated_starter
from sandboxes import SANDBOX_REQUIREMENTS, for_sandbox_kernel, seed_home, seed_starters
from sandboxes.starters import STARTERS_FOLDER, kernel_metadata

KERNEL_PYTHON = "3.11.2"


def test_kernel_metadata_is_what_the_sandbox_kernel_reports() -> None:
    assert f"ipykernel=={ipykernel.__version__}" in SANDBOX_REQUIREMENTS  # the kernel compared with is the sandbox's

    metadata = kernel_metadata(platform.python_version())

    assert metadata["language_info"] == IPythonKernel.language_info
    spec = get_kernel_dict()
    assert metadata["kernelspec"] == {"display_name": spec["display_name"], "language": spec["language"], "name": KERNEL_NAME}


def _shipped_notebooks(tmp_path: Path) -> dict[str, bytes]:
    """The welcome notebook and a generated starter, as a competitor's home receives them."""
    home, challenges = tmp_path / "home", tmp_path / "challenges"
    home.mkdir()
    bundle = load_bundle(write_bundle(tmp_path / "bundle", base_spec(starter_notebook=None)))
    (challenges / "generated").mkdir(parents=True)
    write_generated_starter(bundle.spec, challenges / "generated" / "starter.ipynb")

    seed_home(home, os.getuid(), os.getgid(), KERNEL_PYTHON)
    seed_starters(home, challenges, python_version=KERNEL_PYTHON)

    paths = [home / "welcome.ipynb", home / STARTERS_FOLDER / "generated" / "starter.ipynb"]
    return {path.name if path.parent == home else "generated starter": path.read_bytes() for path in paths}


def test_every_shipped_notebook_carries_the_kernels_metadata_and_is_what_a_save_writes(tmp_path: Path) -> None:
    shipped = _shipped_notebooks(tmp_path)

    assert sorted(shipped) == ["generated starter", "welcome.ipynb"]
    for name, data in shipped.items():
        notebook = nbformat.reads(data.decode(), as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
        assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5), name
        assert notebook.metadata == kernel_metadata(KERNEL_PYTHON), name
        assert all(cell.get("id") for cell in notebook.cells), name
        assert data.decode() == nbformat.writes(notebook) + "\n", name  # saving it unchanged writes the same bytes


def test_a_file_that_is_not_a_notebook_is_shipped_as_it_is() -> None:
    for data in (b"v1", b"[1, 2]", b'{"metadata": 3}'):
        assert for_sandbox_kernel(data, KERNEL_PYTHON) == data
