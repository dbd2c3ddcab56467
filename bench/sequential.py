"""Group-sequential seeding: add seeds in pre-declared looks without losing error control.

Re-testing at full α after every added seed (optional stopping) raises the false-positive
rate above α.  A group-sequential design fixes, before any run, the seed counts at which
the data are looked at (``looks``, from the suite's seeds up to ``--max-seeds``) and how
much of α each look may spend (Lan & DeMets 1983):

* O'Brien–Fleming-type spending (default) ``α(t) = 2 − 2Φ(z_{1−α/2} / √t)`` keeps almost
  all of α for the last look, so an early stop needs overwhelming evidence;
* Pocock-type spending ``α(t) = α · ln(1 + (e − 1) t)`` spends evenly, stopping earlier
  at the price of a stricter last look.

``t = seeds / max seeds`` is the information fraction.  The boundaries are computed for
the canonical joint distribution of the look statistics (Z_k, Corr(Z_i, Z_j) = √(n_i/n_j))
by the recursive numerical integration of Armitage, McPherson & Rowe (1969) (Jennison &
Turnbull 2000, ch. 19); a test checks them against scipy's multivariate normal.  The seed
statistics are t statistics with few degrees of freedom, so each look compares the
t-test's two-sided p-value with the boundary's nominal p-value (the "significance level
approach", Jennison & Turnbull 2000, §11.1).

Several variants form one Holm family (Maurer & Bretz 2013, "Multiple testing in group
sequential trials using graphical approaches", the Holm case): every variant still in
the family S is tested with the design at level α/|S|; when one crosses its boundary at
any look so far it is rejected and the others are re-tested -- at their looks so far --
with the design at level α/(|S| − 1), and so on.  This is a shortcut of a closed test
whose intersection tests are Bonferroni combinations of group-sequential tests, so the
family-wise error stays ≤ α.

Stopping a variant without rejecting it (futility, "smaller than min_effect") is
non-binding: it only ever removes rejections, so α is kept whatever the stop rules do.
Those rules look at the pre-declared ``min_effect``, never at the observed Δ as a target:
stop when the repeated confidence interval lies inside ±min_effect, or when the
conditional power to detect min_effect by the last look is below ``futility_power``.

Everything here is stateless: the decision at a look is recomputed from the per-seed data
(seed k's value is the same at every look), so a resumed run decides exactly as before.
Pure numpy + scipy; returns data, never words.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
from scipy import optimize, stats

from bench.inference import Method, paired_t, welch_t

__all__ = [
    "Spending",
    "spent_alpha",
    "boundaries_for_spending",
    "z_boundaries",
    "paired_nominal_p",
    "SequentialDesign",
    "design_looks",
    "make_design",
    "Decision",
    "LookBatch",
    "decide_batch",
    "VariantLook",
    "LookDecision",
    "decide_look",
]

#: Simpson grid points per look for the recursive integration (odd).  801 points give
#: boundaries to about 1e-4 of the published Lan–DeMets tables.
_GRID_POINTS = 801
_MAX_Z = 12.0


class Spending(str, enum.Enum):
    """The α-spending function of a design (Lan & DeMets 1983)."""

    OBRIEN_FLEMING = "obrien-fleming"
    POCOCK = "pocock"


def spent_alpha(t: float | np.ndarray, alpha: float, spending: Spending | str) -> np.ndarray:
    """Cumulative two-sided α spent by information fraction ``t`` (0 < t ≤ 1)."""
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if Spending(spending) is Spending.OBRIEN_FLEMING:
        with np.errstate(divide="ignore"):
            z = stats.norm.isf(alpha / 2) / np.sqrt(t)
            return np.where(t > 0, 2.0 * stats.norm.sf(z), 0.0)
    return alpha * np.log1p((math.e - 1.0) * t)


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.square(z)) / math.sqrt(2.0 * math.pi)


class _Recursion:
    """Sub-density of S_k = Z_k √t_k on the continuation region, look after look."""

    def __init__(self, theta: float = 0.0) -> None:
        self.theta = theta
        self.t = 0.0
        self.xs: np.ndarray | None = None  # grid (None: the point mass at S_0 = 0)
        self.mass: np.ndarray | None = None  # density × Simpson weight at xs

    def cross(self, b: float, t: float) -> float:
        """P(no crossing so far and |S| ≥ b at information t)."""
        dt = t - self.t
        mean, sd = self.theta * dt, math.sqrt(dt)
        if self.xs is None:
            return float(stats.norm.sf((b - mean) / sd) + stats.norm.cdf((-b - mean) / sd))
        up = stats.norm.sf((b - self.xs - mean) / sd)
        down = stats.norm.cdf((-b - self.xs - mean) / sd)
        return float(np.dot(self.mass, up + down))

    def advance(self, b: float, t: float) -> None:
        """Move to information t, keeping only paths with |S| < b."""
        dt = t - self.t
        mean, sd = self.theta * dt, math.sqrt(dt)
        xs = np.linspace(-b, b, _GRID_POINTS)
        h = xs[1] - xs[0]
        w = np.full(_GRID_POINTS, 2.0)
        w[1::2] = 4.0
        w[0] = w[-1] = 1.0
        w *= h / 3.0
        if self.xs is None:
            dens = _normal_pdf((xs - mean) / sd) / sd
        else:
            kernel = _normal_pdf((xs[:, None] - self.xs[None, :] - mean) / sd) / sd
            dens = kernel @ self.mass
        self.xs, self.mass, self.t = xs, dens * w, t


def boundaries_for_spending(fractions: Sequence[float], cumulative: Sequence[float]) -> np.ndarray:
    """Two-sided z boundaries that spend exactly ``cumulative[k]`` of α by look k (under H0).

    The recursion behind :func:`z_boundaries`, open to any spending sequence (a test
    reproduces published Lan–DeMets tables with it).
    """
    rec = _Recursion()
    out: list[float] = []
    before = 0.0
    for t, total in zip(fractions, cumulative):
        t = float(t)
        increment = float(total) - before
        before = float(total)
        if increment <= 1e-300:
            c = _MAX_Z
        elif rec.xs is None:
            c = float(stats.norm.isf(increment / 2))
        else:

            def excess(c: float, t: float = t, increment: float = increment) -> float:
                return rec.cross(c * math.sqrt(t), t) - increment

            c = _MAX_Z if excess(_MAX_Z) > 0 else float(
                optimize.brentq(excess, 1e-3, _MAX_Z, xtol=1e-10)
            )
        c = min(c, _MAX_Z)
        out.append(c)
        if len(out) < len(fractions):
            rec.advance(c * math.sqrt(t), t)
    return np.array(out)


@lru_cache(maxsize=4096)
def _boundaries_cached(
    fractions: tuple[float, ...], alpha: float, spending: str
) -> tuple[float, ...]:
    cumulative = spent_alpha(np.array(fractions), alpha, spending)
    return tuple(boundaries_for_spending(fractions, cumulative).tolist())


def z_boundaries(
    fractions: Sequence[float], alpha: float, spending: Spending | str = Spending.OBRIEN_FLEMING
) -> np.ndarray:
    """Two-sided z boundaries c_k spending α(t_k) − α(t_{k−1}) at look k under H0.

    ``fractions`` are the information fractions of the looks taken (increasing, the last
    is 1 for a look at the maximum).  Boundaries at look k depend only on looks 1..k.
    """
    key = tuple(round(float(f), 12) for f in fractions)
    if any(b <= a for a, b in zip(key, key[1:])) or not key or key[0] <= 0 or key[-1] > 1:
        raise ValueError(f"information fractions must increase within (0, 1]: {key}")
    return np.array(_boundaries_cached(key, float(alpha), Spending(spending).value))


def _crossing_power(fractions: Sequence[float], bounds: np.ndarray, theta: float) -> float:
    rec = _Recursion(theta)
    total = 0.0
    for t, c in zip(fractions, bounds):
        b = c * math.sqrt(t)
        total += rec.cross(b, t)
        rec.advance(b, t)
    return total


#: Null paths simulated to calibrate the paired-t boundaries; fixed so decisions repeat.
_CALIBRATION_PATHS = 1 << 18
_CALIBRATION_SEED = 20_081_113
#: A look whose α increment is worth fewer simulated crossings keeps the normal-theory value.
_MIN_CROSSINGS = 25


@lru_cache(maxsize=16)
def _null_paired_p(looks: tuple[int, ...]) -> np.ndarray:
    """Two-sided p-values of the paired t-test at each look, on simulated null paths (R, K)."""
    rng = np.random.default_rng(_CALIBRATION_SEED)
    total = np.zeros(_CALIBRATION_PATHS)
    squares = np.zeros(_CALIBRATION_PATHS)
    out = np.empty((_CALIBRATION_PATHS, len(looks)))
    have = 0
    for k, n in enumerate(looks):
        new = rng.standard_normal((_CALIBRATION_PATHS, n - have))
        total += new.sum(axis=1)
        squares += np.square(new).sum(axis=1)
        have = n
        mean = total / n
        sd = np.sqrt(np.maximum(squares - n * mean**2, 0.0) / (n - 1))
        out[:, k] = 2.0 * stats.t.sf(np.abs(mean) / (sd / math.sqrt(n)), n - 1)
    return out


@lru_cache(maxsize=1024)
def _paired_nominal_cached(
    looks: tuple[int, ...], level: float, spending: str
) -> tuple[float, ...]:
    fractions = np.array(looks, dtype=float) / looks[-1]
    normal = 2.0 * stats.norm.sf(z_boundaries(fractions, level, spending))
    cumulative = spent_alpha(fractions, level, spending)
    null = _null_paired_p(looks)
    alive = np.ones(null.shape[0], dtype=bool)
    out, before = [], 0.0
    for k in range(len(looks)):
        increment = float(cumulative[k]) - before
        before = float(cumulative[k])
        count = int(round(increment * null.shape[0]))
        if count < _MIN_CROSSINGS:
            threshold = float(normal[k])
        else:
            candidates = null[alive, k]
            kth = min(count, candidates.size) - 1
            threshold = float(np.partition(candidates, kth)[kth])
        out.append(threshold)
        alive &= null[:, k] > threshold
    return tuple(out)


def paired_nominal_p(
    looks: Sequence[int], level: float, spending: Spending | str = Spending.OBRIEN_FLEMING
) -> np.ndarray:
    """Nominal two-sided p boundaries of each look for the paired t-test, calibrated exactly.

    Under H0 the paired t statistics at the looks are pivotal (their joint law depends
    only on the seed counts), so their boundaries are set on 2^18 simulated null paths
    (fixed generator): each look spends its α increment to within Monte-Carlo error
    (±3 % of α at α = 0.05).  With 2–4 degrees of freedom at the first looks, the normal-
    theory significance-level approach would spend up to 12 % too much.  Looks whose
    increment is worth fewer than 25 simulated crossings keep the normal-theory value.
    """
    key = tuple(int(n) for n in looks)
    return np.array(_paired_nominal_cached(key, float(level), Spending(spending).value))


@dataclass(frozen=True)
class SequentialDesign:
    """A pre-specified group-sequential design for adding seeds.

    ``looks``: the seed counts per side at which the family is tested (increasing, at
    least 2; the last is the maximum).  ``alpha``: the family-wise two-sided level.
    ``futility_power``: stop a variant (non-binding) when its conditional power to detect
    ``min_effect`` by the last look is below this (0 turns the rule off).
    """

    looks: tuple[int, ...]
    alpha: float = 0.05
    spending: Spending = Spending.OBRIEN_FLEMING
    futility_power: float = 0.1

    def __post_init__(self) -> None:
        looks = tuple(int(n) for n in self.looks)
        if not looks or looks[0] < 2 or any(b <= a for a, b in zip(looks, looks[1:])):
            raise ValueError(f"looks must be increasing seed counts of at least 2, got {looks}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")
        object.__setattr__(self, "looks", looks)
        object.__setattr__(self, "spending", Spending(self.spending))

    @property
    def max_seeds(self) -> int:
        return self.looks[-1]

    @property
    def fractions(self) -> np.ndarray:
        return np.array(self.looks, dtype=float) / self.max_seeds

    def z_boundaries(self, level: float) -> np.ndarray:
        """z boundaries of every look for one comparison tested at ``level``."""
        return z_boundaries(self.fractions, level, self.spending)

    def nominal_p(self, level: float, *, paired: bool = False) -> np.ndarray:
        """Two-sided nominal p-value each look's t-test must reach (≤) to cross.

        Welch: the significance-level approach on the normal-theory boundaries (its
        Satterthwaite df make it slightly conservative).  Paired: calibrated on the exact
        null law of the paired t statistics (:func:`paired_nominal_p`).
        """
        if paired:
            return paired_nominal_p(self.looks, level, self.spending)
        return 2.0 * stats.norm.sf(self.z_boundaries(level))

    def alpha_spent(self, level: float) -> np.ndarray:
        """Cumulative α spent up to each look at ``level``."""
        return spent_alpha(self.fractions, level, self.spending)

    def power(self, drift: float, level: float) -> float:
        """P(crossing at some look) when E[Z at the last look] = ``drift`` (normal theory)."""
        return _crossing_power(self.fractions, self.z_boundaries(level), drift)


def design_looks(n0: int, max_seeds: int, n_looks: int = 4) -> tuple[int, ...]:
    """Evenly spaced seed counts from ``n0`` to ``max_seeds`` (at most ``n_looks`` looks)."""
    if n0 < 2 or max_seeds < n0:
        raise ValueError(f"need 2 ≤ n0 ≤ max_seeds, got n0={n0}, max_seeds={max_seeds}")
    k = max(1, min(n_looks, max_seeds - n0 + 1))
    if k == 1:
        return (max_seeds,) if n0 == max_seeds else (n0, max_seeds)
    return tuple(sorted(set(np.round(np.linspace(n0, max_seeds, k)).astype(int).tolist())))


def make_design(
    n0: int,
    max_seeds: int,
    *,
    alpha: float = 0.05,
    spending: Spending | str = Spending.OBRIEN_FLEMING,
    n_looks: int = 4,
    futility_power: float = 0.1,
) -> SequentialDesign:
    """The design ``bench run --until-conclusive`` uses: looks from the suite's seeds to the max."""
    return SequentialDesign(design_looks(n0, max_seeds, n_looks), alpha, Spending(spending),
                            futility_power)  # fmt: skip


