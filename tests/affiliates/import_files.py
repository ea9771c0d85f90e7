"""Import files for the tests: the 500-webmaster file of issue 3 and its broken twin."""

import csv
import io

import openpyxl

AFFILIATE_HEADER = [
    "email",
    "name",
    "kind",
    "site_url",
    "site_name",
    "site_category",
    "placement_code",
    "position",
    "daily_guarantee",
    "click_rate",
    "contract_start",
    "contract_end",
    "bd_owner_email",
]
KINDS = ["webmaster", "content", "cashback", "influencer"]
POSITIONS = ["bottom_left", "bottom_right", "banner", "sidebar", "text_link"]


def webmaster_rows(count: int = 500, *, owner: str = "") -> list[dict[str, str]]:
    """``count`` webmasters, one site and one placement each (half with a given code)."""
    return [
        {
            "email": f"wm{n:04d}@publisher.example",
            "name": f"Publisher {n}",
            "kind": KINDS[n % 4],
            "site_url": f"https://site{n:04d}.example.org/",
            "site_name": f"Site {n}",
            "site_category": ["deals", "news", "tech"][n % 3],
            "placement_code": f"IMP{n:04d}" if n % 2 == 0 else "",
            "position": POSITIONS[n % 5],
            "daily_guarantee": "500.00",
            "click_rate": "0.10",
            "contract_start": "2026-01-01",
            "contract_end": "2026-12-31" if n % 3 == 0 else "",
            "bd_owner_email": owner,
        }
        for n in range(count)
    ]


def to_csv(
    rows: list[dict[str, str]], header: list[str] | None = None, *, bom: bool = False
) -> bytes:
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def to_xlsx(rows: list[dict[str, object]], header: list[str] | None = None) -> bytes:
    header = header or list(rows[0])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name, "") for name in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def broken_webmaster_rows() -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """The 500-webmaster file with four bad rows, and the (line, column) each must report.
    Data row ``i`` (0-based) is file line ``i + 2`` (the header is line 1)."""
    rows = webmaster_rows()
    rows[10]["email"] = "not-an-email"
    rows[120]["position"] = "top_middle"
    rows[250]["daily_guarantee"] = "-5"
    rows[400]["placement_code"] = rows[2]["placement_code"]  # IMP0002, already on line 4
    expected = [(12, "email"), (122, "position"), (252, "daily_guarantee"), (402, "placement_code")]
    return rows, expected
