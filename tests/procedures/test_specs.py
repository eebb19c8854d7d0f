from __future__ import annotations

import re
from pathlib import Path

import pytest

from instruments.units import Q_
from procedures.errors import SpecError
from procedures.specs import SPEC_DIR, builtin_spec, load_builtin_specs, load_spec

REFERENCE = SPEC_DIR / "PB-1S2P-18650-5200.toml"
SHIPPED = {
    "PB-1S1P-18650-2600": ("NMC", 1, 1, Q_(4.2, "V")),
    "PB-1S2P-18650-5200": ("NMC", 1, 2, Q_(4.2, "V")),
    "PB-2S1P-18650-2600": ("NMC", 2, 1, Q_(8.4, "V")),
    "PB-3S1P-18650-3000": ("NMC", 3, 1, Q_(12.6, "V")),
    "PB-4S1P-26650-LFP": ("LFP", 4, 1, Q_(14.6, "V")),
}


def test_all_shipped_specs_load_with_the_expected_shape():
    specs = load_builtin_specs()
    assert set(specs) == set(SHIPPED)
    for model, (chemistry, series, parallel, charge) in SHIPPED.items():
        spec = specs[model]
        assert spec.source.name == f"{model}.toml"
        assert (spec.product.chemistry, spec.product.series, spec.product.parallel) == (
            chemistry,
            series,
            parallel,
        )
        assert spec.charge.voltage == charge
        # 0.5C charge, as the complaint manual asks for the wake recharge
        assert (spec.charge.current / spec.capacity).to("1/h").magnitude == pytest.approx(0.5)


def test_reference_spec_values_are_quantities_in_their_units():
    spec = builtin_spec("PB-1S2P-18650-5200")
    assert spec.capacity == Q_(5.2, "A*h")
    assert spec.protection.overdischarge_delay.to("s").magnitude == pytest.approx(0.144)
    assert spec.protection.short_circuit_delay_max == Q_(380, "us")
    assert spec.cell.ac_resistance_warn_factor == 1.5
    assert spec.protection.zero_volt_charge is False
    assert spec.nominal_voltage == Q_(3.6, "V")


def test_lfp_pack_has_lfp_thresholds():
    p = builtin_spec("PB-4S1P-26650-LFP").protection
    assert Q_(3.7, "V") <= p.overcharge_detect <= Q_(3.9, "V")
    assert Q_(2.0, "V") <= p.overdischarge_detect <= Q_(2.5, "V")


def test_unknown_builtin_model_lists_the_known_ones():
    with pytest.raises(KeyError, match="PB-1S2P-18650-5200"):
        builtin_spec("PB-9S9P")


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = REFERENCE.read_text()
    assert re.search(old, text, re.M), old
    path = tmp_path / "PB-TEST.toml"
    path.write_text(re.sub(old, new, text, count=1, flags=re.M))
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (
            r'^overcharge_detect = "4.30 V"',
            "overcharge_detect = 4.30",
            "protection.overcharge_detect",
            'has no unit; write it as a string, e.g. "4.30 V"',
        ),
        (
            r'^overcharge_detect = "4.30 V"',
            'overcharge_detect = "4.30"',
            "protection.overcharge_detect",
            "has no unit",
        ),
        (r'^current = "2.6 A"', 'current = "2.6 V"', "charge.current", "is not a A quantity"),
        (r'^capacity = "2.6 Ah"', 'capacity = "2.6 banana"', "cell.capacity", "cannot read"),
        (r'^capacity = "2.6 Ah"', 'capacity = "-2.6 Ah"', "cell.capacity", "must be positive"),
        (
            r'^chemistry = "NMC"',
            'chemistry = "NiMH"',
            "product.chemistry",
            "not one of NMC, LCO, LFP",
        ),
        (r"^series = 1", "series = 0", "product.series", "whole number >= 1"),
        (
            r"^capacity_min_share = 0.80",
            "capacity_min_share = 0.9",
            "health.capacity_warn_share",
            "need 0 < capacity_min_share < capacity_warn_share <= 1",
        ),
        (
            r"^capacity_warn_share = 0.85",
            "capacity_warn_share = 85",
            "health.capacity_warn_share",
            "shares of the rated capacity",
        ),
        (r"^capacity_min_share = .*$", "", "health.capacity_min_share", "missing"),
        (r"^series = 1", "series = true", "product.series", "whole number >= 1"),
        (r"^fuse_rating = .*$", "", "protection.fuse_rating", "missing"),
        (r"^fuse_rating", "fuse_ratng", "protection.fuse_ratng", "did you mean 'fuse_rating'"),
        (
            r'^overcharge_release = "4.10 V"',
            'overcharge_release = "4.40 V"',
            "protection.overcharge_detect",
            "must be above protection.overcharge_release",
        ),
        (
            r'^overdischarge_release = "3.0 V"',
            'overdischarge_release = "2.3 V"',
            "protection.overdischarge_release",
            "must be above protection.overdischarge_detect",
        ),
        (
            r'^taper_current = "0.26 A"',
            'taper_current = "3 A"',
            "charge.taper_current",
            "must be below charge.current",
        ),
        (r'^voltage = "4.2 V"', 'voltage = "8.4 V"', "charge.voltage", "write 4.2 V"),
        (
            r"^zero_volt_charge = false",
            'zero_volt_charge = "no"',
            "protection.zero_volt_charge",
            "expected a bool",
        ),
        (
            r'^short_circuit_delay_max = "380 us"',
            'short_circuit_delay_max = "300 us"',
            "protection.short_circuit_delay_max",
            "is below short_circuit_delay",
        ),
        (
            r'^overcurrent_trip = "3.0 A"',
            'overcurrent_trip = "12 A"',
            "protection.overcurrent_trip",
            "overcurrent_trip < fuse_rating",
        ),
        (r"^\[charge\]", "[charging]", "[charging]", "unknown section"),
        (r"^schema = 1", "schema = 2", "schema", "expected schema = 1"),
        (
            r"^ac_resistance_reject_factor = 2.0",
            "ac_resistance_reject_factor = 1.2",
            "cell.ac_resistance_reject_factor",
            "warn_factor < ac_resistance_reject_factor",
        ),
    ],
)
def test_bad_spec_names_file_field_and_problem(tmp_path, old, new, field, problem):
    path = edited(tmp_path, old, new)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    error = caught.value
    assert error.path == path
    assert error.field == field
    assert problem in error.problem
    assert str(error).startswith(f"{path}: {field}: ")


