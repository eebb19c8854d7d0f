"""DL3021 levels as declared settings: read back from the load, refused before sending."""

from __future__ import annotations

import pytest

from instruments.drivers.rigol_dl3021 import RigolDL3021
from instruments.errors import SettingOutOfRange
from instruments.roles import LoadMode
from instruments.safety import SafetyLimits
from instruments.units import Q_


def test_levels_read_back_what_the_load_holds(replay, checked_writes):
    load = RigolDL3021(
        replay(
            [
                *checked_writes(":SOUR:CURR:LEV 2.5"),
                (">", ":SOUR:CURR:LEV?"),
                ("<", "2.500000"),
                (">", ":SOUR:RES:LEV?"),
                ("<", "1.500000E+01"),
                (">", ":SOUR:CURR:VON?"),
                ("<", "2.800000"),
            ]
        )
    )
    load.current_level = Q_(2500, "mA")
    assert load.current_level == Q_(2.5, "A")
    assert load.resistance_level == Q_(15, "ohm")
    assert load.von == Q_(2.8, "V")


def test_set_level_and_declared_setting_send_the_same_bytes(replay, checked_writes):
    load = RigolDL3021(
        replay(checked_writes(":SOUR:FUNC POW", ":SOUR:POW:LEV 20", ":SOUR:POW:LEV 20"))
    )
    load.set_mode(LoadMode.CP)
    load.set_level(Q_(20, "W"))
    load.power_level = Q_(20, "W")


def test_station_limit_refuses_a_level_before_anything_is_sent(replay):
    load = RigolDL3021(replay([]), limits=SafetyLimits(max_current=Q_(5, "A")))
    with pytest.raises(SettingOutOfRange, match=r"station SafetyLimits.*nothing was sent"):
        load.current_level = Q_(6, "A")


def test_rating_refuses_a_level_before_anything_is_sent(replay):
    load = RigolDL3021(replay([]))
    with pytest.raises(SettingOutOfRange, match="DL3021 rating"):
        load.resistance_level = Q_(0.01, "ohm")
