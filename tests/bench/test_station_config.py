"""Station files: the shipped examples load, and each mistake names its field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import paths
from bench.config import SIM_MODELS, STATIONS_DIR, load_station, parse_station
from bench.errors import ConfigError
from instruments.units import Q_
from simulators.launcher import MODELS


def real_station(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "station": {"id": "lab-01", "operator": "op"},
        "limits": {"max_voltage": "9 V", "max_current": "3 A", "max_temperature": "60 degC"},
        "instruments": {
            "dmm": {"model": "34461A", "resource": "TCPIP::10.0.0.2::5025::SOCKET"},
            "source": {"model": "auto", "resource": "USB0::0x2A8D::0x1202::MY1::INSTR"},
            "load": {"model": "IT8511", "resource": "/dev/ttyUSB0", "baudrate": 9600},
            "rmeter": {"model": "BT3562", "resource": "COM3"},
        },
    }
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        table = data
        for key in path:
            table = table[key]
        if value is None:
            del table[last]
        else:
            table[last] = value
    return data


def test_shipped_station_files_load() -> None:
    sim = load_station(STATIONS_DIR / "simulated.toml")
    lab = load_station(STATIONS_DIR / "example-lab.toml")
    assert sim.simulated and not lab.simulated
    assert sim.instruments["source"].model == "E36312A"
    assert lab.instruments["load"].options == {"baudrate": 9600}
    assert lab.limits.max_current == Q_(3, "A")
    assert lab.max_temperature == Q_(60, "degC")
    assert lab.database.startswith("postgresql")


def test_real_station_parses_with_auto_model() -> None:
    config = parse_station(real_station(), "t.toml")
    assert config.instruments["source"].model == "auto"
    assert config.source_channel == 1
    assert config.limits.max_voltage == Q_(9, "V")


def test_simulated_models_mirror_the_launcher() -> None:
    assert SIM_MODELS == MODELS


def test_a_chamber_is_optional_and_only_where_the_file_puts_one() -> None:
    lab = parse_station(real_station(), "t.toml")
    assert "chamber" not in lab.instruments
    chamber = {"model": "SU-241", "resource": "/dev/ttyUSB1"}
    with_chamber = parse_station(real_station(instruments__chamber=chamber), "t.toml")
    assert with_chamber.instruments["chamber"].model == "SU-241"
    bare_sim = {"station": {"id": "s", "simulated": True}}
    assert "chamber" not in parse_station(bare_sim, "sim.toml").instruments
    # the built-in simulated station has one, so its diagnosis can read the cells cold
    assert load_station(STATIONS_DIR / "simulated.toml").instruments["chamber"].model == "SU-241"


def test_default_store_is_in_the_xdg_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    config = parse_station(real_station(), "t.toml")
    assert config.database == str(tmp_path / "xdg" / "packbench" / "packbench.sqlite3")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.default_database() == tmp_path / ".local/share/packbench/packbench.sqlite3"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"instruments__load": None}, "instruments.load", "add [instruments.load]"),
        ({"instruments__dmm__model": "HP3478A"}, "instruments.dmm.model", "unknown model"),
        ({"instruments__dmm__model": "E36312A"}, "instruments.dmm.model", "cannot serve as dmm"),
        ({"instruments__dmm__resource": "10.0.0.2:5025"}, "instruments.dmm.resource", "TCPIP::"),
        ({"instruments__dmm__resource": None}, "instruments.dmm.resource", "is missing"),
        ({"limits__max_current": "3 V"}, "limits.max_current", "not a unit of 'A'"),
        ({"limits__max_voltage": 9}, "limits.max_voltage", "has no unit"),
        ({"limits__max_temperature": "60 A"}, "limits.max_temperature", "degC"),
        ({"station__id": None}, "station.id", "is missing"),
        ({"station__colour": "red"}, "station.colour", "unknown key"),
        ({"instruments__psu": {"model": "x"}}, "instruments.psu", "unknown role"),
        (
            {"instruments__load__resource": "TCPIP::1.2.3.4::5025::SOCKET"},
            "load.resource",
            "RS-232",
        ),
        (
            {"instruments__chamber": {"model": "auto", "resource": "/dev/ttyUSB1"}},
            "instruments.chamber.model",
            "speaks no *IDN?",
        ),
        (
            {"instruments__chamber": {"model": "BT3562", "resource": "/dev/ttyUSB1"}},
            "instruments.chamber.model",
            "cannot serve as chamber",
        ),
    ],
)
def test_mistakes_name_the_field_and_the_fix(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_station(real_station(**change), "lab.toml")
    message = str(caught.value)
    assert field in message
    assert words in message
    assert "Fix:" in message
    assert caught.value.exit_code == 2


def test_simulated_station_refuses_models_it_cannot_simulate() -> None:
    data = {
        "station": {"id": "s", "simulated": True},
        "instruments": {"source": {"model": "DP811"}},
    }
    with pytest.raises(ConfigError, match=r"instruments\.source\.model.*E36312A, DP832"):
        parse_station(data, "sim.toml")


def test_syntax_error_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[station\nid = 1")
    with pytest.raises(ConfigError, match=r"\(syntax\)"):
        load_station(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_station(tmp_path / "missing.toml")


def with_notifications(**section: Any) -> dict[str, Any]:
    data = real_station()
    data["notifications"] = {"emergency_group": ["qa@plant.example"]} | section
    return data


def test_notifications_section_is_optional_and_parsed() -> None:
    assert parse_station(real_station(), "t.toml").notifications is None
    smtp = parse_station(
        with_notifications(
            emergency_group=["qa@plant.example", " pm@plant.example", "qa@plant.example"],
            channel="smtp",
            smtp_host="mail.plant.example",
            smtp_port=587,
            sender="bench@plant.example",
            starttls=True,
        ),
        "t.toml",
    ).notifications
    assert smtp is not None
    assert smtp.emergency_group == ("qa@plant.example", "pm@plant.example")
    assert (smtp.channel, smtp.smtp_host, smtp.smtp_port, smtp.starttls) == (
        "smtp",
        "mail.plant.example",
        587,
        True,
    )
    log = parse_station(with_notifications(), "t.toml").notifications
    assert log is not None and log.channel == "log"


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"emergency_group": []}, ["notifications.emergency_group", "non-empty list"]),
        ({"emergency_group": ["qa"]}, ["notifications.emergency_group", "'qa'", "name@host"]),
        ({"channel": "pager"}, ["notifications.channel", "'pager'", "log, smtp"]),
        ({"channel": "smtp"}, ["notifications.smtp_host", "is missing", "smtp_host ="]),
        (
            {"channel": "smtp", "smtp_host": "mail", "sender": "bench"},
            ["notifications.sender", "'bench'", "name@host"],
        ),
        ({"smtp_port": 70000}, ["notifications.smtp_port", "70000", "1..65535"]),
        ({"starttls": "yes"}, ["notifications.starttls", "true or false"]),
        ({"password": "x"}, ["notifications.password", "unknown key"]),
    ],
    ids=["empty", "address", "channel", "smtp-host", "sender", "port", "starttls", "unknown"],
)
def test_notification_mistakes_name_the_field_and_the_fix(
    section: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_station(with_notifications(**section), "t.toml")
    message = str(caught.value)
    assert "Fix:" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    "resource",
    [
        "TCPIP::10.0.0.9::5025::SOCKET",
        "ASRL3::INSTR",
        "/dev/ttyUSB1",
        "COM3",
        "spy:///dev/ttyUSB0",
        "192.168.0.9",
        "TCPIP::",
        "COM3x",
        "http://dmm",
    ],
)
def test_station_accepts_exactly_the_resources_the_factory_can_open(resource: str) -> None:
    """One rule for both (``instruments.factory.classify_resource``): no copy to drift apart."""
    from instruments.factory import classify_resource

    data = real_station(instruments__dmm__resource=resource)
    if classify_resource(resource) is None:
        with pytest.raises(ConfigError, match=r"instruments\.dmm\.resource"):
            parse_station(data, "t.toml")
    else:
        assert parse_station(data, "t.toml").instruments["dmm"].resource == resource


def test_binary_load_needs_a_serial_port() -> None:
    data = real_station(instruments__load__resource="TCPIP::10.0.0.3::5025::SOCKET")
    with pytest.raises(ConfigError, match=r"instruments\.load\.resource: .*binary frames"):
        parse_station(data, "t.toml")


@pytest.mark.parametrize(
    ("model", "channel", "ok"),
    [("E36312A", 3, True), ("E36312A", 7, False), ("DP832", 4, False), ("auto", 7, True)],
)
def test_source_channel_is_checked_against_the_model(model: str, channel: int, ok: bool) -> None:
    """A named model's channels are known from its driver; ``auto`` is checked at open."""
    data = real_station(instruments__source__model=model)
    data["fixture"] = {"source_channel": channel}
    if ok:
        assert parse_station(data, "t.toml").source_channel == channel
        return
    with pytest.raises(ConfigError) as caught:
        parse_station(data, "t.toml")
    message = str(caught.value)
    assert f"fixture.source_channel: {channel} is not a channel of the {model}" in message
    assert "Fix: set source_channel to the" in message and "(1, 2, 3)" in message