def test_missing_section_and_broken_toml(tmp_path):
    text = REFERENCE.read_text()
    no_cell = tmp_path / "no_cell.toml"
    no_cell.write_text(text.split("[cell]")[0] + "[pack]" + text.split("[pack]")[1])
    with pytest.raises(SpecError, match=r"no_cell.toml: \[cell\]: section missing"):
        load_spec(no_cell)
    broken = tmp_path / "broken.toml"
    broken.write_text("schema = = 1\n")
    with pytest.raises(SpecError, match=r"broken\.toml: not valid TOML"):
        load_spec(broken)
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path / "absent.toml")


def test_every_shipped_spec_states_its_capacity_limits() -> None:
    for spec in load_builtin_specs().values():
        assert 0.0 < spec.health.capacity_min_share < spec.health.capacity_warn_share <= 1.0


# Word-for-word refusals of the hand-written reader, kept by the pydantic one (issue 12 part 5).
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            r"^ac_resistance_warn_factor = 1.5",
            "ac_resistance_warn_facter = 1.5",
            "cell.ac_resistance_warn_facter: unknown field; "
            "did you mean 'ac_resistance_warn_factor'?",
        ),
        (
            r'^ic = "DW01A"',
            "",
            "protection.ic: missing; every field of the schema is required",
        ),
        (
            r'^ic = "DW01A"',
            "ic = 7\nbanana_split = 1",
            "protection.banana_split: unknown field; known fields: ",
        ),
        (r'^ic = "DW01A"', "ic = 7", "protection.ic: expected a str, got 7"),
        (
            r"^zero_volt_charge = false",
            'zero_volt_charge = "no"',
            "protection.zero_volt_charge: expected a bool, got 'no'",
        ),
        (r"^series = 1", "series = true", "product.series: expected a whole number >= 1, got True"),
        (r"^series = 1", "series = 1.0", "product.series: expected a whole number >= 1, got 1.0"),
        (
            r"^ac_resistance_warn_factor = 1.5",
            "ac_resistance_warn_factor = -1.5",
            "cell.ac_resistance_warn_factor: expected a number >= 0, got -1.5",
        ),
        (
            r"^ac_resistance_warn_factor = 1.5",
            'ac_resistance_warn_factor = "1.5"',
            "cell.ac_resistance_warn_factor: expected a number >= 0, got '1.5'",
        ),
        (
            r'^current = "2.6 A"',
            'current = "2.6 V"',
            "charge.current: '2.6 V' is not a A quantity (dimension [mass] * [length] ** 2 / "
            '[time] ** 3 / [current]); write it as "2.6 A"',
        ),
    ],
)
def test_refusal_message_word_for_word(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = edited(tmp_path, old, new)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
