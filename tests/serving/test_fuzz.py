"""Property-based fuzzing of POST /predict: whatever the body, never a 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = ["need", "budget", "decision_authority", "purchase_timeline", "channel", "website_visits",
          "time_on_site_sec", "pages_per_visit", "email_opens", "country", "lead_id", "Lead Source", "", "__proto__"]
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
leads = st.lists(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), json_values, max_size=8),
                 min_size=0, max_size=4)
bodies = st.one_of(
    st.builds(lambda ls, lang: {"leads": ls, "lang": lang}, leads, st.sampled_from(["en", "zh", "xx"]) | json_values),
    json_values,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_predict_never_answers_5xx(client, body):
    response = client.post("/predict", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code < 500, (body, response.text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=60))
def test_garbage_bytes_are_a_4xx(client, raw):
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert response.status_code < 500
