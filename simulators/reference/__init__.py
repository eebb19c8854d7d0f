"""Physics reference for the simulated cell: DFN curves (PyBaMM), their provenance, the fit.

``generate.py`` (needs the optional ``fidelity`` extra) writes the curves under ``data/``;
``fit.py`` derives the cell model's tables from them into ``simulators/physics/fitted_cells.json``;
``compare.py`` runs the shipped cell model against the shipped curves (no PyBaMM needed), for
``make fidelity`` and the test that guards the acceptance targets.
"""
