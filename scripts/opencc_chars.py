"""Write ``evals/hk2s_chars.json``: every character OpenCC's ``hk2s`` conversion may change,
read from the dictionaries of the installed OpenCC (with the ``opencc_dict`` tool its wheel
ships), so that :func:`evals.normalise.normalise` can skip OpenCC for a text without one.

    python -m scripts.opencc_chars           # rewrite the file
    python -m scripts.opencc_chars --check   # exit 1 if the file is not what it writes

Why the set is enough: ``hk2s`` normalises compatibility ideographs, then converts each
segment with two dictionary groups in turn, each by longest match from left to right. A match
whose value is its key (or no match) leaves the text as it is; a match that changes it has a
key holding one of these characters: for a key as long as its value, a character where the
two differ; for any other key, every character of it. So a text with none of them comes out of
every step unchanged. (Characters that come back to themselves, such as 么 → 麼 → 么, are in
the set all the same: it may say "convert" in vain, never "don't" in vain.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import opencc

from evals.normalise import CHANGES_FILE, OPENCC_CONFIG


def _share() -> Path:
    return Path(opencc.__file__).parent / "clib" / "share" / "opencc"


def _dictionaries(config: dict[str, object]) -> list[str]:
    """The dictionary files a conversion's config uses to change text (normalisation and
    conversion chain; the segmentation dictionary only splits)."""
    files: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "ocd2" and isinstance(node.get("file"), str):
                files.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config.get("normalization", []))
    walk(config.get("conversion_chain", []))
    return files


def changeable(config_name: str = OPENCC_CONFIG) -> str:
    """The characters ``config_name`` may change, sorted."""
    share = _share()
    config = json.loads((share / f"{config_name}.json").read_text("utf-8"))
    tool = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
    chars: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for name in _dictionaries(config):
            out = Path(tmp) / f"{name}.txt"
            subprocess.run(
                [str(tool), "-i", str(share / name), "-o", str(out), "-f", "ocd2", "-t", "text"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            for line in out.read_text("utf-8").splitlines():
                if not line.strip():
                    continue
                key, values = line.split("\t", 1)
                value = values.split(" ")[0]  # OpenCC writes the first value
                if key == value:
                    continue
                if len(key) == len(value):
                    chars |= {k for k, v in zip(key, value, strict=True) if k != v}
                else:
                    chars |= set(key)
    return "".join(sorted(chars))


def expected() -> str:
    data = {"config": OPENCC_CONFIG, "opencc": opencc.__version__, "chars": changeable()}
    return json.dumps(data, ensure_ascii=False, indent=0) + "\n"


def main(argv: list[str]) -> int:
    text = expected()
    if "--check" in argv:
        if CHANGES_FILE.read_text("utf-8") != text:
            print(f"{CHANGES_FILE} is out of date: python -m scripts.opencc_chars")
            return 1
        return 0
    CHANGES_FILE.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
