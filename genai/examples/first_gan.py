"""The first GAN, fixed: a beginner's GAN with seven faults, what each one does, and the fix.

    python -m genai.examples.first_gan --seconds 60 --threads 1

Articles that introduce GANs often end with "your first GAN in PyTorch": two small MLPs and a
loop. The version many readers meet cannot run, and would not learn if it did. `naive_*` below
is our own rewrite with the same seven faults, kept on purpose; `show_faults()` runs each one and
reports what happened (the error text, or numbers measured on the spot). Then `Generator`,
`Discriminator`, `d_loss`, `g_loss` and `train` are the same two MLPs with the faults fixed,
trained on the offline digits (genai.data.load_digits): the smallest GAN that works.

Notation (Goodfellow et al. 2014, "Generative Adversarial Nets"):

    z        noise, (B, 100) standard normal          G(z)   a fake, (B, 784) pixels in [-1, 1]
    x        real digits, (B, 784) in [-1, 1]         D(x)   the critic's probability that x is real
    d_logit  D's score before the sigmoid: D(x) = sigmoid(d_logit)

    L_D = -E[log D(x)] - E[log(1 - D(G(z)))]           (eq. 1: D maximises its log-likelihood)
    L_G = -E[log D(G(z))]                              (the "non-saturating" loss of section 3)
"""

import argparse
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_range, check_seed
from ..data import load_digits
from ..images import from_uint8, to_uint8

Z_DIM, HIDDEN, PIXELS = 100, 256, 28 * 28      # the article's sizes, kept in the fixed version
MAX_SECONDS = 600.0


# ============================================================================ the naive version
# Our own rewrite, faults kept on purpose. Each is numbered; show_faults() demonstrates them.

class NaiveGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        # Fault 1: ReLU *and* sigmoid on the output. sigmoid(relu(a)) >= sigmoid(0) = 0.5, so no
        # pixel can ever be darker than mid-grey: a digit's black background is out of reach.
        self.net = nn.Sequential(nn.Linear(Z_DIM, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, PIXELS),
                                 nn.ReLU(), nn.Sigmoid())

    def forward(self, z):
        return self.net(z)


class NaiveDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(PIXELS, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


def naive_loss(D_real: torch.Tensor, D_fake: torch.Tensor) -> torch.Tensor:
    """Fault 2: mean(log D(real)) - mean(log(1 - D(fake))), minimised as it stands. Minimising it
    pushes D(real) towards 0 and, through G, D(fake) towards 0 too: G learns to look *less* real."""
    return torch.mean(torch.log(D_real)) - torch.mean(torch.log(1 - D_fake))


def naive_real_data(batch_size: int) -> torch.Tensor:
    """Fault 3: "real data" that is Gaussian noise, not digits (half of it negative, where the
    generator's pixels live in [0.5, 1])."""
    return torch.randn(batch_size, PIXELS)


def naive_step(G, D, real_data, z):
    """Fault 4: `D_real = D_real(real_data)` uses the name it is about to create."""
    D_real = D_real(real_data)      # noqa: F823  (the fault on show)
    D_fake = D(G(z))
    return naive_loss(D_real, D_fake)


def naive_train(model, data_loader, num_epochs, batch_size, learning_rate):
    """The article's training function: one model and a data loader."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    for _ in range(num_epochs):
        for real_data in data_loader:
            optimizer.zero_grad()
            loss = model(real_data).mean()
            loss.backward()
            optimizer.step()


def naive_main(G, D):
    """Fault 5: `train(G, D, ...)` hands D to a function that wants (model, data_loader, ...)."""
    naive_train(G, D, 1, 64, 2e-4)


def naive_loop(G, D, num_epochs: int = 1):
    """Fault 6: `for real_data in data_loader`, but no data loader is ever made."""
    for _ in range(num_epochs):
        for real_data in data_loader:      # noqa: F821  (the fault on show)
            pass


def naive_training(steps: int = 200, batch_size: int = 64, seed: int = 0) -> dict:
    """Faults 1, 2, 3 and 7 together, the parts of the article's loop that do run.

    Fault 7: one Adam optimiser over G's parameters only, so D never learns. Returns the curves
    measured at every step: D's verdicts on real and fake data, the naive loss, and how far
    D's weights moved."""
    torch.manual_seed(seed)
    G, D = NaiveGenerator(), NaiveDiscriminator()
    D_before = [p.detach().clone() for p in D.parameters()]
    optimizer = torch.optim.Adam(G.parameters(), lr=2e-4)          # fault 7: G's parameters only
    curves = {"loss": [], "D_real": [], "D_fake": []}
    for _ in range(steps):
        real_data = naive_real_data(batch_size)
        z = torch.randn(batch_size, Z_DIM)
        D_real, D_fake = D(real_data), D(G(z))
        loss = naive_loss(D_real, D_fake)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curves["loss"].append(loss.item())
        curves["D_real"].append(D_real.mean().item())
        curves["D_fake"].append(D_fake.mean().item())
    with torch.no_grad():
        fake = G(torch.randn(256, Z_DIM))
    curves["D_weight_change"] = max((p - q).abs().max().item() for p, q in zip(D.parameters(), D_before))
    curves["fake_min"] = fake.min().item()
    curves["fake"] = fake
    return curves


# ============================================================================ what each fault does

@dataclass
class Fault:
    """One fault of the naive version: its number, the line in words, and what running it did."""
    number: int
    key: str
    line: str
    shown: str
    numbers: dict = field(default_factory=dict)


def _error_of(fn, *args) -> str:
    """Run fn(*args) and return the exception it raises as Python prints it ("" if none)."""
    try:
        fn(*args)
    except Exception as e:       # the faults raise different kinds: show whichever it is
        return f"{type(e).__name__}: {e}"
    return ""


def _spread(values: list[float]) -> float:
    """max - min of a curve: how far it moved."""
    return max(values) - min(values)


def show_faults(steps: int = 100, seed: int = 0) -> list[Fault]:
    """Run every fault of the naive version and report what it did, measured now."""
    check_range("steps", steps, 10, 5000, integer=True)
    seed = check_seed(seed)
    torch.manual_seed(seed)
    G, D = NaiveGenerator(), NaiveDiscriminator()
    z = torch.randn(8, Z_DIM)
    run = naive_training(steps=steps, seed=seed)
    noise = naive_real_data(4096)
    first, last = slice(0, 20), slice(-20, None)
    mean = lambda values: sum(values) / len(values)        # noqa: E731
    d_fake_start, d_fake_end = mean(run["D_fake"][first]), mean(run["D_fake"][last])
    errors = {4: _error_of(naive_step, G, D, noise[:8], z), 5: _error_of(naive_main, G, D),
              6: _error_of(naive_loop, G, D)}
    return [
        Fault(1, "output_relu_sigmoid", "G's output goes through ReLU and then sigmoid",
              f"after {steps} steps the darkest pixel of 256 fakes is {run['fake_min']:.3f}: "
              "sigmoid(relu(a)) is never below 0.5, so the black background is out of reach",
              {"steps": steps, "fake_min": run["fake_min"]}),
        Fault(2, "loss_sign", "loss = mean(log D(real)) - mean(log(1 - D(fake))), minimised as is",
              f"minimising it drives D(fake) from {d_fake_start:.3f} to {d_fake_end:.3f}: "
              "G learns to look less real, the opposite of the goal",
              {"D_fake_start": d_fake_start, "D_fake_end": d_fake_end}),
        Fault(3, "noise_as_data", "the 'real data' is torch.randn: Gaussian noise",
              f"{(noise < 0).float().mean().item():.0%} of its values are negative and "
              f"{((noise < 0) | (noise > 1)).float().mean().item():.0%} lie outside [0, 1], where a sigmoid's outputs live: "
              "there are no digits to learn",
              {"negative_share": (noise < 0).float().mean().item(),
               "outside_share": ((noise < 0) | (noise > 1)).float().mean().item()}),
        Fault(4, "name_before_defined", "D_real = D_real(real_data)", errors[4], {"error": errors[4]}),
        Fault(5, "train_signature", "train(G, D, ...) for train(model, data_loader, num_epochs, batch_size, "
              "learning_rate)", errors[5], {"error": errors[5]}),
        Fault(6, "no_data_loader", "for real_data in data_loader, with no data loader made", errors[6],
              {"error": errors[6]}),
        Fault(7, "one_optimiser", "one Adam optimiser over G's parameters only",
              f"D's largest weight change after {steps} steps: {run['D_weight_change']:.1g}; its verdict on "
              f"real data stays flat ({min(run['D_real']):.3f}-{max(run['D_real']):.3f}): D never learns",
              {"steps": steps, "D_weight_change": run["D_weight_change"], "D_real_min": min(run["D_real"]),
               "D_real_max": max(run["D_real"]), "D_real_spread": _spread(run["D_real"])}),
    ]


# ============================================================================ the fixed version

class Generator(nn.Module):
    """The article's MLP, fixed: LeakyReLU keeps gradients for negative inputs, and tanh puts
    pixels in [-1, 1], the range of the data (fixes fault 1)."""

    def __init__(self, z_dim: int = Z_DIM, hidden: int = HIDDEN):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.LeakyReLU(0.2),     # (B, 256)
                                 nn.Linear(hidden, PIXELS), nn.Tanh())             # (B, 784) in [-1, 1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """The article's critic, returning the logit: the sigmoid lives inside the loss, where
    PyTorch computes log(sigmoid) without overflow."""

    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(PIXELS, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)                  # (B,) d_logit


def d_loss(D: nn.Module, x: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """L_D = -E[log D(x)] - E[log(1 - D(G(z)))]: D learns to say 1 for real, 0 for fake (fault 2)."""
    real_logit, fake_logit = D(x), D(fake)
    return (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
            + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))


def g_loss(D: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """L_G = -E[log D(G(z))]: G learns to make D say 1 (non-saturating: strong gradients early)."""
    fake_logit = D(fake)
    return F.binary_cross_entropy_with_logits(fake_logit, torch.ones_like(fake_logit))


@dataclass(frozen=True)
class FirstGANConfig:
    z_dim: int = Z_DIM
    hidden: int = HIDDEN
    batch_size: int = 64
    lr: float = 5e-4              # a minute is few steps on a busy CPU: at 700 steps 2e-4 had drawn no digit yet
    beta1: float = 0.5            # Adam's momentum, lowered as in DCGAN: the target moves every step
    n_samples: int = 16           # fixed noise, drawn at every progress report
    seed: int = 0


@dataclass
class Progress:
    """What train() yields: the step reached, seconds spent, mean losses since the last report,
    and the fixed noise's samples, uint8 (n_samples, 28, 28)."""
    step: int
    seconds: float
    loss_d: float
    loss_g: float
    samples: np.ndarray
    done: bool = False


