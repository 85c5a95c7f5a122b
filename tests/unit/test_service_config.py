"""The service config file is read like every YAML file of the project (features/config_file.py):
a mistake is one LeadscoreError naming the file and key; the environment wins over the file."""

import pytest

from features.errors import LeadscoreError
from serving.config import ServiceConfig


def test_the_file_is_read_and_the_environment_wins(tmp_path):
    path = tmp_path / "service.yaml"
    path.write_text("retry_seconds: 0.3\nmodel_uri: models:/from-file@champion\n", encoding="utf-8")
    config = ServiceConfig.from_env({"LEADSCORE_SERVICE_CONFIG": str(path),
                                     "LEADSCORE_MODEL_URI": "models:/from-env@champion"})
    assert config.retry_seconds == 0.3 and config.model_uri == "models:/from-env@champion"
    assert config.top_reasons == 3  # not in the file: the default


@pytest.mark.parametrize(("text", "words"), [
    ("retry_secnds: 0.3\n", "unknown key 'retry_secnds' (did you mean 'retry_seconds'?)"),
    ("retry_seconds: [\n", "not valid YAML"),
    ("- a list\n", "a service config is a YAML mapping"),
])
def test_a_mistake_in_the_file_names_file_and_key(tmp_path, text, words):
    path = tmp_path / "service.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LeadscoreError) as error:
        ServiceConfig.from_env({"LEADSCORE_SERVICE_CONFIG": str(path)})
    assert str(path) in str(error.value) and words in str(error.value)


def test_metrics_are_opt_in():
    assert ServiceConfig.metrics_enabled({"LEADSCORE_METRICS": "1"})
    assert not ServiceConfig.metrics_enabled({})
