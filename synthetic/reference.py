"""Deterministic, vectorised generator of the four-pillar reference ("real") tables.

People, locations, enterprises and products of a synthetic Vietnam, written as one Parquet file per
table. People are generated in independent chunks (chunk ``i`` seeded from ``(seed, i)``), so the
chunks can run in worker processes today and on a cluster later; the output depends only on
``(people, seed, chunk_size)``, never on ``workers``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from synthetic.chunks import SCHEDULERS, Scheduler, run_chunks
from synthetic.errors import InputDataError, SyntheticError
from synthetic.sampling import (
    affine_serials,
    cccd_array,
    concat_text,
    digit_strings,
    family_name_index,
    full_name_array,
    phone_numbers,
    sample_company_names,
    sample_tax_codes,
    zero_padded,
)
from synthetic.vietnam import (
    AGE_BANDS,
    HS_PRODUCTS,
    PLACE_WORDS,
    PROVINCES,
    REGION_INCOME_FACTOR,
    SOUTHERN_REGIONS,
    SPECIAL_ZONES,
    VSIC_SECTIONS,
)

__all__ = ["EDUCATION_LEVELS", "OCCUPATIONS", "REFERENCE_DATE", "TABLE_SCHEMAS", "generate_reference"]

#: The "today" of the reference data (fixed so that output never depends on the clock).
REFERENCE_DATE = np.datetime64("2025-07-01")
EDUCATION_LEVELS = (
    "none",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "vocational",
    "college",
    "university",
    "postgraduate",
)
#: Occupations; the first seven are paid jobs.
OCCUPATIONS = (
    "agriculture",
    "manufacturing",
    "construction",
    "trade_services",
    "office_clerk",
    "professional",
    "manager",
    "unemployed",
    "homemaker",
    "student",
    "retired",
    "child",
)
PAID_OCCUPATIONS = OCCUPATIONS[:7]
_JOBS = PAID_OCCUPATIONS
_JOB_PAY = np.array([0.62, 1.00, 1.02, 0.92, 1.10, 1.55, 2.10])
_INCOME_SCALE = 5.19e6  # calibrated so that employed people average ≈ 7.7 million VND a month
_MAX_CHUNK = 1_000_000
_CCCD_SERIALS = 1_000_000

_STR = pa.string()
_DATE = pa.timestamp("ns")  # pandas reads it back as datetime64[ns] (date32 would give objects)
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "provinces": pa.schema([("code", _STR), ("name", _STR), ("region", _STR), ("cccd_codes", pa.list_(_STR))]),
    "communes": pa.schema(
        [("commune_code", _STR), ("province_code", _STR), ("name", _STR), ("kind", _STR), ("urban", pa.bool_())]
    ),
    "households": pa.schema(
        [("household_id", _STR), ("commune_code", _STR), ("size", pa.int16()), ("urban", pa.bool_())]
    ),
    "people": pa.schema(
        [
            ("person_id", _STR),
            ("cccd", _STR),
            ("full_name", _STR),
            ("sex", _STR),
            ("birth_date", _DATE),
            ("household_id", _STR),
            ("commune_code", _STR),
            ("education", _STR),
            ("occupation", _STR),
            ("monthly_income_vnd", pa.int64()),
            ("employer_id", _STR),
            ("phone", _STR),
        ]
    ),
    "enterprises": pa.schema(
        [
            ("enterprise_id", _STR),
            ("tax_code", _STR),
            ("name", _STR),
            ("commune_code", _STR),
            ("vsic_section", _STR),
            ("founded", _DATE),
            ("employees", pa.int32()),
            ("revenue_vnd", pa.int64()),
        ]
    ),
    "products": pa.schema(
        [
            ("product_id", _STR),
            ("hs_code", _STR),
            ("name", _STR),
            ("category", _STR),
            ("enterprise_id", _STR),
            ("unit_price_vnd", pa.int64()),
        ]
    ),
    "sales": pa.schema(
        [
            ("product_id", _STR),
            ("enterprise_id", _STR),
            ("commune_code", _STR),
            ("month", _DATE),
            ("quantity", pa.int32()),
            ("revenue_vnd", pa.int64()),
        ]
    ),
}


@dataclass(frozen=True)
class _World:
    """Everything a people chunk needs from the other tables (picklable for worker processes)."""

    seed: int
    cccd_slots: int  # CCCD serials each chunk may use per (birth code, sex, year): chunks never collide
    commune_codes: pa.Array
    commune_province: np.ndarray  # index into PROVINCES
    commune_urban: np.ndarray
    commune_p: np.ndarray
    ent_ids: pa.Array  # sorted by province
    ent_cum: np.ndarray  # cumulative employee weight, per province in [start, end)
    prov_cum_bounds: np.ndarray  # (34, 2) weight bounds of each province's enterprises


def _ids(prefix: str, index: np.ndarray, width: int) -> np.ndarray:
    return concat_text(prefix, zero_padded(index, width))


#: Text columns whose values (nearly) never repeat: Parquet dictionary encoding would only cost time.
_UNIQUE_TEXT = frozenset({"person_id", "cccd", "phone", "household_id", "enterprise_id", "tax_code", "product_id"})


def _parquet_options(table: str) -> dict[str, object]:
    """zstd, with dictionary encoding for the columns whose values repeat."""
    names = TABLE_SCHEMAS[table].names
    return {"compression": "zstd", "use_dictionary": [c for c in names if table == "sales" or c not in _UNIQUE_TEXT]}


def _write(data: pd.DataFrame | pa.Table, table: str, path: Path) -> None:
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data, schema=TABLE_SCHEMAS[table], preserve_index=False)
    pq.write_table(data, path, **_parquet_options(table))  # type: ignore[arg-type]


def _provinces() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [p.code for p in PROVINCES],
            "name": [p.name for p in PROVINCES],
            "region": [p.region for p in PROVINCES],
            "cccd_codes": [list(p.cccd_codes) for p in PROVINCES],
        }
    )


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` over ``weights`` (largest remainder), each part at least ``minimum``."""
    spare = total - minimum * len(weights)
    exact = weights / weights.sum() * spare
    parts = np.floor(exact).astype(int)
    parts[np.argsort(-(exact - parts), kind="stable")[: spare - parts.sum()]] += 1
    return parts + minimum


