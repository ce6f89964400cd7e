"""Vectorised samplers of Vietnamese identifiers and names (numpy, no row-by-row loops).

Shared by the reference generator and by :class:`synthetic.Replica`, which regenerates the
personal columns it never learns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.vietnam import (
    CARRIER_PREFIXES,
    FAMILY_NAMES,
    FEMALE_GIVEN,
    FEMALE_MIDDLE,
    MALE_GIVEN,
    MALE_MIDDLE,
    PLACE_WORDS,
    PROVINCES,
    RARE_FAMILY_NAMES,
)

__all__ = [
    "affine_serials",
    "concat_text",
    "random_birth_codes",
    "sample_cccd",
    "sample_company_names",
    "sample_family_names",
    "sample_full_names",
    "sample_phones",
    "sample_tax_codes",
    "zero_padded",
]

_RARE_SHARE = 1.0 - sum(share for *_, share in FAMILY_NAMES)


def _choice(rng: np.random.Generator, values: tuple[str, ...], weights: list[float] | None, n: int) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def sample_family_names(rng: np.random.Generator, southern: np.ndarray) -> np.ndarray:
    """Family names with the reference shares; ``southern`` picks Huỳnh/Võ over Hoàng/Vũ."""
    n = len(southern)
    names = [f[0] for f in FAMILY_NAMES] + [f[1] for f in FAMILY_NAMES] + list(RARE_FAMILY_NAMES)
    k = len(FAMILY_NAMES)
    weights = np.array(
        [share for *_, share in FAMILY_NAMES] + [_RARE_SHARE / len(RARE_FAMILY_NAMES)] * len(RARE_FAMILY_NAMES)
    )
    idx = rng.choice(len(weights), size=n, p=weights / weights.sum())
    common = idx < k
    idx = np.where(common, np.where(southern, idx + k, idx), idx + k)  # rare names sit after both forms
    return np.asarray(names, dtype=object)[idx]


def sample_full_names(
    rng: np.random.Generator, male: np.ndarray, family: np.ndarray | None = None, southern: np.ndarray | None = None
) -> np.ndarray:
    """Full names ``family middle given``; ``family`` may be given (e.g. inherited in a household)."""
    n = len(male)
    if family is None:
        family = sample_family_names(rng, np.zeros(n, bool) if southern is None else southern)
    m_mid = _choice(rng, tuple(m for m, _ in MALE_MIDDLE), [w for _, w in MALE_MIDDLE], n)
    f_mid = _choice(rng, tuple(m for m, _ in FEMALE_MIDDLE), [w for _, w in FEMALE_MIDDLE], n)
    m_giv = _choice(rng, MALE_GIVEN, None, n)
    f_giv = _choice(rng, FEMALE_GIVEN, None, n)
    middle = np.where(male, m_mid, f_mid)
    given = np.where(male, m_giv, f_giv)
    return concat_text(family, " ", middle, " ", given)


def sample_company_names(rng: np.random.Generator, n: int, labels: np.ndarray | None = None) -> np.ndarray:
    """Enterprise names ``Công ty TNHH|Cổ phần <place> <place>`` (plus `` (label)`` when given)."""
    words = np.asarray(PLACE_WORDS, dtype=object)
    form = np.where(rng.random(n) < 0.7, "Công ty TNHH ", "Công ty Cổ phần ")
    name = pd.Series(form) + words[rng.integers(0, len(words), n)] + " " + words[rng.integers(0, len(words), n)]
    if labels is not None:
        name = name + " (" + pd.Series(labels) + ")"
    return name.to_numpy(dtype=object)


def affine_serials(index: np.ndarray, modulus: int, seed: int) -> np.ndarray:
    """A seed-keyed bijection of ``index mod modulus`` onto ``[0, modulus)`` (unique serials)."""
    mixer = np.random.default_rng([seed, modulus])
    a = int(mixer.integers(1, modulus)) | 1
    while a % 5 == 0:  # coprime with powers of ten
        a += 2
    b = int(mixer.integers(0, modulus))
    return (index.astype(np.int64) % modulus * a + b) % modulus


def zero_padded(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as text, left-padded with zeros to ``width`` (like ``str.zfill``)."""
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), width, "0")


def concat_text(*parts: str | np.ndarray | pa.Array) -> np.ndarray:
    """Element-wise concatenation of strings, text arrays and :func:`zero_padded` arrays (in Arrow)."""
    columns = [part if isinstance(part, str | pa.Array) else pa.array(part, type=pa.string()) for part in parts]
    return pc.binary_join_element_wise(*columns, "").to_numpy(zero_copy_only=False)


def sample_cccd(
    rng: np.random.Generator,
    birth_codes: np.ndarray,
    male: np.ndarray,
    birth_year: np.ndarray,
    serial: np.ndarray | None = None,
) -> np.ndarray:
    """12-digit CCCD numbers: province code + sex/century digit + 2-digit year + 6-digit serial.

    Args:
        rng: Random generator (used when ``serial`` is not given).
        birth_codes: 3-digit birth-registration province codes (strings).
        male: Boolean array, True for men.
        birth_year: Birth years (1900–2199).
        serial: Optional 6-digit serials (pass unique ones for unique numbers).
    """
    year = birth_year.astype(np.int64)
    century_digit = (year // 100 - 19) * 2 + np.where(male, 0, 1)
    if serial is None:
        serial = rng.integers(0, 1_000_000, size=len(year))
    codes = pd.Series(birth_codes).astype(str).to_numpy(dtype=object)
    return concat_text(codes, zero_padded(century_digit, 1), zero_padded(year % 100, 2), zero_padded(serial, 6))


def sample_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """10-digit mobile numbers with a Vietnamese carrier prefix (market-share weighted)."""
    prefixes = _choice(rng, tuple(p for _, p, _ in CARRIER_PREFIXES), [w for *_, w in CARRIER_PREFIXES], n)
    return concat_text(prefixes, zero_padded(rng.integers(0, 10_000_000, size=n), 7))


def sample_tax_codes(province_codes: np.ndarray, index: np.ndarray, seed: int) -> np.ndarray:
    """10-digit enterprise tax codes: 2-digit province code + 8-digit serial unique per index."""
    serial = affine_serials(index, 100_000_000, seed)
    return concat_text(
        pd.Series(province_codes).astype(str).str.zfill(2).to_numpy(dtype=object), zero_padded(serial, 8)
    )


def random_birth_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Birth-registration codes of random old provinces (when a person's province is unknown)."""
    codes = tuple(code for p in PROVINCES for code in p.cccd_codes)
    return _choice(rng, codes, None, n)
