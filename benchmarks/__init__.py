"""Benchmarks run by ``make bench``; each ``bench_*.py`` reports against DESIGN.md section 8."""
