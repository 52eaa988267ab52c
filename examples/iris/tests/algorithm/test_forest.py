"""The example algorithm's own logic, tested piece by piece: replace these with tests of yours (README.md here).
The contract suite (tests/contract/) proves what SageMaker needs of any algorithm; these prove what only yours does."""

import pytest
from sklearn.ensemble import RandomForestClassifier

import algorithm
from framework import InputError


def test_a_sharded_channel_is_read_whole_and_split_into_features_and_label(tmp_path):
    (tmp_path / "part-1.csv").write_text("a,b,species\n1,2,x\n")
    (tmp_path / "shard-2").mkdir()
    (tmp_path / "shard-2" / "part-2.csv").write_text("a,b,species\n3,4,y\n")
    features, labels = algorithm._read_channel(tmp_path, "species")
    assert features.to_numpy().tolist() == [[1, 2], [3, 4]] and labels.tolist() == ["x", "y"]


def test_a_target_column_the_data_lacks_is_named(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="target column 'species' is not in"):
        algorithm._read_channel(tmp_path, "species")


def test_predict_refuses_what_float32_cannot_hold_and_answers_the_rest():
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(
        [[0, 0], [1, 1], [8, 8], [9, 9]], ["low"] * 2 + ["high"] * 2
    )
    model = algorithm.Model(estimator=forest, features=["a", "b"])
    with pytest.raises(InputError, match="record 1, feature 'b': 1e\\+39 is not a finite number within float32"):
        algorithm.predict(model, {"instances": [[0, 0], [0, 1e39]]})
    assert algorithm.predict(model, {"instances": [[0, 1], [8, 9]]}) == {"predictions": ["low", "high"]}
