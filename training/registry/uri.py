"""The one reading of a model URI: `models:/NAME@ALIAS`, `models:/NAME/VERSION`, `runs:/RUN_ID/PATH`, or a
local folder. Every place that needs the registered name, the alias or the version asks here, so the
service, batch scoring, the prediction log and monitoring name a model the same way."""

from __future__ import annotations

from dataclasses import dataclass

REGISTRY = "models:/"
RUN = "runs:/"


@dataclass(frozen=True)
class ModelUri:
    uri: str
    name: str | None = None  # the registered model's name (registry URIs only)
    alias: str | None = None
    version: str | None = None  # the version written in the URI, not the one an alias points at
    run_id: str | None = None

    @property
    def in_registry(self) -> bool:
        return self.name is not None

    def pinned(self, version: str | None) -> str:
        """The same model at an exact version: an alias resolved once stays that version while it moves."""
        return f"{REGISTRY}{self.name}/{version}" if self.alias and version else self.uri


def parse_model_uri(uri: str) -> ModelUri:
    """Split a model URI into its parts. A registry URI without a name (`models:/`, `models:/@x`) and
    MLflow 3's logged-model ids (`models:/m-...`) have no registered name to report."""
    if uri.startswith(REGISTRY):
        rest = uri[len(REGISTRY):]
        name, at, alias = rest.partition("@")
        if not at:
            name, _, version = rest.partition("/")
            return ModelUri(uri, name=name or None, version=version or None)
        return ModelUri(uri, name=name or None, alias=alias or None)
    if uri.startswith(RUN):
        return ModelUri(uri, run_id=uri[len(RUN):].split("/")[0] or None)
    return ModelUri(uri)
