"""Vietnamese reference facts the generators draw from (see /work/shared/vietnam-reference.md).

Figures are approximate defaults, not official statistics: provinces since 1 July 2025 with the
CCCD codes of the old provinces merged into them, rough population (millions) and urban share,
regional income factors, family-name shares, middle and given names, carrier prefixes, VSIC
sections and HS chapters.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AGE_BANDS",
    "CARRIER_PREFIXES",
    "FAMILY_NAMES",
    "FEMALE_GIVEN",
    "FEMALE_MIDDLE",
    "HS_PRODUCTS",
    "MALE_GIVEN",
    "MALE_MIDDLE",
    "PLACE_WORDS",
    "PROVINCES",
    "RARE_FAMILY_NAMES",
    "REGION_INCOME_FACTOR",
    "SOUTHERN_REGIONS",
    "SPECIAL_ZONES",
    "VSIC_SECTIONS",
    "Province",
]

RRD = "Red River Delta"
NMM = "Northern Midlands & Mountains"
NCC = "North Central & Central Coast"
CH = "Central Highlands"
SE = "Southeast"
MD = "Mekong Delta"


class Province(NamedTuple):
    """A provincial-level unit (2025): ``code`` is the 2-digit code of its first old province."""

    code: str
    name: str
    region: str
    cccd_codes: tuple[str, ...]
    population_m: float
    urban_share: float


def _p(name: str, region: str, codes: str, population_m: float, urban_share: float) -> Province:
    cccd = tuple(codes.split())
    return Province(cccd[0][1:], name, region, cccd, population_m, urban_share)


PROVINCES: tuple[Province, ...] = (
    _p("Hà Nội", RRD, "001", 8.7, 0.50),
    _p("Huế", NCC, "046", 1.2, 0.50),
    _p("Lai Châu", NMM, "012", 0.5, 0.18),
    _p("Điện Biên", NMM, "011", 0.6, 0.18),
    _p("Sơn La", NMM, "014", 1.3, 0.15),
    _p("Lạng Sơn", NMM, "020", 0.8, 0.22),
    _p("Quảng Ninh", RRD, "022", 1.4, 0.65),
    _p("Thanh Hóa", NCC, "038", 3.7, 0.22),
    _p("Nghệ An", NCC, "040", 3.4, 0.18),
    _p("Hà Tĩnh", NCC, "042", 1.3, 0.22),
    _p("Cao Bằng", NMM, "004", 0.55, 0.20),
    _p("Tuyên Quang", NMM, "008 002", 1.9, 0.17),
    _p("Lào Cai", NMM, "010 015", 1.8, 0.22),
    _p("Thái Nguyên", NMM, "019 006", 1.8, 0.33),
    _p("Phú Thọ", NMM, "025 026 017", 4.0, 0.27),
    _p("Bắc Ninh", RRD, "027 024", 3.6, 0.35),
    _p("Hưng Yên", RRD, "033 034", 3.6, 0.20),
    _p("Hải Phòng", RRD, "031 030", 4.7, 0.45),
    _p("Ninh Bình", RRD, "037 035 036", 4.4, 0.22),
    _p("Quảng Trị", NCC, "045 044", 1.9, 0.25),
    _p("Đà Nẵng", NCC, "048 049", 3.1, 0.45),
    _p("Quảng Ngãi", NCC, "051 062", 2.2, 0.25),
    _p("Gia Lai", CH, "064 052", 3.6, 0.30),
    _p("Khánh Hòa", NCC, "056 058", 2.2, 0.45),
    _p("Lâm Đồng", CH, "068 067 060", 3.9, 0.35),
    _p("Đắk Lắk", CH, "066 054", 3.3, 0.28),
    _p("Hồ Chí Minh", SE, "079 074 077", 14.0, 0.78),
    _p("Đồng Nai", SE, "075 070", 4.5, 0.42),
    _p("Tây Ninh", SE, "072 080", 3.3, 0.25),
    _p("Cần Thơ", MD, "092 094 093", 4.2, 0.40),
    _p("Vĩnh Long", MD, "086 083 084", 4.3, 0.20),
    _p("Đồng Tháp", MD, "087 082", 4.4, 0.22),
    _p("Cà Mau", MD, "096 095", 2.6, 0.28),
    _p("An Giang", MD, "089 091", 4.9, 0.33),
)

REGION_INCOME_FACTOR: dict[str, float] = {SE: 1.30, RRD: 1.18, NCC: 0.90, CH: 0.88, MD: 0.85, NMM: 0.68}
SOUTHERN_REGIONS: frozenset[str] = frozenset({SE, MD})

#: The 13 special zones (đặc khu) and the 2025 unit each belongs to.
SPECIAL_ZONES: tuple[tuple[str, str], ...] = (
    ("Vân Đồn", "Quảng Ninh"),
    ("Cô Tô", "Quảng Ninh"),
    ("Cát Hải", "Hải Phòng"),
    ("Bạch Long Vĩ", "Hải Phòng"),
    ("Cồn Cỏ", "Quảng Trị"),
    ("Lý Sơn", "Quảng Ngãi"),
    ("Hoàng Sa", "Đà Nẵng"),
    ("Trường Sa", "Khánh Hòa"),
    ("Phú Quý", "Lâm Đồng"),
    ("Côn Đảo", "Hồ Chí Minh"),
    ("Phú Quốc", "An Giang"),
    ("Kiên Hải", "An Giang"),
    ("Thổ Châu", "An Giang"),
)

#: Family-name shares (northern form, southern form, share); the remainder goes to the rare names.
FAMILY_NAMES: tuple[tuple[str, str, float], ...] = (
    ("Nguyễn", "Nguyễn", 0.38),
    ("Trần", "Trần", 0.12),
    ("Lê", "Lê", 0.095),
    ("Phạm", "Phạm", 0.07),
    ("Hoàng", "Huỳnh", 0.05),
    ("Phan", "Phan", 0.045),
    ("Vũ", "Võ", 0.04),
    ("Đặng", "Đặng", 0.02),
    ("Bùi", "Bùi", 0.02),
    ("Đỗ", "Đỗ", 0.014),
    ("Hồ", "Hồ", 0.013),
    ("Ngô", "Ngô", 0.013),
    ("Dương", "Dương", 0.01),
    ("Lý", "Lý", 0.005),
)
RARE_FAMILY_NAMES: tuple[str, ...] = (
    "Trương",
    "Đinh",
    "Lâm",
    "Phùng",
    "Mai",
    "Tô",
    "Trịnh",
    "Đoàn",
    "Lưu",
    "Cao",
    "Hà",
    "Tạ",
    "Châu",
    "Quách",
    "Thái",
    "Kiều",
    "La",
    "Lương",
    "Văn",
    "Từ",
    "Triệu",
    "Tăng",
    "Vương",
    "Khúc",
)

MALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Văn", 0.34),
    ("Đức", 0.10),
    ("Hữu", 0.08),
    ("Minh", 0.12),
    ("Quang", 0.08),
    ("Thanh", 0.06),
    ("Hoàng", 0.05),
    ("Gia", 0.05),
    ("Bảo", 0.04),
    ("Công", 0.04),
    ("Quốc", 0.04),
)
FEMALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Thị", 0.45),
    ("Ngọc", 0.12),
    ("Thanh", 0.07),
    ("Minh", 0.06),
    ("Thu", 0.06),
    ("Bảo", 0.05),
    ("Gia", 0.04),
    ("Hoàng", 0.04),
    ("Kim", 0.05),
    ("Phương", 0.06),
)
MALE_GIVEN: tuple[str, ...] = (
    "Anh",
    "Bình",
    "Cường",
    "Dũng",
    "Dương",
    "Đạt",
    "Đông",
    "Giang",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Huy",
    "Khang",
    "Khánh",
    "Khoa",
    "Kiên",
    "Long",
    "Lâm",
    "Mạnh",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Thịnh",
    "Trung",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "Anh",
    "Châu",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Hương",
    "Huyền",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Thảo",
    "Thu",
    "Thủy",
    "Trang",
    "Trâm",
    "Tuyết",
    "Uyên",
    "Vân",
    "Vy",
    "Yến",
)

#: (carrier, prefix, weight): market share spread over the carrier's prefixes.
_CARRIERS: tuple[tuple[str, float, str], ...] = (
    ("Viettel", 0.50, "086 096 097 098 032 033 034 035 036 037 038 039"),
    ("VinaPhone", 0.22, "088 091 094 081 082 083 084 085"),
    ("MobiFone", 0.20, "089 090 093 070 076 077 078 079"),
    ("Vietnamobile", 0.05, "092 056 058"),
    ("Gmobile", 0.03, "099 059"),
)
CARRIER_PREFIXES: tuple[tuple[str, str, float], ...] = tuple(
    (carrier, prefix, share / len(prefixes.split()))
    for carrier, share, prefixes in _CARRIERS
    for prefix in prefixes.split()
)

#: VSIC 2018 sections: (section, label, share of enterprises, revenue per employee, million VND/year).
VSIC_SECTIONS: tuple[tuple[str, str, float, float], ...] = (
    ("A", "Agriculture, forestry and fishing", 0.012, 600),
    ("B", "Mining and quarrying", 0.005, 2500),
    ("C", "Manufacturing", 0.16, 1800),
    ("D", "Electricity and gas", 0.004, 6000),
    ("E", "Water supply and waste", 0.006, 900),
    ("F", "Construction", 0.13, 1200),
    ("G", "Wholesale and retail trade", 0.38, 3500),
    ("H", "Transportation and storage", 0.055, 1400),
    ("I", "Accommodation and food services", 0.05, 500),
    ("J", "Information and communication", 0.03, 1500),
    ("K", "Finance and insurance", 0.01, 4000),
    ("L", "Real estate", 0.03, 2500),
    ("M", "Professional, scientific and technical", 0.06, 900),
    ("N", "Administrative and support services", 0.035, 700),
    ("P", "Education", 0.012, 400),
    ("Q", "Health", 0.006, 800),
    ("R", "Arts and recreation", 0.007, 600),
    ("S", "Other services", 0.008, 400),
)

#: Products: (6-digit HS code, product stem, category, typical unit price VND, VSIC sections making it).
HS_PRODUCTS: tuple[tuple[str, str, str, int, str], ...] = (
    ("030462", "Cá tra phi lê", "seafood", 120_000, "AG"),
    ("030617", "Tôm đông lạnh", "seafood", 250_000, "AG"),
    ("090111", "Cà phê Robusta", "coffee", 110_000, "ACG"),
    ("100630", "Gạo ST25", "rice", 35_000, "ACG"),
    ("080132", "Hạt điều", "cashew", 300_000, "ACG"),
    ("610910", "Áo thun dệt kim", "garments", 150_000, "CG"),
    ("620520", "Áo sơ mi", "garments", 280_000, "CG"),
    ("640411", "Giày thể thao", "footwear", 650_000, "CG"),
    ("841370", "Máy bơm nước", "machinery", 2_500_000, "CG"),
    ("851713", "Điện thoại di động", "electronics", 5_500_000, "CG"),
    ("854449", "Dây cáp điện", "electronics", 45_000, "CG"),
    ("940360", "Bàn ghế gỗ", "furniture", 3_200_000, "CG"),
    ("190230", "Bánh phở khô", "food", 25_000, "CG"),
    ("210390", "Nước mắm", "food", 60_000, "CG"),
)

#: Share of people in each 5-year age band 0–4 … 85–89, 90+ (≈ 2024 pyramid).
AGE_BANDS: tuple[float, ...] = (
    0.070,
    0.078,
    0.080,
    0.074,
    0.068,
    0.074,
    0.080,
    0.080,
    0.076,
    0.070,
    0.062,
    0.056,
    0.048,
    0.038,
    0.027,
    0.017,
    0.011,
    0.006,
    0.003,
)

#: Syllables common in commune and enterprise names.
PLACE_WORDS: tuple[str, ...] = (
    "An",
    "Bình",
    "Hòa",
    "Phú",
    "Tân",
    "Thạnh",
    "Long",
    "Phước",
    "Hưng",
    "Thuận",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Minh",
    "Quang",
    "Hồng",
    "Thanh",
    "Vĩnh",
    "Mỹ",
    "Xuân",
    "Hiệp",
    "Lợi",
    "Lộc",
    "Thịnh",
    "Phong",
    "Sơn",
    "Hải",
    "Đức",
    "Nghĩa",
    "Thái",
    "Khánh",
    "Định",
    "Hội",
    "Yên",
)