# --------------------------------------------------------------------------- decisions


class Decision(str, enum.Enum):
    """What happens to one variant after a look."""

    REJECT = "reject"  # crossed its boundary: significant, stop
    CONTINUE = "continue"  # train up to the next look
    WITHIN_MIN_EFFECT = "within_min_effect"  # repeated CI inside ±min_effect: stop
    FUTILE = "futile"  # conditional power for min_effect below futility_power: stop
    MAX_REACHED = "max_reached"  # last look taken without crossing: not significant
    STOPPED = "stopped"  # stopped at an earlier look for a reason no longer visible

    @property
    def stops(self) -> bool:
        return self is not Decision.CONTINUE


_CODES = list(Decision)


@dataclass(frozen=True)
class LookBatch:
    """:func:`decide_batch`'s answer: arrays of shape (suites, variants) unless noted."""

    decision: np.ndarray  # int codes into list(Decision)
    rejected: np.ndarray
    next_seeds: np.ndarray  # seeds each variant should have after the next round
    baseline_next: np.ndarray  # (suites,)
    look: np.ndarray  # index of the look each variant's statistics below come from
    level: np.ndarray  # Holm level the variant was decided at (α/|S|)
    nominal_p: np.ndarray  # the boundary at that look and level
    alpha_spent: np.ndarray  # cumulative α spent at that look and level
    delta: np.ndarray
    se: np.ndarray
    df: np.ndarray
    t_stat: np.ndarray
    p_value: np.ndarray
    rci_low: np.ndarray  # repeated confidence interval at that look and level
    rci_high: np.ndarray
    conditional_power: np.ndarray
    zero_spread: np.ndarray
    family_size: int

    def decisions(self) -> np.ndarray:
        """The codes as :class:`Decision` members (object array)."""
        return np.array(_CODES, dtype=object)[self.decision]


