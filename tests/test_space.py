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


class _Request:
    def __init__(self, query: str):
        self.query_params = dict(p.split("=", 1) for p in query.split("&")) if query else {}


def test_a_link_sets_only_the_tab_it_names():
    """GAN and the 2-D playground both have a `seed`: a playground link leaves the GAN's alone."""
    import app
    from ui import common
    restore, fields = common.restore_from_url(app.built)
    by_tab = {tab.id: tab.url_fields for tab in app.built}

    def restored(query):
        tab, *values = restore(_Request(query))
        return tab, {comp._id: v for comp, v in zip(fields, values) if v != {"__type__": "update"}}

    tab, values = restored("tab=playground&seed=5")
    assert tab.selected == "playground"
    assert values == {by_tab["playground"]["seed"]._id: 5}
    _, values = restored("tab=gan&seed=5&t=300")
    assert values == {by_tab["gan"]["seed"]._id: 5}                 # diffusion's and the playground's t untouched
    _, values = restored("seed=5")                                     # no tab: every tab's seed
    assert set(values) == {by_tab["gan"]["seed"]._id, by_tab["playground"]["seed"]._id}
    assert common.url_values(_Request("tab=playground&seed=5"), "gan", by_tab["gan"])["seed"] == \
        by_tab["gan"]["seed"].value
    assert common.url_values(_Request("tab=gan&seed=5"), "gan", by_tab["gan"])["seed"] == 5
