"""A small CNN digit classifier: the judge of the generative models.

It is trained on the training split of the offline digits (with small shifts and
rotations) and tested on the held-out split. Its verdicts give each generative
model's *conditional accuracy*, and its penultimate features give a Fréchet distance.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_images
from .family import Family, minimise


@dataclass(frozen=True)
class ClassifierConfig:
    width: int = 32
    n_classes: int = 10


class Classifier(nn.Module):
    family = "classifier"

    def __init__(self, cfg: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.config = cfg
        C = cfg.width
        self.features = nn.Sequential(
            nn.Conv2d(1, C, 3, 1, 1), nn.BatchNorm2d(C), nn.ReLU(),
            nn.Conv2d(C, C, 3, 1, 1), nn.BatchNorm2d(C), nn.ReLU(), nn.MaxPool2d(2),       # (B, C, 14, 14)
            nn.Conv2d(C, 2 * C, 3, 1, 1), nn.BatchNorm2d(2 * C), nn.ReLU(),
            nn.Conv2d(2 * C, 2 * C, 3, 1, 1), nn.BatchNorm2d(2 * C), nn.ReLU(), nn.MaxPool2d(2),  # (B, 2C, 7, 7)
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(2 * C * 49, 128), nn.ReLU(),      # (B, 128): features
        )
        self.head = nn.Linear(128, cfg.n_classes)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """(labels, probabilities (B, 10)) for images in [-1, 1]."""
        probs = torch.cat([F.softmax(self(check_images(x[i:i + batch])), 1) for i in range(0, len(x), batch)])
        return probs.argmax(1), probs

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch: int = 500) -> np.ndarray:
        """Penultimate-layer features, (B, 128): the space of the Fréchet distance."""
        return torch.cat([self.features(x[i:i + batch]) for i in range(0, len(x), batch)]).double().numpy()


def train_step(model: Classifier, nets: dict, opts: dict, x: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, cfg=None) -> dict[str, float]:
    return minimise(opts, F.cross_entropy(nets["net"](x), y))


FAMILY = Family(name="classifier", model=Classifier, config=ClassifierConfig, train_step=train_step,
                draws=False, half=False,       # float32: the judge's verdicts must not move
                train_defaults=dict(epochs=15, lr=1e-3, ema=0.0, augment=True))