def _level_tables(
    design: SequentialDesign, m: int, paired: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Nominal p and z boundaries per family size s = 1..m (row s; row 0 unused)."""
    levels = [design.alpha / max(s, 1) for s in range(m + 1)]
    z = np.vstack([design.z_boundaries(level) for level in levels])
    if paired:
        nominal = np.vstack([design.nominal_p(level, paired=True) for level in levels])
    else:
        nominal = 2.0 * stats.norm.sf(z)
    return nominal, z


def decide_batch(
    design: SequentialDesign,
    baseline: np.ndarray,
    variants: np.ndarray,
    seeds: np.ndarray,
    baseline_seeds: np.ndarray,
    *,
    paired: bool,
    min_effect: float = 0.0,
) -> LookBatch:
    """Decide one look for many suites at once (the simulation tests call this directly).

    ``baseline`` (suites, N) and ``variants`` (suites, m, N) hold per-seed values in seed
    order (NaN: a run that did not finish); ``seeds`` (suites, m) is how many seeds each
    variant has run and ``baseline_seeds`` (suites,) the baseline's -- each must be one of
    the design's looks, variants never ahead of the baseline.  Look j compares the first
    ``looks[j]`` seeds of both sides (paired t by seed, or Welch).
    """
    base = np.asarray(baseline, dtype=float)
    var = np.asarray(variants, dtype=float)
    seeds = np.asarray(seeds, dtype=int)
    bseeds = np.asarray(baseline_seeds, dtype=int)
    if base.ndim != 2 or var.ndim != 3 or var.shape[0] != base.shape[0]:
        raise ValueError("baseline must be (suites, seeds) and variants (suites, variants, seeds)")
    looks = np.array(design.looks)
    n_suites, m = var.shape[:2]
    if np.any(~np.isin(seeds, looks)) or np.any(~np.isin(bseeds, looks)):
        raise ValueError(f"seed counts must be among the design's looks {design.looks}")
    if np.any(seeds > bseeds[:, None]):
        raise ValueError("a variant cannot have more seeds than the baseline")
    if np.any(bseeds > base.shape[1]) or np.any(seeds > var.shape[2]):
        raise ValueError("fewer values than seeds counted")
    n_looks = len(looks)
    cur = np.searchsorted(looks, bseeds)  # (suites,)
    own = np.searchsorted(looks, seeds)  # (suites, m): each variant's last look

    # statistics at every look (first looks[j] seeds of both sides)
    shape = (n_suites, m, n_looks)
    delta, se, df, t, p = (np.full(shape, np.nan) for _ in range(5))
    zero = np.zeros(shape, dtype=bool)
    test = paired_t if paired else welch_t
    for j, n in enumerate(looks):
        if n > min(base.shape[1], var.shape[2]):
            break
        ts = test(base[:, None, :n], var[:, :, :n], axis=-1)
        delta[..., j], se[..., j], df[..., j] = ts.delta, ts.se, ts.df
        t[..., j], p[..., j], zero[..., j] = ts.t, ts.p, ts.zero_spread
    valid = (np.arange(n_looks)[None, None, :] <= own[..., None]) & np.isfinite(p)

    # Holm over group-sequential tests: reject at level α/|S|, shrink S, repeat
    nominal, zbound = _level_tables(design, m, paired)
    in_family = np.ones((n_suites, m), dtype=bool)
    rejected = np.zeros((n_suites, m), dtype=bool)
    size_at = np.full((n_suites, m), m)
    cross_look = np.full((n_suites, m), -1)
    for _ in range(m):
        s = in_family.sum(axis=1)
        bound = nominal[s]  # (suites, looks)
        crossed = valid & (p <= bound[:, None, :])
        new = in_family & crossed.any(axis=-1)
        if not new.any():
            break
        first = np.argmax(crossed, axis=-1)
        cross_look = np.where(new, first, cross_look)
        size_at = np.where(new, s[:, None], size_at)
        rejected |= new
        in_family &= ~new
    final_s = np.maximum(in_family.sum(axis=1), 1)
    size_at = np.where(rejected, size_at, final_s[:, None])
    look = np.where(rejected, cross_look, own)

    # everything at each variant's deciding look and level
    pick = lambda a: np.take_along_axis(a, look[..., None], axis=-1)[..., 0]  # noqa: E731
    d_k, se_k, df_k, t_k, p_k, zero_k = map(pick, (delta, se, df, t, p, zero))
    nom_k = nominal[size_at, look]
    level = design.alpha / size_at
    spent = spent_alpha(design.fractions[look], level, design.spending)
    with np.errstate(invalid="ignore"):
        tcrit = stats.t.isf(nom_k / 2, np.where(np.isfinite(df_k), df_k, 1.0))
        half = np.where(np.isfinite(df_k), tcrit * se_k, np.nan)
    rci_low, rci_high = d_k - half, d_k + half

    # conditional power for ±min_effect by the last look (final-look lower bound)
    frac = design.fractions[look]
    cp = np.full((n_suites, m), np.nan)
    if min_effect > 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            z_now = np.sign(t_k) * stats.norm.isf(p_k / 2)
            s_now = z_now * np.sqrt(frac)
            se_max = se_k * np.sqrt(np.array(design.looks)[look] / design.max_seeds)
            left = 1.0 - frac
            b_last = zbound[size_at, -1]
            for sign in (1.0, -1.0):
                drift = sign * min_effect / se_max * left
                scale = np.sqrt(np.where(left > 0, left, 1.0))
                power = stats.norm.sf((b_last - s_now - drift) / scale) + stats.norm.cdf(
                    (-b_last - s_now - drift) / scale
                )
                cp = np.fmax(cp, np.where(left > 0, power, np.nan))

    last = own == n_looks - 1
    within = (min_effect > 0) & (rci_low > -min_effect) & (rci_high < min_effect)
    futile = (design.futility_power > 0) & (cp < design.futility_power)
    active = own == cur[:, None]
    code = np.select(
        [rejected, last, within, futile, active],
        [_CODES.index(d) for d in (Decision.REJECT, Decision.MAX_REACHED,
                                   Decision.WITHIN_MIN_EFFECT, Decision.FUTILE,
                                   Decision.CONTINUE)],
        default=_CODES.index(Decision.STOPPED),
    )  # fmt: skip
    going = code == _CODES.index(Decision.CONTINUE)
    upcoming = looks[np.minimum(cur + 1, n_looks - 1)]
    next_seeds = np.where(going, upcoming[:, None], seeds)
    baseline_next = np.where(going.any(axis=1), upcoming, bseeds)
    return LookBatch(
        decision=code, rejected=rejected, next_seeds=next_seeds, baseline_next=baseline_next,
        look=look, level=level, nominal_p=nom_k, alpha_spent=spent, delta=d_k, se=se_k,
        df=df_k, t_stat=t_k, p_value=p_k, rci_low=rci_low, rci_high=rci_high,
        conditional_power=cp, zero_spread=zero_k, family_size=m,
    )  # fmt: skip


@dataclass(frozen=True)
class VariantLook:
    """One variant after a look: the decision and the numbers it rests on."""

    variant: str
    decision: Decision
    seeds: int
    next_seeds: int
    looks_taken: tuple[int, ...]
    decided_at: int  # seed count of the look the statistics below come from
    method: Method
    delta: float
    se: float
    df: float
    t_stat: float
    p_value: float  # nominal two-sided p of that look's t-test
    nominal_p: float  # the boundary it is compared with
    t_boundary: float  # the same boundary on the t scale
    level: float  # Holm level α/|S|
    alpha_spent: float
    rci_low: float
    rci_high: float
    conditional_power: float
    zero_spread: bool


@dataclass(frozen=True)
class LookDecision:
    """One look of a suite: every variant's decision and the baseline's next seed count."""

    design: SequentialDesign
    look: int  # index into design.looks
    seeds: int  # the baseline's seed count at this look
    variants: tuple[VariantLook, ...]
    baseline_next_seeds: int
    family_size: int

    @property
    def finished(self) -> bool:
        return all(v.decision.stops for v in self.variants)


def decide_look(
    design: SequentialDesign,
    baseline: Sequence[float] | np.ndarray,
    variants: Mapping[str, Sequence[float] | np.ndarray],
    *,
    paired: bool,
    min_effect: float = 0.0,
) -> LookDecision:
    """Decide one look of one suite: which variants stop (and why), and seeds for the next round.

    ``baseline`` and each variant hold one value per seed in seed order, as many as each
    has run (NaN for a run that failed or diverged); those counts must be looks of
    ``design``.  ``paired``: the same seed means the same split on both sides (see
    :func:`bench.inference.choose_test`).  ``min_effect`` is the pre-declared effect the
    stop rules aim at.  Error rate: family-wise false rejections ≤ ``design.alpha``
    across all looks and variants (measured in ``tests/test_sequential.py``).
    """
    names = list(variants)
    base = np.asarray(baseline, dtype=float)
    counts = [len(variants[v]) for v in names]
    width = max([base.size, *counts])
    var = np.full((1, len(names), width), np.nan)
    for i, v in enumerate(names):
        var[0, i, : counts[i]] = np.asarray(variants[v], dtype=float)
    padded = np.full((1, width), np.nan)
    padded[0, : base.size] = base
    batch = decide_batch(design, padded, var, np.array([counts]), np.array([base.size]),
                         paired=paired, min_effect=min_effect)  # fmt: skip
    looks = design.looks
    out = []
    for i, name in enumerate(names):
        k = int(batch.look[0, i])
        df = float(batch.df[0, i])
        nom = float(batch.nominal_p[0, i])
        out.append(
            VariantLook(
                variant=name,
                decision=_CODES[int(batch.decision[0, i])],
                seeds=counts[i],
                next_seeds=int(batch.next_seeds[0, i]),
                looks_taken=tuple(n for n in looks if n <= counts[i]),
                decided_at=looks[k],
                method=Method.PAIRED if paired else Method.WELCH,
                delta=float(batch.delta[0, i]),
                se=float(batch.se[0, i]),
                df=df,
                t_stat=float(batch.t_stat[0, i]),
                p_value=float(batch.p_value[0, i]),
                nominal_p=nom,
                t_boundary=float(stats.t.isf(nom / 2, df)) if np.isfinite(df) else math.nan,
                level=float(batch.level[0, i]),
                alpha_spent=float(batch.alpha_spent[0, i]),
                rci_low=float(batch.rci_low[0, i]),
                rci_high=float(batch.rci_high[0, i]),
                conditional_power=float(batch.conditional_power[0, i]),
                zero_spread=bool(batch.zero_spread[0, i]),
            )
        )
    return LookDecision(design, int(np.searchsorted(looks, base.size)), int(base.size),
                        tuple(out), int(batch.baseline_next[0]), len(names))  # fmt: skip
