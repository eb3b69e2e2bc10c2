"""A store's survey: what a TOML or JSON survey may hold, the message each
mistake gets, and the entity tag kiosks cache it by."""

import json

import pytest

from sync.survey import DEFAULT_SURVEY, Survey, parse_survey, survey_from_toml

TOML = """
scale = 4
reasons = ["queue", "staff"]

[questions]
fi = "Miten onnistuimme tänään?"
en-GB = "How did we do today?"

[reason_labels.en-GB]
queue = "Queue"
staff = "Service"
"""


def test_a_toml_survey_reads_every_part():
    survey = survey_from_toml(TOML)
    assert survey.body() == {
        "version": 0,
        "scale": 4,
        "questions": {"fi": "Miten onnistuimme tänään?", "en-GB": "How did we do today?"},
        "reasons": ["queue", "staff"],
        "reason_labels": {"en-GB": {"queue": "Queue", "staff": "Service"}},
    }


def test_a_question_alone_is_a_five_face_survey_without_reasons():
    survey = parse_survey({"questions": {"sv": "Hur lyckades vi i dag?"}})
    assert (survey.version, survey.scale, survey.reasons, survey.reason_labels) == (0, 5, [], {})


@pytest.mark.parametrize(("data", "message"), [
    ({"questions": {"finnish": "Miten?"}},
     "questions: 'finnish' is not a language code like 'fi'"),
    ({"questions": {"fi": "   "}}, "questions.fi: give 1-500 characters"),
    ({"questions": {"fi": "x" * 501}}, "questions.fi: give 1-500 characters"),
    ({"questions": {"fi": "Miten?"}, "reasons": ["Queue"]},
     "reasons: 'Queue' must be a short lowercase key like 'queue'"),
    ({"questions": {"fi": "Miten?"}, "reasons": ["queue", "staff", "queue"]},
     "reasons: each key may appear once"),
    ({"questions": {"fi": "Miten?"}, "reasons": ["queue"],
      "reason_labels": {"fi": {"queue": "Jono", "prices": "Hinnat", "dirt": "Lika"}}},
     "reason_labels.fi: dirt, prices not in reasons"),
    ({"questions": {"fi": "Miten?"}, "scale": 6},
     "scale: csat surveys have 3, 4 or 5 answers, not 6 (leave scale out or set it to 5)"),
    ({"questions": {"fi": "Miten?"}, "scale": 11},
     "scale: csat surveys have 3, 4 or 5 answers, not 11"),
    ({"questions": {"fi": "Miten?"}, "kind": "ces", "scale": 6},
     "scale: ces surveys have 7 answers, not 6 (leave scale out or set it to 7)"),
    ({"questions": {"fi": "Miten?"}, "kind": "stars", "scale": 6},
     "kind: Input should be 'csat', 'nps' or 'ces'; scale: give 3, 4 or 5 for csat;"
     " 11 for nps; 7 for ces, not 6"),
    ({"questions": {"fi": "Miten?"}, "kind": "nps", "scale": 5},
     "scale: nps surveys have 11 answers, not 5 (leave scale out or set it to 11)"),
    ({"questions": {"fi": "Miten?"}, "kind": "ces", "scale": 11},
     "scale: ces surveys have 7 answers, not 11"),
    ({"questions": {"fi": "Miten?"}, "kind": "stars"},
     "kind: Input should be 'csat', 'nps' or 'ces'"),
    ({"questions": {"fi": "Miten?"}, "low_labels": {"fi": "Huono"}},
     "low_labels, high_labels: only nps and ces surveys have end labels"),
    ({"questions": {"fi": "?"}, "kind": "nps", "high_labels": {"fi": "x" * 61}},
     "high_labels.fi: give 1-60 characters"),
    ({"questions": {"fi": "?"}, "positive_reasons": [f"p{i}" for i in range(7)]},
     "positive_reasons: List should have at most 6 items"),
    ({"questions": {"fi": "?"}, "reasons": ["staff"], "positive_reasons": ["staff"]},
     "positive_reasons: staff already in reasons"),
    ({"questions": {"fi": "?"}, "followup_questions": {"finnish": "Miksi?"}},
     "followup_questions: 'finnish' is not a language code"),
    ({"questions": {}}, "questions: Dictionary should have at least 1 item"),
    ({"questions": {"fi": "Miten?"}, "colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_each_mistake_is_named(data, message):
    with pytest.raises(ValueError) as refused:
        parse_survey(data)
    assert str(refused.value).startswith(message)


NPS = """
kind = "nps"
reasons = ["queue", "prices"]
positive_reasons = ["friendly", "fast"]
questions = { fi = "Suosittelisitko meitä?", en = "Would you recommend us?" }
low_labels = { en = "Never" }
high_labels = { en = "Certainly" }
followup_questions = { en = "What should we do better?" }
positive_questions = { en = "What did you like most?" }

[reason_labels.en]
queue = "Waiting"
fast = "Speedy"
"""


def test_an_nps_survey_implies_its_scale_and_has_both_follow_ups():
    survey = survey_from_toml(NPS)
    assert (survey.kind, survey.scale) == ("nps", 11)
    assert survey.reason_keys() == ["queue", "prices", "friendly", "fast"]
    assert survey.body()["kind"] == "nps" and survey.body()["scale"] == 11
    assert survey.body()["positive_questions"] == {"en": "What did you like most?"}
    assert parse_survey(json.loads(json.dumps(survey.body()))) == survey  # stored and read back
    ces = parse_survey({"kind": "ces", "scale": 7, "questions": {"en": "It was easy."}})
    assert (ces.kind, ces.scale) == ("ces", 7)


def test_a_survey_from_before_kinds_keeps_its_body_and_tag():
    survey = survey_from_toml(TOML)
    assert survey.kind == "csat" and survey.positive_reasons == []
    assert "kind" not in survey.body() and "positive_reasons" not in survey.body()
    assert survey_from_toml('kind = "csat"\n' + TOML).etag() == survey.etag()


@pytest.mark.parametrize("language", ["fi", "sv", "en-GB", "zh_Hant", "sgn-FI-x1"])
def test_language_codes_with_regions_and_scripts_are_accepted(language):
    assert parse_survey({"questions": {language: "?"}}).questions == {language: "?"}


def test_the_longest_question_and_key_and_the_most_reasons_are_accepted():
    keys = [f"r{i}" for i in range(19)] + ["k" + "x" * 63]
    survey = parse_survey({"questions": {"fi": "x" * 500}, "reasons": keys})
    assert survey.reasons == keys
    with pytest.raises(ValueError, match="reasons"):
        parse_survey({"questions": {"fi": "x"}, "reasons": ["k" + "x" * 64]})


def test_labels_for_known_reasons_are_accepted():
    survey = parse_survey({"questions": {"fi": "?"}, "reasons": ["queue", "staff"],
                           "reason_labels": {"fi": {"queue": "Jono"}, "en": {}}})
    assert survey.reason_labels == {"fi": {"queue": "Jono"}, "en": {}}


@pytest.mark.parametrize("data", [None, [], "scale = 5", 5])
def test_a_survey_must_be_an_object(data):
    with pytest.raises(ValueError,
                       match="^a survey must be an object with scale, questions and reasons$"):
        parse_survey(data)


def test_a_toml_mistake_names_the_file_and_the_line_of_its_field():
    text = 'kind = "csat"\nscale = 6\n\n[questions]\nfi = "Miten?"\nsv = ""\n'
    with pytest.raises(ValueError) as refused:
        survey_from_toml(text, source="kamppi.toml")
    assert str(refused.value) == ("kamppi.toml, line 2: scale: csat surveys have 3, 4 or 5"
                                  " answers, not 6 (leave scale out or set it to 5)")
    with pytest.raises(ValueError, match=r"^kamppi.toml, line 4: questions.sv: give 1-500"):
        survey_from_toml(text.replace("6", "4"), source="kamppi.toml")
    with pytest.raises(ValueError, match=r"^kamppi.toml: not valid TOML: "):
        survey_from_toml("scale = \n", source="kamppi.toml")


def test_a_broken_toml_file_says_so():
    with pytest.raises(ValueError, match="^not valid TOML: Invalid value"):
        survey_from_toml("scale = \n")


def test_the_default_surveys_tag_is_stable_across_releases():
    # A kiosk sends the tag it holds as If-None-Match: changing how it is made
    # would make every kiosk fetch an unchanged survey again.
    assert DEFAULT_SURVEY.etag() == '"0-4d73165bf67dbec6"'


def test_the_tag_changes_with_every_part_and_only_then():
    base = survey_from_toml(TOML)
    changes = [
        {"version": 1},
        {"scale": 5},
        {"questions": {**base.questions, "fi": "Miten meni?"}},
        {"reasons": ["staff", "queue"]},
        {"reason_labels": {"en-GB": {"queue": "Line", "staff": "Service"}}},
        {"positive_reasons": ["friendly", "fast"]},
        {"followup_questions": {"fi": "Mikä meni pieleen?"}},
        {"positive_questions": {"fi": "Mistä pidit?"}},
    ]
    tags = {base.etag()} | {Survey(**{**base.body(), **change}).etag() for change in changes}
    assert len(tags) == 1 + len(changes)
    assert Survey(**json.loads(json.dumps(base.body()))).etag() == base.etag()
    version, digest = base.etag().strip('"').split("-")
    assert version == "0" and len(digest) == 16 and int(digest, 16) >= 0
