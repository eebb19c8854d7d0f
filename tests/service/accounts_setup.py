"""The named users (kept with the benchmarks, which must run without the test suite)."""

from benchmarks.service_accounts import USERS, make_users

__all__ = ["USERS", "make_users"]
