from features.names import safe_name, safe_names


def test_safe_name_examples():
    assert safe_name("Total Time Spent on Website") == "total_time_spent_on_website"
    assert safe_name("TotalVisits") == "total_visits"
    assert safe_name("What is your current occupation?") == "what_is_your_current_occupation"
    assert safe_name('weird "json" {chars}: [x]') == "weird_json_chars_x"
    assert safe_name("2nd touch") == "c_2nd_touch"
    assert safe_name("***") == "column"


def test_safe_names_are_unique_and_avoid_reserved():
    mapping = safe_names(["Label", "label", "A-B", "A B", "lead id"])
    assert mapping == {"Label": "label_2", "label": "label_3", "A-B": "a_b", "A B": "a_b_2", "lead id": "lead_id_2"}
    assert len(set(mapping.values())) == len(mapping)
