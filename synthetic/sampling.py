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
    "cccd_array",
    "concat_text",
    "digit_strings",
    "family_name_index",
    "full_name_array",
    "phone_numbers",
    "random_birth_codes",
    "sample_cccd",
    "sample_company_names",
    "sample_full_names",
    "sample_phones",
    "sample_tax_codes",
    "zero_padded",
]

_RARE_SHARE = 1.0 - sum(share for *_, share in FAMILY_NAMES)
#: Family-name vocabulary: the northern forms, their southern forms, then the rare names.
_FAMILY_VOCAB = pa.array(
    [f[0] for f in FAMILY_NAMES] + [f[1] for f in FAMILY_NAMES] + list(RARE_FAMILY_NAMES), pa.string()
)
_MIDDLE_VOCAB = pa.array([m for m, _ in MALE_MIDDLE] + [m for m, _ in FEMALE_MIDDLE], pa.string())
_GIVEN_VOCAB = pa.array(list(MALE_GIVEN) + list(FEMALE_GIVEN), pa.string())
_CARRIER_NUMBERS = np.array([int(prefix) for _, prefix, _ in CARRIER_PREFIXES], dtype=np.int64)
_DIGIT_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode("ascii"), dtype=np.uint8).reshape(100, 2)


def _index(rng: np.random.Generator, size: int, weights: list[float] | None, n: int) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return rng.choice(size, size=n, p=p)


def digit_strings(values: np.ndarray, width: int, prefix: str = "", valid: np.ndarray | None = None) -> pa.Array:
    """Non-negative integers as fixed-width, zero-padded text after an ASCII ``prefix``, built in numpy.

    Values are taken modulo ``10**width``; rows where ``valid`` is False are null.
    """
    rest = np.asarray(values, dtype=np.int64).copy()
    n, head = len(rest), prefix.encode("ascii")
    size = len(head) + width
    data = np.empty((n, size), dtype=np.uint8)
    data[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    end = size
    while end - len(head) >= 2:  # two digits per division
        data[:, end - 2 : end] = _DIGIT_PAIRS[rest % 100]
        rest //= 100
        end -= 2
    if end > len(head):
        data[:, end - 1] = rest % 10 + ord("0")
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    bitmap, nulls = None, 0
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        bitmap, nulls = pa.py_buffer(np.packbits(valid, bitorder="little")), int(n - valid.sum())
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap, nulls)


def family_name_index(rng: np.random.Generator, southern: np.ndarray) -> np.ndarray:
    """Indices of family names (see :func:`full_name_array`) with the reference shares; ``southern``
    picks Huỳnh/Võ over Hoàng/Vũ."""
    k = len(FAMILY_NAMES)
    weights = np.array(
        [share for *_, share in FAMILY_NAMES] + [_RARE_SHARE / len(RARE_FAMILY_NAMES)] * len(RARE_FAMILY_NAMES)
    )
    idx = _index(rng, len(weights), list(weights), len(southern))
    return np.where(idx < k, np.where(southern, idx + k, idx), idx + k)  # rare names sit after both forms


def full_name_array(
    rng: np.random.Generator,
    male: np.ndarray,
    family: np.ndarray | None = None,
    southern: np.ndarray | None = None,
) -> pa.Array:
    """Full names ``family middle given`` as Arrow text; ``family`` may be given as
    :func:`family_name_index` indices (e.g. inherited in a household)."""
    n = len(male)
    if family is None:
        family = family_name_index(rng, np.zeros(n, bool) if southern is None else southern)
    m_mid = _index(rng, len(MALE_MIDDLE), [w for _, w in MALE_MIDDLE], n)
    f_mid = _index(rng, len(FEMALE_MIDDLE), [w for _, w in FEMALE_MIDDLE], n) + len(MALE_MIDDLE)
    m_giv = _index(rng, len(MALE_GIVEN), None, n)
    f_giv = _index(rng, len(FEMALE_GIVEN), None, n) + len(MALE_GIVEN)
    middle = _MIDDLE_VOCAB.take(np.where(male, m_mid, f_mid))
    given = _GIVEN_VOCAB.take(np.where(male, m_giv, f_giv))
    return pc.binary_join_element_wise(_FAMILY_VOCAB.take(family), middle, given, " ")


def sample_full_names(rng: np.random.Generator, male: np.ndarray, southern: np.ndarray | None = None) -> np.ndarray:
    """Full names ``family middle given`` (see :func:`full_name_array`)."""
    return full_name_array(rng, male, southern=southern).to_numpy(zero_copy_only=False)


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


def cccd_array(birth_codes: np.ndarray, male: np.ndarray, birth_year: np.ndarray, serial: np.ndarray) -> pa.Array:
    """12-digit CCCD numbers as Arrow text: birth code + sex/century digit + 2-digit year + 6-digit serial.

    Args:
        birth_codes: 3-digit birth-registration province codes (strings or integers).
        male: Boolean array, True for men.
        birth_year: Birth years (1900–2199).
        serial: 6-digit serials (pass unique ones for unique numbers).
    """
    year = np.asarray(birth_year, dtype=np.int64)
    century_digit = (year // 100 - 19) * 2 + np.where(male, 0, 1)
    code = np.asarray(birth_codes).astype(np.int64)
    return digit_strings(((code * 10 + century_digit) * 100 + year % 100) * 1_000_000 + serial, 12)


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
    if serial is None:
        serial = rng.integers(0, 1_000_000, size=len(birth_year))
    return cccd_array(birth_codes, male, birth_year, serial).to_numpy(zero_copy_only=False)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """10-digit mobile numbers (as integers; the leading 0 is implied) with a Vietnamese carrier
    prefix, market-share weighted: format them with :func:`digit_strings` (width 10)."""
    prefix = _CARRIER_NUMBERS[_index(rng, len(CARRIER_PREFIXES), [w for *_, w in CARRIER_PREFIXES], n)]
    return prefix * 10_000_000 + rng.integers(0, 10_000_000, size=n)


def sample_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """10-digit mobile numbers with a Vietnamese carrier prefix (market-share weighted)."""
    return digit_strings(phone_numbers(rng, n), 10).to_numpy(zero_copy_only=False)


def sample_tax_codes(province_codes: np.ndarray, index: np.ndarray, seed: int) -> np.ndarray:
    """10-digit enterprise tax codes: 2-digit province code + 8-digit serial unique per index."""
    serial = affine_serials(index, 100_000_000, seed)
    return concat_text(
        pd.Series(province_codes).astype(str).str.zfill(2).to_numpy(dtype=object), zero_padded(serial, 8)
    )


def random_birth_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Birth-registration codes of random old provinces (when a person's province is unknown)."""
    codes = np.asarray([code for p in PROVINCES for code in p.cccd_codes], dtype=object)
    return codes[_index(rng, len(codes), None, n)]