def _communes(rng: np.random.Generator, total: int) -> pd.DataFrame:
    population = np.array([p.population_m for p in PROVINCES])
    counts = _allocate(total, population, 3)
    province = np.repeat(np.arange(len(PROVINCES)), counts)
    urban_share = np.array([p.urban_share for p in PROVINCES])[province]
    urban = rng.random(len(province)) < urban_share / (2 - urban_share)  # wards hold twice the people
    words = np.asarray(PLACE_WORDS, dtype=object)
    base = (
        pd.Series(words[rng.integers(0, len(words), len(province))])
        + " "
        + words[rng.integers(0, len(words), len(province))]
    )
    kind = np.where(urban, "phường", "xã").astype(object)
    # The 13 special zones replace the last commune(s) of their province.
    names = base.to_numpy(dtype=object)
    ends = np.cumsum(counts) - 1
    taken: dict[int, int] = {}
    for zone, unit in SPECIAL_ZONES:
        prov = next(i for i, p in enumerate(PROVINCES) if p.name == unit)
        row = ends[prov] - taken.get(prov, 0)
        taken[prov] = taken.get(prov, 0) + 1
        names[row], kind[row], urban[row] = zone, "đặc khu", False
    frame = pd.DataFrame({"province": province, "name": names})
    repeat = frame.groupby(["province", "name"]).cumcount()
    names = np.where(repeat > 0, frame["name"] + " " + (repeat + 1).astype(str), frame["name"])
    weight = rng.lognormal(0.0, 0.5, len(province)) * np.where(urban, 2.0, 1.0) * np.where(kind == "đặc khu", 0.1, 1.0)
    shares = weight / np.bincount(province, weight)[province] * population[province]
    return pd.DataFrame(
        {
            "commune_code": _ids("", np.arange(1, len(province) + 1), 5),
            "province_code": np.array([p.code for p in PROVINCES], dtype=object)[province],
            "name": names,
            "kind": kind,
            "urban": urban,
            "_province": province,
            "_p": shares / shares.sum(),
        }
    )


