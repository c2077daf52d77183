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


class _Request:
    def __init__(self, query: str):
        self.query_params = dict(p.split("=", 1) for p in query.split("&")) if query else {}


def test_a_link_sets_only_the_tab_it_names():
    """GAN and the 2-D playground both have a `seed`: a playground link leaves the GAN's alone."""
    import app
    from ui import gan_tab, links
    by_tab = {tab.id: tab.url_fields for tab in app.built}

    def restored(query):
        """{component id: value} of what the link sets, over every tab."""
        return {comp._id: v for tab in app.built for comp, v in zip(tab.url_fields.values(), links.link_updates(query, tab))
                if v != {"__type__": "update"}}

    assert restored("tab=playground&seed=5") == {by_tab["playground"]["seed"]._id: 5}
    assert restored("?tab=gan&seed=5&t=300") == {by_tab["gan"]["seed"]._id: 5}   # diffusion's and the playground's t untouched
    assert set(restored("seed=5")) == {by_tab["gan"]["seed"]._id, by_tab["playground"]["seed"]._id}  # no tab: every tab's
    assert restored("tab=gan&seed=oops&digit=12&trunc=99") == {by_tab["gan"]["trunc"]._id: gan_tab.TRUNC_MAX}  # checked, clipped
    assert restored("") == {}
    assert links.url_values(_Request("tab=playground&seed=5"), "gan", by_tab["gan"])["seed"] == \
        by_tab["gan"]["seed"].value
    assert links.url_values(_Request("tab=gan&seed=5"), "gan", by_tab["gan"])["seed"] == 5
