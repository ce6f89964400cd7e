"""Small mutations of the valid base bundle, each breaking one rule of ``challenge.yaml`` or its files."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

__all__ = ["MUTATIONS"]

Mutation = Callable[[Path], Path]


def _spec(change: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(folder: Path) -> Path:
        path = folder / "challenge.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return folder

    return mutate


def _set(dotted: str, value: Any) -> Mutation:
    def change(data: dict[str, Any]) -> None:
        *parents, key = dotted.split(".")
        for parent in parents:
            data = data[parent]
        data[key] = value

    return _spec(change)


def _drop(key: str) -> Mutation:
    return _spec(lambda data: data.pop(key))


def _write(name: str, content: bytes) -> Mutation:
    def mutate(folder: Path) -> Path:
        (folder / name).write_bytes(content)
        return folder

    return mutate


def _remove(name: str) -> Mutation:
    def mutate(folder: Path) -> Path:
        (folder / name).unlink()
        return folder

    return mutate


def _answers(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Mutation:
    def mutate(folder: Path) -> Path:
        path = folder / "answers.parquet"
        change(pd.read_parquet(path)).to_parquet(path, index=False)
        return folder

    return mutate


def _zipped(extra: str | None) -> Mutation:
    def mutate(folder: Path) -> Path:
        archive = folder.parent / "bundle.zip"
        with zipfile.ZipFile(archive, "w") as out:
            for path in folder.iterdir():
                out.write(path, path.name)
            if extra is not None:
                out.writestr(extra, b"x")
        return archive

    return mutate


def _not_a_zip(folder: Path) -> Path:
    archive = folder.parent / "bundle.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    return archive


def _phase_backwards(data: dict[str, Any]) -> None:
    data["phases"][0]["start"], data["phases"][0]["end"] = data["phases"][0]["end"], data["phases"][0]["start"]


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "no challenge.yaml": (_remove("challenge.yaml"), "challenge.yaml"),
    "yaml syntax error": (_write("challenge.yaml", b"slug: [unclosed\n"), "not valid yaml"),
    "yaml is a list": (_write("challenge.yaml", b"- slug\n- title\n"), "mapping"),
    "yaml empty": (_write("challenge.yaml", b""), "mapping"),
    "yaml not utf-8": (_write("challenge.yaml", b"slug: caf\xe9\x00\xff\n"), "challenge.yaml"),
    "missing slug": (_drop("slug"), "slug"),
    "bad slug": (_set("slug", "Bad Slug!"), "slug"),
    "unknown task": (_set("task", "clustering"), "task"),
    "unknown metric": (_set("metric.primary", "bogus"), "bogus"),
    "missing id_column": (_drop("id_column"), "id_column"),
    "unknown key": (_set("answers_path", "x"), "answers_path"),
    "public_fraction above 1": (_set("split.public_fraction", 1.5), "public_fraction"),
    "public_fraction zero": (_set("split.public_fraction", 0), "public_fraction"),
    "phase ends before start": (_spec(_phase_backwards), "phase"),
    "per_day above total": (_set("limits.per_day", 50), "per_day"),
    "negative team_size": (_set("limits.team_size", -1), "team_size"),
    "malformed dataset ref": (_set("datasets", ["people@x"]), "people@x"),
    "answers file missing": (_remove("answers.parquet"), "answers.parquet"),
    "answers wrong extension": (_set("answers", "description.md"), "answers must be"),
    "answers path escapes": (_set("answers", "../answers.parquet"), "escapes"),
    "answers corrupt parquet": (_write("answers.parquet", b"PAR1garbagePAR1"), "answers.parquet"),
    "answers lack target": (_answers(lambda a: a.drop(columns=["income_band"])), "income_band"),
    "answers duplicate ids": (_answers(lambda a: a.assign(person_id="p0000")), "person_id"),
    "answers empty target": (_answers(lambda a: a.assign(income_band=[None] + list(a.income_band[1:]))), "income_band"),
    "answers no rows": (_answers(lambda a: a.iloc[:0]), "no rows"),
    "description missing": (_remove("description.md"), "description.md"),
    "starter notebook missing": (_remove("starter.ipynb"), "starter.ipynb"),
    "zip with path traversal": (_zipped("../evil.txt"), "escapes"),
    "zip with absolute path": (_zipped("/etc/evil.txt"), "escapes"),
    "not a zip": (_not_a_zip, "not a valid zip"),
}