def test_auto_source_channel_is_checked_when_the_source_answers() -> None:
    from bench.station import check_source_channel
    from instruments.factory import open_instrument
    from simulators.launcher import start_bench

    data = real_station(instruments__source__model="auto")
    data["fixture"] = {"source_channel": 5}
    config = parse_station(data, "t.toml")
    with start_bench() as sim:
        source = open_instrument(sim.instruments["source"].resource, role="source")
        try:
            with pytest.raises(ConfigError, match=r"5 is not a channel of the E36312A"):
                check_source_channel(config, source)
        finally:
            source.close()


def test_load_channel_is_refused_with_the_reason() -> None:
    data = real_station()
    data["fixture"] = {"load_channel": 2}
    with pytest.raises(ConfigError, match=r"fixture\.load_channel: .*one input.*Fix: remove"):
        parse_station(data, "t.toml")


def test_simulated_station_refuses_a_resource_it_would_not_use() -> None:
    data = {
        "station": {"id": "s", "simulated": True},
        "instruments": {"dmm": {"model": "34461A", "resource": "TCPIP::1.2.3.4::5025::SOCKET"}},
    }
    with pytest.raises(ConfigError, match=r"instruments\.dmm\.resource: .*starts its own"):
        parse_station(data, "sim.toml")
    data["simulation"] = {"control": "127.0.0.1:5050"}
    with pytest.raises(ConfigError, match=r"instruments\.source"):  # attach: every resource
        parse_station(data, "sim.toml")


