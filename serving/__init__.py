"""Serving: the `leadscore` command line and the BentoML prediction service.

`__all__` is the public surface; each name is imported from its module on first use, so importing the
package (as `leadscore --help` does) stays light and has no side effects.
"""

from features.exports import lazy_exports

_HOMES = {"app": "serving.cli.main", "ServiceConfig": "serving.config", "Scorer": "serving.scorer",
          "LeadScoring": "serving.service", "running_service": "serving.launch", "run_serve": "serving.launch"}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
