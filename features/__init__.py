"""Feature pipelines: dataset specs, loaders, point-in-time labels, the leak guard and the lead encoder.

`__all__` is the public surface notebooks and the service use; each name is imported from its module
on first use, so importing the package stays light and has no side effects.
"""

from features.exports import lazy_exports

_HOMES = {
    "DatasetSpec": "features.spec", "SqlSource": "features.source_spec", "load_spec": "features.spec",
    "TrainingSet": "features.build", "build_training_set": "features.build", "write_training_set": "features.build",
    "LeadEncoder": "features.encoder", "LeadscoreError": "features.errors",
    "Glossary": "features.glossary", "load_glossary": "features.glossary",
    "init_spec": "features.init.write", "import_outcomes": "training.loop.outcomes",
    "run_init": "features.init.write", "run_outcomes_import": "training.loop.outcomes",
    "run_synth": "features.synth.later", "Line": "features.messages",
    "ensure_export": "features.synth.export", "write_export": "features.synth.export",
}
__all__ = sorted(_HOMES)

__getattr__ = lazy_exports(__name__, _HOMES)
