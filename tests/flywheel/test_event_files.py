"""Events files read as they stream: CSV and JSON Lines, a file that is not UTF-8 (a GBK
export) refused before anything is stored, a bad line further on rejected by its line with
the rest kept, and an ingest that holds a chunk at a time. zh first, en second."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import ZhenxinError
from flywheel import ingest as ingest_mod
from flywheel.event_files import SNIFF, check_file, read_events, read_rows
from flywheel.events import Rejected
from flywheel.service import FlywheelService
from tests.flywheel.conftest import customer, ev, make_pack

Make = Callable[..., FlywheelService]


def _jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
    )
    return path


def test_csv_and_jsonl_rows(tmp_path: Path) -> None:
    csv_file = tmp_path / "e.csv"
    csv_file.write_text(
        "id,customer_id,type,at,product,text,criticism\n"
        "e1,qs-1,purchased,2026-11-01,serum,,\n"
        'e2,qs-1,replied,2026-11-02,,"好用，\n第二行",no\n'
        "e3,qs-1,replied,2026-11-03,,too greasy,yes\n",
        encoding="utf-8",
    )
    rows = list(read_rows(csv_file))
    assert rows[0] == (
        2,
        {
            "id": "e1",
            "customer_id": "qs-1",
            "type": "purchased",
            "at": "2026-11-01",
            "product": "serum",
        },
    )
    assert rows[1][0] == 3 and rows[1][1]["text"] == "好用，\n第二行"  # type: ignore[index]
    assert rows[1][1]["criticism"] is False  # type: ignore[index]
    assert rows[2][0] == 5 and rows[2][1]["criticism"] is True  # type: ignore[index]
    jl = tmp_path / "e.jsonl"
    jl.write_bytes(
        b"\xef\xbb\xbf"  # a BOM, as Windows tools write
        + b'{"id": "e1", "customer_id": "c", "type": "sent", "at": "2026-11-01"}\n\n'
        + b'{"id": "e2", "customer_id": "c", "type": "sent", "at": "2026-11-02"}\n'
    )
    assert [(n, i["id"]) for n, i in read_rows(jl)] == [(1, "e1"), (3, "e2")]  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.csv", "id,who\n1,2\n", "unknown columns"),
        ("e.txt", "", "unknown events file type"),
    ],
)
def test_a_file_no_row_of_which_can_be_read_is_refused_at_once(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ZhenxinError, match=message):
        read_events(tmp_path / name)  # before a row is taken
    with pytest.raises(ZhenxinError, match="cannot read"):
        read_events(tmp_path / "missing.csv")


def test_a_gbk_export_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    gbk = tmp_path / "events.csv"
    gbk.write_bytes(
        "id,customer_id,type,at,text\nr1,qs-1,replied,2026-11-02,很好用\n".encode("gbk")
    )
    with pytest.raises(ZhenxinError, match=r"not valid UTF-8 \(line 2\)") as caught:
        read_events(gbk)
    assert "UTF-8" in (caught.value.hint or "")


def test_lines_that_cannot_be_events_are_rejected_by_line_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    good = ev("e1", "c", "sent", "2026-11-01")
    path = tmp_path / "e.jsonl"
    filler = b"".join(
        json.dumps(ev(f"f{n}", "c", "sent", "2026-11-01")).encode() + b"\n"
        for n in range(SNIFF // 60)
    )  # past what the UTF-8 check reads
    path.write_bytes(
        json.dumps(good).encode()
        + b"\n"
        + b"{nope\n"
        + b"[1, 2]\n"
        + filler
        + '{"id": "r1", "customer_id": "c", "type": "replied", "text": "好"}\n'.encode("gbk")
        + json.dumps(ev("e2", "c", "sent", "2026-11-02")).encode()
        + b"\n"
    )
    items = list(read_events(path))
    assert items[0] == good and items[-1]["id"] == "e2"  # type: ignore[index]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [r.error for r in rejected] == [
        "line 2 is not JSON: Expecting property name enclosed in double quotes",
        "line 3 is not a JSON object",
        f"line {4 + SNIFF // 60} is not valid UTF-8",
    ]
    csv_file = tmp_path / "e.csv"
    csv_file.write_bytes(
        b"id,customer_id,type,at,text\n"
        + b"".join(f"f{n},c,sent,2026-11-01,\n".encode() for n in range(SNIFF // 20))
        + "r1,c,replied,2026-11-02,不好用\n".encode("gbk")
        + b"e2,c,sent,2026-11-02,\n"
    )
    rows = list(read_rows(csv_file))
    assert rows[-2] == (
        2 + SNIFF // 20,
        Rejected(SNIFF // 20, None, f"line {2 + SNIFF // 20} is not valid UTF-8"),
    )
    assert rows[-1][1]["id"] == "e2"  # type: ignore[index]


def test_an_ingest_of_a_file_keeps_every_good_line_and_names_the_bad(
    make_flywheel: Make, tmp_path: Path
) -> None:
    fw = make_flywheel(make_pack("zh", [customer("qs-1", bought=["2026-10-01"])]))
    path = tmp_path / "e.jsonl"
    path.write_text(
        json.dumps(ev("e1", "qs-1", "sent", "2026-10-04"))
        + "\n{nope\n"
        + json.dumps(
            ev("e2", "qs-1", "replied", "2026-10-05", text="谢谢，用着挺好"), ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    result = fw.ingest("qingshui", read_events(path))
    assert result.accepted == 2
    assert [(r.index, r.error) for r in result.rejected] == [
        (1, "line 2 is not JSON: Expecting property name enclosed in double quotes")
    ]
    problems = check_file(path, customers={"qs-1"}, products={"serum"})
    assert [str(p) for p in problems] == [
        "e.jsonl:line 2: not JSON: Expecting property name enclosed in double quotes"
    ]


def test_an_ingest_holds_a_chunk_at_a_time(
    make_flywheel: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk is written before the next is read: a file of any size fits in memory."""
    fw = make_flywheel(make_pack("en", [customer("sb-1", bought=["2026-10-01"])]))
    monkeypatch.setattr(ingest_mod, "CHUNK", 3)
    taken = 0
    read_when_written: list[int] = []

    def stream() -> Iterator[dict[str, Any]]:
        nonlocal taken
        for n in range(10):
            taken += 1
            yield ev(f"e{n}", "sb-1", "sent", f"2026-10-{n + 2:02d}")
        taken += 1
        yield ev("e0", "sb-1", "sent", "2026-10-02")  # a repeat of a chunk written before

    real = ingest_mod.Ingest._ingest_chunk

    def spy(self: ingest_mod.Ingest, *args: Any) -> None:
        read_when_written.append(taken)
        real(self, *args)

    monkeypatch.setattr(ingest_mod.Ingest, "_ingest_chunk", spy)
    result = fw.ingest("slowbrew", stream())
    assert read_when_written == [3, 6, 9, 11]
    assert (result.accepted, result.duplicates, result.rejected) == (10, 1, [])