def digit_loader(batch_size: int, seed: int = 0) -> torch.utils.data.DataLoader:
    """The training digits, flattened to (B, 784), shuffled every epoch (fixes faults 3 and 6)."""
    x, _ = load_digits(split="train")
    data = torch.utils.data.TensorDataset(x.flatten(1))
    return torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=True,
                                       generator=torch.Generator().manual_seed(seed))


def train(cfg: FirstGANConfig = FirstGANConfig(), seconds: float = 60.0, max_steps: int | None = None,
          report_every: float = 1.0, loader=None) -> Iterator[Progress]:
    """Train G and D on the digits, yielding Progress about every `report_every` seconds and once at
    the end (done=True). Stops after `seconds`, or `max_steps` steps when given. The caller can
    stop early by no longer iterating: nothing is left running."""
    seconds = check_range("seconds", seconds, 0.0, MAX_SECONDS)
    if max_steps is not None:
        max_steps = check_range("max_steps", max_steps, 1, 10**7, integer=True)
    torch.manual_seed(cfg.seed)
    G, D = Generator(cfg.z_dim, cfg.hidden), Discriminator(cfg.hidden)
    # Fix for faults 5 and 7: two optimisers, each over its own network.
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    loader = loader if loader is not None else digit_loader(cfg.batch_size, cfg.seed)
    fixed_z = torch.randn(cfg.n_samples, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed))
    step, start, last_report = 0, time.perf_counter(), -math.inf
    sums = [0.0, 0.0, 0]

    def report(done: bool) -> Progress:
        with torch.no_grad():
            samples = to_uint8(G(fixed_z).view(-1, 1, 28, 28))
        n = max(sums[2], 1)
        progress = Progress(step, time.perf_counter() - start, sums[0] / n, sums[1] / n, samples, done)
        sums[:] = [0.0, 0.0, 0]
        return progress

    while True:
        for (x,) in loader:
            elapsed = time.perf_counter() - start
            if elapsed >= seconds or (max_steps is not None and step >= max_steps):
                yield report(done=True)
                return
            z = torch.randn(len(x), cfg.z_dim)
            fake = G(z)
            # (1) update D: maximise log D(x) + log(1 - D(G(z))); detach so only D learns here
            loss_d = d_loss(D, x, fake.detach())
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            # (2) update G: maximise log D(G(z))
            loss_g = g_loss(D, fake)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            step += 1
            sums[0] += loss_d.item()
            sums[1] += loss_g.item()
            sums[2] += 1
            if elapsed - last_report >= report_every:
                last_report = elapsed
                yield report(done=False)


