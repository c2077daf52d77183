"""The repository is a ready Hugging Face Space: its README front matter matches requirements.txt."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def front_matter() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "README must open with the Space front matter"
    block = text[4:text.index("\n---", 4)]
    return {k.strip(): v.strip().strip('"') for k, v in (line.split(":", 1) for line in block.splitlines() if ":" in line)}


def test_front_matter_matches_requirements():
    meta = front_matter()
    pins = dict(re.findall(r"^([\w-]+)==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M))
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == pins["gradio"]
    assert (ROOT / meta["app_file"]).is_file()
    assert re.fullmatch(r"3\.\d+", meta["python_version"])
    assert 0 < len(meta["short_description"]) <= 60


def test_app_listens_where_told(monkeypatch):
    source = (ROOT / "app.py").read_text()
    assert 'os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")' in source
    assert "share=False" in source