@pytest.mark.parametrize(
    ("simulation", "field"),
    [
        ({"fault": "gremlins"}, "simulation.fault"),
        ({"units": {"SN-1": "gremlins"}}, "simulation.units.SN-1"),
        ({"seed": 2**40}, "simulation.seed"),
    ],
)
def test_simulation_fields_are_checked_when_the_file_is_read(
    simulation: dict[str, Any], field: str
) -> None:
    data = {"station": {"id": "s", "simulated": True}, "simulation": simulation}
    with pytest.raises(ConfigError) as caught:
        parse_station(data, "sim.toml")
    assert f"{field}:" in str(caught.value) and "Fix:" in str(caught.value)


# [limits] refusals word for word, as the hand-written reader gave them (issue 12 part 5).
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"limits__max_volts": "9 V"},
            "lab.toml: limits.max_volts: unknown key. Fix: remove it or use one of: "
            "allow_charge_without_temperature, allow_short, max_current, max_power, "
            "max_temperature, max_voltage",
        ),
        (
            {"limits__allow_short": "yes"},
            "lab.toml: limits.allow_short: 'yes' is not true/false. Fix: write true or false",
        ),
        (
            {"limits__max_voltage": 9},
            "lab.toml: limits.max_voltage: 9 has no unit. "
            'Fix: write it as a string with its unit: "9 V"',
        ),
        (
            {"limits__max_voltage": "9 bananas"},
            "lab.toml: limits.max_voltage: '9 bananas' is not a quantity. "
            'Fix: write it like "9 V"',
        ),
        (
            {"limits__max_voltage": "9"},
            "lab.toml: limits.max_voltage: '9' has no unit. Fix: write it like \"9 V\"",
        ),
        (
            {"limits__max_current": "3 V"},
            "lab.toml: limits.max_current: '3 V' is in V, which is not a unit of 'A'. "
            'Fix: give it in A or a compatible unit, e.g. "3 A"',
        ),
        (
            {"limits__max_power": "-30 W"},
            "lab.toml: limits.max_power: '-30 W' must be a positive finite value. "
            'Fix: e.g. "30 W"',
        ),
        (
            {"limits__max_temperature": "inf degC"},
            "lab.toml: limits.max_temperature: 'inf degC' is not a quantity. "
            'Fix: write it like "60 degC"',
        ),
    ],
)
def test_limits_refusal_word_for_word(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_station(real_station(**change), "lab.toml")
    assert str(caught.value) == message
