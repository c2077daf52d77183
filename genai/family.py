"""The seam between a model family and the rest of the package: one record per family.

A family's file (genai/gan.py, vae.py, diffusion.py, flow.py, classifier.py) ends with its
`FAMILY = Family(...)`; genai/families.py lists them. Training, fine-tuning, evaluation and
the app read what they need from the record and never test a family's name:

    fam = families.get("flow")
    model = fam.build(fam.config())
    losses = fam.train_step(model, fam.nets(model), opts, x, y, generator, cfg)

The record holds no model code, only pointers to it, so each family stays readable in its own
file and a new one is added by writing its file and one line in genai/families.py.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn


def whole_model(model: nn.Module) -> dict[str, nn.Module]:
    """The default `nets`: the optimiser updates the model itself."""
    return {"net": model}


def minimise(opts: dict[str, torch.optim.Optimizer], loss: torch.Tensor) -> dict[str, float]:
    """One step of the family's only optimiser on `loss`; its value for the history."""
    (opt,) = opts.values()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return {"loss": loss.item()}


@dataclass(frozen=True)
class Family:
    name: str                          # "gan", "vae2d", ...: the checkpoint folder and the command line
    model: type                        # the nn.Module class: model(config), with .config and .generate
    config: type                       # its architecture dataclass
    train_step: Callable               # (model, nets, opts, x, y, generator, cfg) -> {"loss...": float}
    nets: Callable = whole_model       # model -> {name: module}: what the optimisers update
    averaged: str = ""                 # the net whose running average (EMA) is what ships; "" = none
    betas: tuple = (0.9, 0.999)        # Adam's betas
    half: bool = True                  # ship the weights as float16 (half the file; the pictures do not change)
    draws: bool = True                 # generates digits (the classifier only judges them)
    conditional: bool = False          # asked for a digit: fine-tuning teaches a class and replays the others
    quick: dict = field(default_factory=dict)               # generate() settings for a quick look (history grids, previews)
    knobs: tuple = ()                  # generate()'s shared settings it takes: "steps", "guidance"
    # Evaluation (python -m genai.evaluate): the app's default generate() settings, measured as the
    # family's row; and the frontier scanned, (setting, values, a value also measured in full or None).
    defaults: dict = field(default_factory=dict)
    frontier: tuple = ()
    compared: bool = True              # has a column in the app's Compare tab (vae2d is the VAE's 2-D twin)
    arch_defaults: dict = field(default_factory=dict)       # architecture for this name (vae2d: a 2-D latent)
    train_defaults: dict = field(default_factory=dict)      # TrainConfig fields of `python -m genai.train NAME`
    new_critic: Callable | None = None  # (model, arch) -> the model with its critic started afresh (--new-critic)
    # Fine-tuning: the family's default settings (None: it does not fine-tune), what "last" trains,
    # and the embedding where a class lives (trained with LoRA too).
    finetune_defaults: dict | None = None
    tuned: Callable = lambda model: model          # the part fine-tuning's choice applies to; the rest trains fully
    last_layers: Callable | None = None
    class_embedding: Callable | None = None

    def build(self, arch=None) -> nn.Module:
        """A fresh model; arch defaults to this name's architecture."""
        return self.model(arch if arch is not None else self.config(**self.arch_defaults))

    def draw(self, model: nn.Module, n: int, seed: int) -> np.ndarray:
        """n quick digits, 0-9 in turn where the family is asked for a digit: uint8 (n, 28, 28)."""
        if self.conditional:
            return model.generate(np.arange(n) % 10, seed=seed, **self.quick)
        return model.generate(n=n, seed=seed, **self.quick)

    @property
    def kind(self) -> str:
        """The model class's family ("vae" for vae2d): which checkpoints can stand in for which."""
        return self.model.family

    def shipped_net(self, model: nn.Module) -> nn.Module | None:
        """The module of `model` that ships the average of nets()[averaged] (None: no EMA)."""
        return self.nets(model)[self.averaged] if self.averaged else None
