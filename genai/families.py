"""Every model family, in one list: the only place that names them all (genai/family.py)."""

from . import classifier, diffusion, flow, gan, vae
from .family import Family

REGISTRY: dict[str, Family] = {f.name: f for f in (
    gan.FAMILY, vae.FAMILY, vae.FAMILY_2D, diffusion.FAMILY, flow.FAMILY, classifier.FAMILY)}
NAMES = tuple(REGISTRY)
GENERATIVE = tuple(n for n, f in REGISTRY.items() if f.draws)     # those that draw digits
COMPARED = tuple(n for n in GENERATIVE if REGISTRY[n].compared)                   # the Compare tab's columns
FINETUNABLE = tuple(n for n, f in REGISTRY.items() if f.finetune_defaults is not None)


def get(name: str) -> Family:
    """The family called `name`, or a ValueError naming the registered ones."""
    if name not in REGISTRY:
        raise ValueError(f"family must be one of {', '.join(NAMES)}; got {name!r:.40}")
    return REGISTRY[name]
