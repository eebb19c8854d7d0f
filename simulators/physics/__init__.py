"""Physical model of the simulated bench: cells, pack, protection board, and the P+/P- node.

Pure Python on purpose: for the few cells of a pack, scalar math beats numpy's call overhead,
and the recharge benchmark (benchmarks/bench_simulator_physics.py) depends on it.
"""