def digit_share(images: np.ndarray, classifier, reference: torch.Tensor | None = None,
                threshold: float = 0.9, k: int = 3) -> float:
    """The share of uint8 (B, 28, 28) images that read as digits: the classifier gives one class
    probability >= `threshold`, *and* the image's classifier features lie within the k-th-neighbour
    radius of some reference digit's (the "improved precision" of Kynkaanniemi et al. 2019).
    Confidence alone is no judge: a grey square can get 99% "8". Reference: the held-out digits."""
    x = from_uint8(np.asarray(images))
    _, probs = classifier.predict(x)
    confident = probs.max(1).values >= threshold
    if reference is None:
        reference = load_digits(split="test")[0]
    ref = torch.from_numpy(classifier.embed(reference)).float()                 # (R, 128)
    radii = torch.cdist(ref, ref).kthvalue(k + 1, dim=1).values               # k-th neighbour, not itself
    near = (torch.cdist(torch.from_numpy(classifier.embed(x)).float(), ref) <= radii).any(1)
    return (confident & near).float().mean().item()


# ============================================================================ command line

def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="training time (default 60)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=256, help="samples the classifier judges at the end")
    p.add_argument("--out", default="", help="save the last samples as a PNG grid here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    print("The naive first GAN, fault by fault:")
    for fault in show_faults(seed=args.seed):
        print(f"  {fault.number}. {fault.line}\n     -> {fault.shown}")

    print(f"\nThe fixed GAN, {args.seconds:g} s on the digits:")
    cfg = FirstGANConfig(seed=args.seed, n_samples=args.samples)
    for progress in train(cfg, seconds=args.seconds, report_every=5.0):
        print(f"  step {progress.step:6d}  {progress.seconds:5.1f} s  loss_D {progress.loss_d:.3f}  "
              f"loss_G {progress.loss_g:.3f}")
    import genai
    classifier = genai.load("classifier")
    share = digit_share(progress.samples, classifier)
    naive = to_uint8(naive_training(steps=100, seed=args.seed)["fake"].view(-1, 1, 28, 28) * 2 - 1)
    real = to_uint8(load_digits(split="train")[0][:args.samples])
    print(f"\nRead as digits (see digit_share), {args.samples} samples each: fixed GAN {share:.0%}, "
          f"naive GAN {digit_share(naive, classifier):.0%}, real training digits {digit_share(real, classifier):.0%}")
    if args.out:
        from PIL import Image

        from ..images import grid
        Image.fromarray(grid(progress.samples[:64], cols=8)).save(args.out)
        print(f"samples saved to {args.out}")


if __name__ == "__main__":
    main()