def _enterprises(rng: np.random.Generator, communes: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    weight = communes["_p"].to_numpy() * np.where(communes["urban"], 3.0, 1.0)
    commune = rng.choice(len(communes), size=n, p=weight / weight.sum())
    shares = np.array([s[2] for s in VSIC_SECTIONS])
    section = rng.choice(len(VSIC_SECTIONS), size=n, p=shares / shares.sum())
    founded = np.datetime64("1992-01-01") + (
        rng.beta(2.2, 1.0, n) * (REFERENCE_DATE - np.datetime64("1992-01-01")).astype(int)
    ).astype("timedelta64[D]")
    employees = np.clip(np.ceil(rng.lognormal(1.8, 1.2, n)), 1, 20_000).astype(np.int32)
    per_employee = np.array([s[3] for s in VSIC_SECTIONS])[section] * 1e6
    revenue = np.round(employees * per_employee * rng.lognormal(-0.2, 0.6, n), -3).astype(np.int64)
    name = sample_company_names(rng, n, np.array([s[1] for s in VSIC_SECTIONS], dtype=object)[section])
    province_code = communes["province_code"].to_numpy()[commune]
    return pd.DataFrame(
        {
            "enterprise_id": _ids("E", np.arange(1, n + 1), 7),
            "tax_code": sample_tax_codes(province_code, np.arange(n), seed),
            "name": name,
            "commune_code": communes["commune_code"].to_numpy()[commune],
            "vsic_section": np.array([s[0] for s in VSIC_SECTIONS], dtype=object)[section],
            "founded": founded.astype("datetime64[s]"),
            "employees": employees,
            "revenue_vnd": revenue,
            "_province": communes["_province"].to_numpy()[commune],
            "_commune": commune,
        }
    )


def _products(rng: np.random.Generator, enterprises: pd.DataFrame) -> pd.DataFrame:
    section = enterprises["vsic_section"].to_numpy()
    makers = np.flatnonzero(np.isin(section, ["A", "C", "G"]))
    per_maker = rng.poisson(1.5, len(makers)) + 1
    owner = np.repeat(makers, per_maker)
    owner_section = section[owner]
    eligible = np.array([[s in t[4] for t in HS_PRODUCTS] for s in ("A", "C", "G")], dtype=float)
    probs = eligible[np.searchsorted(np.array(["A", "C", "G"]), owner_section)]
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    template = (rng.random(len(owner))[:, None] > cum).sum(axis=1).clip(0, len(HS_PRODUCTS) - 1)
    table = pd.DataFrame(HS_PRODUCTS, columns=["hs_code", "stem", "category", "price", "sections"])
    words = np.asarray(PLACE_WORDS, dtype=object)
    chosen = table.iloc[template].reset_index(drop=True)
    return pd.DataFrame(
        {
            "product_id": _ids("SP", np.arange(1, len(owner) + 1), 7),
            "hs_code": chosen["hs_code"].to_numpy(dtype=object),
            "name": (chosen["stem"] + " " + words[rng.integers(0, len(words), len(owner))]).to_numpy(dtype=object),
            "category": chosen["category"].to_numpy(dtype=object),
            "enterprise_id": enterprises["enterprise_id"].to_numpy()[owner],
            "unit_price_vnd": np.round(chosen["price"].to_numpy() * rng.lognormal(0, 0.25, len(owner)), -2).astype(
                np.int64
            ),
            "_commune": enterprises["_commune"].to_numpy()[owner],
        }
    )


def _sales(rng: np.random.Generator, products: pd.DataFrame, communes: pd.DataFrame) -> pa.Table:
    n = len(products)
    markets = 3
    product = np.repeat(np.arange(n), markets)
    commune = rng.choice(len(communes), size=n * markets, p=communes["_p"].to_numpy())
    commune[::markets] = products["_commune"].to_numpy()  # every maker sells at home
    _, first = np.unique(product * len(communes) + commune, return_index=True)
    kept = np.sort(first)  # distinct (product, commune) pairs, in order of appearance
    months = np.arange(np.datetime64("2024-01"), np.datetime64("2025-01"))
    row_product = np.repeat(product[kept], len(months))
    month = np.tile(months, len(kept))
    season = np.where(np.isin(month.astype(int) % 12, [0, 1]), 1.6, 1.0)  # Tết lifts January/February
    price = products["unit_price_vnd"].to_numpy()[row_product]
    demand = 2e7 / price * season * rng.lognormal(0, 0.5, len(row_product))
    quantity = rng.poisson(demand).astype(np.int32)
    columns = [
        pa.array(products["product_id"], _STR).take(row_product),
        pa.array(products["enterprise_id"], _STR).take(row_product),
        pa.array(communes["commune_code"], _STR).take(np.repeat(commune[kept], len(months))),
        pa.array(month.astype("datetime64[ns]")),
        pa.array(quantity),
        pa.array(quantity.astype(np.int64) * price),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["sales"])


def _world(seed: int, communes: pd.DataFrame, enterprises: pd.DataFrame, cccd_slots: int) -> _World:
    order = np.argsort(enterprises["_province"].to_numpy(), kind="stable")
    province = enterprises["_province"].to_numpy()[order]
    weight = enterprises["employees"].to_numpy()[order].astype(float)
    cum = np.cumsum(weight)
    starts = np.searchsorted(province, np.arange(len(PROVINCES)), side="left")
    ends = np.searchsorted(province, np.arange(len(PROVINCES)), side="right")
    lower = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    upper = np.where(ends > 0, cum[np.maximum(ends - 1, 0)], 0.0)
    return _World(
        seed=seed,
        cccd_slots=cccd_slots,
        commune_codes=pa.array(communes["commune_code"], _STR),
        commune_province=communes["_province"].to_numpy(),
        commune_urban=communes["urban"].to_numpy(),
        commune_p=communes["_p"].to_numpy(),
        ent_ids=pa.array(enterprises["enterprise_id"].to_numpy()[order], _STR),
        ent_cum=cum,
        prov_cum_bounds=np.stack([lower, upper], axis=1),
    )


def _household_sizes(rng: np.random.Generator, people: int) -> np.ndarray:
    probs = np.array([0.12, 0.20, 0.22, 0.24, 0.12, 0.06, 0.03, 0.01])
    sizes = rng.choice(np.arange(1, 9), size=people // 2 + 8, p=probs)
    total = np.cumsum(sizes)
    k = int(np.searchsorted(total, people)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= total[k - 1] - people
    return sizes


def _ages(rng: np.random.Generator, position: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Ages by household position: a head (25+), a spouse near the head's age, then mostly children."""
    bands = np.asarray(AGE_BANDS)
    heads = bands * (np.arange(len(bands)) >= 5)
    members = bands * np.where(np.arange(len(bands)) < 4, 3.0, 1.0)

    def draw(weights: np.ndarray) -> np.ndarray:
        band = rng.choice(len(weights), size=len(position), p=weights / weights.sum())
        return band * 5 + rng.integers(0, 5, len(position))

    head_age = draw(heads)[np.repeat(np.cumsum(sizes) - sizes, sizes)]
    spouse = np.clip(head_age + np.round(rng.normal(-2, 4, len(position))), 18, 99)
    return np.where(position == 0, head_age, np.where(position == 1, spouse, draw(members))).astype(np.int64)


def _education(rng: np.random.Generator, age: np.ndarray, urban: np.ndarray, region_factor: np.ndarray) -> np.ndarray:
    cohort = np.clip((65 - age) / 40, -0.5, 1.0)
    latent = rng.normal(0, 1, len(age)) + 0.6 * urban + 0.8 * np.log(region_factor) + 0.7 * cohort
    level = np.searchsorted(np.array([-1.5, -0.6, 0.35, 1.05, 1.35, 1.55, 2.45]), latent)
    cap = np.select([age < 6, age < 11, age < 15, age < 18, age < 22], [0, 1, 2, 3, 5], default=7)
    return np.minimum(level, cap)


def _occupation(
    rng: np.random.Generator, age: np.ndarray, male: np.ndarray, level: np.ndarray, urban: np.ndarray
) -> np.ndarray:
    n = len(age)
    rural = ~urban
    weights = np.stack(
        [
            rural * np.clip(1.6 - level / 3, 0.05, None) + 0.05,  # agriculture
            np.full(n, 0.8),  # manufacturing
            0.45 * np.where(male, 1.0, 0.25),  # construction
            np.full(n, 0.9) + 0.3 * urban,  # trade & services
            0.5 * (level >= 3) + 0.3 * urban * (level >= 4),  # office clerk
            1.1 * (level >= 6),  # professional
            0.35 * (level >= 5) * np.clip((age - 28) / 20, 0, 1),  # manager
        ],
        axis=1,
    )
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    job = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(_JOBS) - 1)
    u = rng.random(n)
    retire_age = np.where(male, 62, 60)
    code = np.select(
        [
            age < 15,
            (age < 23) & (level >= 3) & (u < 0.65),
            (age >= retire_age) & (u < 0.8),
            u > 0.975,
            ~male & (u > 0.92),
        ],
        [11, 9, 10, 7, 8],
        default=job,
    )
    return code


def _income(
    rng: np.random.Generator,
    occupation: np.ndarray,
    level: np.ndarray,
    age: np.ndarray,
    urban: np.ndarray,
    region_factor: np.ndarray,
) -> np.ndarray:
    employed = occupation < len(_JOBS)
    years = np.clip(age - 20, 0, None)
    age_curve = np.clip(1 + 0.022 * years - 0.00042 * years**2, 0.5, None)
    pay = (
        _INCOME_SCALE
        * _JOB_PAY[np.minimum(occupation, len(_JOBS) - 1)]
        * (1 + 0.07 * level)
        * age_curve
        * np.where(urban, 1.18, 0.9)
        * region_factor
        * rng.lognormal(-0.06, 0.35, len(age))
    )
    pension = (occupation == 10) & (rng.random(len(age)) < 0.4)
    income = np.where(employed, pay, np.where(pension, 3.5e6 * rng.lognormal(0, 0.3, len(age)), 0.0))
    return np.round(income, -3).astype(np.int64)


def _employers(
    rng: np.random.Generator, world: _World, province: np.ndarray, occupation: np.ndarray, urban: np.ndarray
) -> pa.Array:
    bounds = world.prov_cum_bounds[province]
    has_firm = bounds[:, 1] > bounds[:, 0]
    wants = (occupation >= 1) & (occupation < len(_JOBS)) & (rng.random(len(province)) < np.where(urban, 0.75, 0.5))
    point = bounds[:, 0] + rng.random(len(province)) * (bounds[:, 1] - bounds[:, 0])
    pick = np.clip(np.searchsorted(world.ent_cum, point, side="right"), 0, max(len(world.ent_ids) - 1, 0))
    if not len(world.ent_ids):
        return pa.nulls(len(province), _STR)
    return world.ent_ids.take(pa.array(pick, mask=~(wants & has_firm)))


def _cccd_slots(chunk_size: int) -> int:
    """CCCD serials per prefix reserved for each chunk (depends on the chunk size only)."""
    return max(16, chunk_size // 128)


def _cccd_serials(
    world: _World, chunk: int, birth_code: np.ndarray, male: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """Unique 6-digit serials: chunk ``i`` owns slots ``[i·k, (i+1)·k)`` of every CCCD prefix, then a
    seed-keyed bijection scrambles them (so numbers are unique across independent chunks)."""
    prefix = (birth_code.astype(np.int64) * 2 + male) * 1000 + birth_year % 1000  # one integer per CCCD prefix
    rank = _rank_within_groups(prefix)
    if len(rank) and rank.max() >= world.cccd_slots:
        raise SyntheticError(
            f"chunk {chunk}: {rank.max() + 1} people share one CCCD prefix but only {world.cccd_slots} serials "
            "are free per chunk; use fewer, larger chunks"
        )
    return affine_serials(chunk * world.cccd_slots + rank, _CCCD_SERIALS, world.seed)


def _rank_within_groups(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2… for the rows of each key, in row order (pandas' ``groupby().cumcount()``, in numpy)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    return rank


def _birth_codes(rng: np.random.Generator, province: np.ndarray) -> np.ndarray:
    """A birth-registration code per person (as an integer): one of the old provinces merged into theirs."""
    code_lists = [p.cccd_codes for p in PROVINCES]
    n_codes = np.array([len(c) for c in code_lists])
    flat = np.array([int(c) for codes in code_lists for c in codes], dtype=np.int64)
    offsets = np.cumsum(n_codes) - n_codes
    return flat[offsets[province] + (rng.random(len(province)) * n_codes[province]).astype(int)]


def _people_chunk(world: _World, chunk: int, start: int, count: int) -> tuple[pa.Table, pa.Table]:
    """Households and people of chunk ``chunk`` (people ``start`` … ``start + count - 1``) as Arrow tables.

    Text columns are built in Arrow and numpy (vocabularies taken by index, digits written into
    fixed-width buffers), never as Python string objects.
    """
    rng = np.random.default_rng([world.seed, chunk])
    sizes = _household_sizes(rng, count)
    h_commune = rng.choice(len(world.commune_codes), size=len(sizes), p=world.commune_p)
    h_ids = digit_strings(np.arange(len(sizes)), 7, prefix=f"H{chunk:05d}")
    households = pa.Table.from_arrays(
        [
            h_ids,
            world.commune_codes.take(h_commune),
            pa.array(sizes.astype(np.int16)),
            pa.array(world.commune_urban[h_commune]),
        ],
        schema=TABLE_SCHEMAS["households"],
    )
    member = np.repeat(np.arange(len(sizes)), sizes)
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    position = np.arange(count) - first
    commune = h_commune[member]
    province = world.commune_province[commune]
    urban = world.commune_urban[commune]
    region_factor = np.array([REGION_INCOME_FACTOR[p.region] for p in PROVINCES])[province]
    southern = np.array([p.region in SOUTHERN_REGIONS for p in PROVINCES])[province]

    head_male = rng.random(len(sizes)) < 0.72
    male = np.where(
        position == 0, head_male[member], np.where(position == 1, ~head_male[member], rng.random(count) < 0.51)
    )
    ages = _ages(rng, position, sizes)
    birth = REFERENCE_DATE - (ages * 365.25 + rng.integers(1, 365, count)).astype("timedelta64[D]")
    birth_year = birth.astype("datetime64[Y]").astype(int) + 1970

    family = family_name_index(rng, southern)  # own family name (spouses keep theirs)
    family = np.where(position == 1, family, family[first])
    names = full_name_array(rng, male, family=family)

    birth_code = _birth_codes(rng, province)
    cccd = cccd_array(birth_code, male, birth_year, _cccd_serials(world, chunk, birth_code, male, birth_year))

    level = _education(rng, ages, urban, region_factor)
    occupation = _occupation(rng, ages, male, level, urban)
    income = _income(rng, occupation, level, ages, urban, region_factor)
    phones = phone_numbers(rng, count)
    has_phone = (ages >= 15) & (rng.random(count) < 0.95)
    columns = [
        digit_strings(np.arange(start + 1, start + count + 1), 9, prefix="P"),
        cccd,
        names,
        pa.array(["F", "M"], _STR).take(male.astype(np.int8)),
        pa.array(birth.astype("datetime64[ns]")),
        h_ids.take(member),
        world.commune_codes.take(commune),
        pa.array(EDUCATION_LEVELS, _STR).take(level),
        pa.array(OCCUPATIONS, _STR).take(occupation),
        pa.array(income),
        _employers(rng, world, province, occupation, urban),
        digit_strings(phones, 10, valid=has_phone),
    ]
    return households, pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["people"])


def _write_other_tables(
    rng: np.random.Generator,
    communes: pd.DataFrame,
    enterprises: pd.DataFrame,
    paths: dict[str, Path],
    wanted: frozenset[str],
) -> None:
    """Draw products and sales (after communes and enterprises, from the same ``rng``) and write the
    wanted tables among all but people and households."""
    products = _products(rng, enterprises) if wanted & {"products", "sales"} else None
    frames = {
        "provinces": _provinces,
        "communes": lambda: communes.drop(columns=["_province", "_p"]),
        "enterprises": lambda: enterprises.drop(columns=["_province", "_commune"]),
        "products": lambda: products.drop(columns=["_commune"]),  # type: ignore[union-attr]
        "sales": lambda: _sales(rng, products, communes),  # type: ignore[arg-type]
    }
    for table, frame in frames.items():
        if table in wanted:
            _write(frame(), table, paths[table])


def generate_reference(
    people: int,
    seed: int,
    out_dir: Path,
    *,
    chunk_size: int = 50_000,
    workers: int = 1,
    progress: bool = False,
    scheduler: Scheduler = "local",
    address: str | None = None,
    tables: Collection[str] = tuple(TABLE_SCHEMAS),
) -> dict[str, Path]:
    """Generate the reference tables of a synthetic Vietnam as Parquet files.

    Args:
        people: Number of people (≥ 1).
        seed: Random seed; the same ``(people, seed, chunk_size)`` gives byte-identical files,
            whatever ``workers``, ``scheduler`` or ``address``.
        out_dir: Folder to write ``<table>.parquet`` into (created if missing).
        chunk_size: People per independent chunk (chunk ``i`` is seeded from ``(seed, i)``).
        workers: Processes generating people chunks (1: in this process); with ``scheduler="dask"``
            and no ``address``, the workers of the LocalCluster started for the run.
        progress: Show a progress bar (people written) on stderr.
        scheduler: ``local`` or ``dask`` (chunks run on a Dask cluster, streamed back in order).
        address: Dask scheduler address (e.g. ``tcp://10.0.0.5:8786``); None starts a LocalCluster.
            The workers need no shared storage: each returns its chunk as Arrow tables and this
            process appends them, in chunk order, to the Parquet files in ``out_dir``.
        tables: The tables to write (default: all seven); a table's bytes do not depend on
            which others are written.

    Returns:
        Table name → Parquet path, for the written tables among provinces, communes, households,
        people, enterprises, products and sales.

    Raises:
        InputDataError: ``people``, ``chunk_size``, ``workers``, ``scheduler`` or ``tables`` out of range.
        SyntheticError: The Dask cluster cannot be reached.
    """
    if people < 1:
        raise InputDataError(f"people must be at least 1 (got {people})")
    if not 1 <= chunk_size <= _MAX_CHUNK:
        raise InputDataError(f"chunk_size must be within 1…{_MAX_CHUNK} (got {chunk_size})")
    if workers < 1:
        raise InputDataError(f"workers must be at least 1 (got {workers})")
    if scheduler not in SCHEDULERS:
        raise InputDataError(f"scheduler must be one of {', '.join(SCHEDULERS)} (got {scheduler!r})")
    most = _CCCD_SERIALS // _cccd_slots(chunk_size) * chunk_size
    if people > most:
        raise InputDataError(f"people must be at most {most:,} with chunk_size {chunk_size:,} (got {people:,})")
    wanted = frozenset(tables)
    if not wanted or wanted - set(TABLE_SCHEMAS):
        got = ", ".join(sorted(tables)) or "none"
        raise InputDataError(f"tables must be a non-empty choice of {', '.join(TABLE_SCHEMAS)} (got {got})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.parquet" for name in TABLE_SCHEMAS if name in wanted}

    rng = np.random.default_rng([seed, 2**31])
    communes = _communes(rng, int(np.clip(people // 15, 200, 3321)))
    enterprises = _enterprises(rng, communes, max(60, people // 40), seed)
    world = _world(seed, communes, enterprises, _cccd_slots(chunk_size))
    if not wanted & {"households", "people"}:
        _write_other_tables(rng, communes, enterprises, paths, wanted)
        return paths
    jobs = [(i, start, min(chunk_size, people - start)) for i, start in enumerate(range(0, people, chunk_size))]
    results = run_chunks(_people_chunk, world, jobs, workers=workers, scheduler=scheduler, address=address)
    writers = {
        t: pq.ParquetWriter(paths[t], TABLE_SCHEMAS[t], **_parquet_options(t))  # type: ignore[arg-type]
        for t in ("households", "people")
        if t in wanted
    }
    try:
        with tqdm(total=people, unit=" people", unit_scale=True, disable=not progress, desc="people") as bar:
            for index, chunk in enumerate(results):
                for table, part in zip(("households", "people"), chunk, strict=True):
                    if table in writers:
                        writers[table].write_table(part)
                bar.update(chunk[1].num_rows)
                if index == 0:  # the workers are on the next chunks: make the other tables meanwhile
                    _write_other_tables(rng, communes, enterprises, paths, wanted)
    finally:
        for writer in writers.values():
            writer.close()
    return paths
