"""Concrete transports: VISA, serial, and the recording/replay pair used by tests.

Import the one you need from its module; this package keeps no re-exports so that importing the
replay transport (tests, no hardware) never pulls in pyvisa or pyserial.
"""
