"""Which source (and channel) serves a pack spec, decided before anything is opened or written.

The diagnosis programs its source up to the settings ``procedures.diagnosis.source_needs``
works out from the spec (the charge voltage with its OVP, the 0.5C current with its OCP, the
board sweep). A channel serves the spec when its rating (the driver's ``RATINGS``, the same
table the driver's guard checks) and the station's ``[limits]`` allow every one of them.

* A real station's pack is wired to ``[fixture] source_channel``: that channel must serve, or
  the run is refused with the fix (another channel of this source that would, after rewiring,
  or a model whose channel would).
* A simulated station that starts its own simulator may also emulate the models listed in
  ``[simulation] source_models``: the first of the configured model and those that serves the
  spec is used (the built-in station: E36312A for 1S packs, whose 5 A channel also feeds the
  bare board's over-current test, the DP832's 32 V channel for 2S to 4S).

A source whose model is ``auto`` (identified by ``*IDN?`` when opened) cannot be checked here;
``check_opened`` repeats the check on the opened instrument, still before the run is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.config import SIM_MODELS, StationConfig
from bench.errors import InputError
from instruments.drivers import find_entry, load_driver
from instruments.roles import Instrument
from instruments.safety import ChannelRating, SafetyLimits
from procedures.diagnosis.source_needs import SourceNeeds, load_current_need, source_needs
from procedures.specs import PackSpec


@dataclass(frozen=True)
class SourceChoice:
    model: str
    channel: int


def ratings_of(model: str) -> dict[int, ChannelRating] | None:
    """The channel ratings of a source model's driver (``None``: unknown, e.g. ``auto``)."""
    entry = find_entry(model) if model != "auto" else None
    if entry is None:
        return None
    ratings: dict[int, ChannelRating] | None = getattr(load_driver(entry), "RATINGS", None)
    return ratings


def problem(rating: ChannelRating, limits: SafetyLimits, needs: SourceNeeds) -> str | None:
    """Why a channel cannot serve ``needs`` (``None``: it can)."""
    checks = (
        ("voltage", needs.voltage.m_as("V"), rating.max_voltage, "V"),
        ("OVP level", needs.ovp.m_as("V"), rating.max_ovp, "V"),
        ("current", needs.current.m_as("A"), rating.max_current, "A"),
        ("OCP level", needs.ocp.m_as("A"), rating.max_ocp, "A"),
    )
    for setting, needed, rated, unit in checks:
        if needed > rated + 1e-9:
            return f"its {setting} is rated to {rated:g} {unit}, the spec needs {needed:.3g} {unit}"
    for name, needed_q, unit in (("max_voltage", needs.ovp, "V"), ("max_current", needs.ocp, "A")):
        station = getattr(limits, name)
        if station is not None and needed_q.m_as(unit) > station.m_as(unit) + 1e-9:
            return (
                f"the station's [limits] {name} is {station:~P}, the spec needs "
                f"{needed_q.m_as(unit):.3g} {unit} (raise it if the fixture is rated for it)"
            )
    return None


def serving_channels(model: str, limits: SafetyLimits, needs: SourceNeeds) -> list[int]:
    ratings = ratings_of(model) or {}
    return [ch for ch, rating in sorted(ratings.items()) if problem(rating, limits, needs) is None]


def _alternatives(limits: SafetyLimits, needs: SourceNeeds) -> str:
    offers = []
    for model in SIM_MODELS["source"]:
        channels = serving_channels(model, limits, needs)
        if channels:
            offers.append(f"{model} channel {', '.join(str(c) for c in channels)}")
    return "; ".join(offers) if offers else "no source model this bench knows"


def check_load(config: StationConfig, spec: PackSpec) -> None:
    """The over-current tests' CC level within the load's rating and the station's limit."""
    need = load_current_need(spec)
    model = config.instruments["load"].model
    entry = find_entry(model) if model != "auto" else None
    rated = getattr(load_driver(entry), "MAX_CURRENT", None) if entry is not None else None
    if rated is not None and need.m_as("A") > rated:
        raise InputError(
            f"pack spec {spec.model}: the over-current tests need {need:.1f~P} from the load, "
            f"and the {model} is rated to {rated:g} A. Fix: use a load rated for it in "
            "[instruments.load]"
        )
    station = config.limits.max_current
    if station is not None and need > station:
        raise InputError(
            f"pack spec {spec.model}: the over-current tests need {need:.1f~P} from the load, "
            f"above the station's [limits] max_current {station:~P}. Fix: raise max_current if "
            "the fixture and leads are rated for it, or test this spec on a station that is"
        )


def choose_source(config: StationConfig, spec: PackSpec) -> SourceChoice:
    """The source model and channel for ``spec`` on this station, or ``InputError`` with the fix.

    The load is checked too (``check_load``): a run that cannot do its over-current tests
    would end in a rating error half way.
    """
    needs = source_needs(spec)
    configured = config.instruments["source"].model
    channel = config.source_channel
    candidates = [configured]
    sim = config.simulation
    if sim is not None and sim.control is None:
        candidates += [m for m in sim.source_models if m not in candidates]
    reasons = []
    for model in candidates:
        ratings = ratings_of(model)
        if ratings is None:
            check_load(config, spec)
            return SourceChoice(model, channel)  # auto: checked once opened (check_opened)
        rating = ratings.get(channel)
        why = (
            f"it has no channel {channel}"
            if rating is None
            else problem(rating, config.limits, needs)
        )
        if why is None:
            check_load(config, spec)
            return SourceChoice(model, channel)
        reasons.append(f"{model} channel {channel}: {why}")
    others = [c for c in serving_channels(configured, config.limits, needs) if c != channel]
    rewire = (
        f"wire the fixture to {configured} channel {others[0]} and set [fixture] "
        f"source_channel = {others[0]}, or "
        if others
        else ""
    )
    raise InputError(
        f"pack spec {spec.model} needs a source channel reaching {needs.describe()}; "
        f"{'; '.join(reasons)}. Fix: {rewire}use a source that serves it "
        f"({_alternatives(config.limits, needs)}) in [instruments.source]"
    )


def check_opened(source: Instrument | None, spec: PackSpec, config: StationConfig) -> None:
    """The same check on an opened ``auto`` source (its class is known once identified)."""
    if source is None:
        return
    ratings: dict[int, ChannelRating] | None = getattr(type(source), "RATINGS", None)
    if ratings is None:
        return
    needs = source_needs(spec)
    rating = ratings.get(config.source_channel)
    why = (
        f"it has no channel {config.source_channel}"
        if rating is None
        else problem(rating, config.limits, needs)
    )
    if why is not None:
        raise InputError(
            f"pack spec {spec.model} needs a source channel reaching {needs.describe()}; the "
            f"source found ({type(source).__name__}) channel {config.source_channel}: {why}. "
            f"Fix: use a source that serves it ({_alternatives(config.limits, needs)})"
        )
