"""Privacy accounting of a differentially private replica, with OpenDP's noise and conversions.

A DP replica spends a budget of ρ-zero-concentrated DP (zCDP): every noisy measurement is an
OpenDP measurement (the Gaussian mechanism on counts, report-noisy-max with Gumbel noise for
the exponential mechanism), its cost is what OpenDP's privacy map says, and costs add up (zCDP
composes by summing ρ). The organiser states (ε, δ); the budget ρ is the largest one whose
OpenDP conversion to approximate DP (``make_zCDP_to_approxDP``) gives at most ε at that δ.
Neighbouring tables differ by one added or removed row (OpenDP's symmetric distance of 1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from typing import Any

import numpy as np
import opendp.prelude as dp

from synthetic.errors import InputDataError, SyntheticError

__all__ = ["ACCOUNTANT", "Charge", "ZcdpAccountant", "epsilon_of_rho", "rho_of_epsilon"]

dp.enable_features("contrib")

ACCOUNTANT = (
    f"zCDP (OpenDP {version('opendp')} privacy maps, summed), converted to (ε, δ)-DP by OpenDP's "
    "make_zCDP_to_approxDP; neighbours differ by one added or removed row"
)
_COUNTS = dp.vector_domain(dp.atom_domain(T=float, nan=False))
_RELATIVE_SLACK = 1e-9  # floating-point slack when checking that spending stays within the budget


def epsilon_of_rho(rho: float, delta: float) -> float:
    """The ε of ρ-zCDP at ``delta``, by OpenDP's conversion (of a Gaussian measurement costing ρ)."""
    if rho <= 0:
        return 0.0
    gaussian = dp.m.make_gaussian(_COUNTS, dp.l2_distance(T=float), scale=1.0)
    return float(dp.c.make_zCDP_to_approxDP(gaussian).map(math.sqrt(2.0 * rho)).epsilon(delta))


def rho_of_epsilon(epsilon: float, delta: float) -> float:
    """The largest ρ whose OpenDP conversion gives at most ``epsilon`` at ``delta`` (bisection).

    Raises:
        InputDataError: ε not positive and finite, or δ not within (0, 1).
    """
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise InputDataError(f"epsilon must be positive and finite (got {epsilon})")
    if not 0 < delta < 1:
        raise InputDataError(f"delta must be within (0, 1) (got {delta})")
    low, high = 0.0, epsilon  # ρ-zCDP gives ε ≥ ρ, so ρ ≤ ε
    for _ in range(100):
        middle = (low + high) / 2
        if epsilon_of_rho(middle, delta) <= epsilon:
            low = middle
        else:
            high = middle
    return low


@dataclass(frozen=True)
class Charge:
    """One noisy measurement: what it measured, its mechanism, sensitivity, noise scale and ρ."""

    step: str
    mechanism: str
    sensitivity: float
    scale: float
    rho: float


@dataclass
class ZcdpAccountant:
    """A ρ-zCDP budget for (ε, δ), spent by OpenDP measurements; refuses to overspend."""

    epsilon: float
    delta: float
    rho: float = 0.0
    charges: list[Charge] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rho = rho_of_epsilon(self.epsilon, self.delta)

    @property
    def spent(self) -> float:
        """ρ spent so far (the sum of the charges)."""
        return math.fsum(charge.rho for charge in self.charges)

    def _charge(self, step: str, mechanism: str, sensitivity: float, scale: float, rho: float) -> None:
        if self.spent + rho > self.rho * (1 + _RELATIVE_SLACK):
            raise SyntheticError(f"privacy budget exceeded at {step}: spent {self.spent} + {rho} > ρ {self.rho}")
        self.charges.append(Charge(step, mechanism, sensitivity, scale, float(rho)))

    def gaussian(self, counts: np.ndarray, scale: float, step: str, sensitivity: float = 1.0) -> np.ndarray:
        """``counts`` plus OpenDP Gaussian noise of ``scale`` (L2 sensitivity ``sensitivity``), charged."""
        measurement = dp.m.make_gaussian(_COUNTS, dp.l2_distance(T=float), scale=float(scale))
        self._charge(step, "gaussian", sensitivity, scale, measurement.map(float(sensitivity)))
        return np.asarray(measurement([float(value) for value in counts]), dtype=float)

    def exponential(self, scores: np.ndarray, epsilon: float, step: str, sensitivity: float = 1.0) -> int:
        """Index of a high score, by the exponential mechanism (OpenDP report-noisy-max, Gumbel), charged.

        ``epsilon`` is the exponential mechanism's pure-DP parameter; OpenDP's Gumbel scale for it
        is ``2 · sensitivity / epsilon`` and its zCDP cost ``epsilon² / 8``.
        """
        scale = 2.0 * sensitivity / epsilon
        measurement = dp.m.make_noisy_max(
            _COUNTS, dp.linf_distance(T=float), dp.zero_concentrated_divergence(), scale=scale
        )
        self._charge(
            step, "exponential (report noisy max, Gumbel)", sensitivity, scale, measurement.map(float(sensitivity))
        )
        return int(measurement([float(value) for value in scores]))

    def spent_epsilon(self) -> float:
        """ε of what was spent, at this accountant's δ (OpenDP's conversion)."""
        return epsilon_of_rho(self.spent, self.delta)

    def describe(self) -> dict[str, Any]:
        """The accounting for the dataset card: ε, δ, ρ budget and spent, and the charges by step."""
        steps: dict[str, dict[str, Any]] = {}
        for charge in self.charges:
            step = steps.setdefault(
                charge.step, {"mechanism": charge.mechanism, "measurements": 0, "rho": 0.0, "scales": set()}
            )
            step["measurements"] += 1
            step["rho"] += charge.rho
            step["scales"].add(round(charge.scale, 6))
        return {
            "epsilon": self.epsilon,
            "delta": self.delta,
            "rho_budget": self.rho,
            "rho_spent": self.spent,
            "epsilon_spent": self.spent_epsilon(),
            "accountant": ACCOUNTANT,
            "steps": {name: {**s, "scales": sorted(s["scales"])} for name, s in steps.items()},
        }

    def charges_as_dicts(self) -> list[dict[str, Any]]:
        """Every charge, as dicts (for tests and audits)."""
        return [asdict(charge) for charge in self.charges]
