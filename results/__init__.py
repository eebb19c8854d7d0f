"""The results store: complaints, returned units, recorded runs, evidence, audit trail.

Entry points: ``results.store.open_store`` (session factory, schema migrated),
``results.recorder.DatabaseRecorder`` (the procedures' ``Recorder``), ``results.complaints`` and
``results.workflow`` (registration and status), ``results.attachments`` (evidence files),
``results.audit.verify`` (integrity check), ``results.readback`` (runs and complaints back out).
"""
