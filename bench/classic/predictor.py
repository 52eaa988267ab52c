"""The classic stack's app: the pattern of AWS's scikit bring-your-own sample (container/decision_trees/predictor.py),
behind nginx and gunicorn sync workers. Every request is parsed with pandas and answered with pandas.

The sample only takes CSV; JSON is added the way its derivatives usually do it (a DataFrame from "instances"), so
that the same payloads can be sent to every stack. MODEL_PATH names the model.joblib to serve.
"""

import io
import json
import os

import flask
import joblib
import pandas as pd


class ScoringService:
    model = None  # loaded on first use, as in the sample

    @classmethod
    def get_model(cls):
        if cls.model is None:
            cls.model = joblib.load(os.environ["MODEL_PATH"])
        return cls.model

    @classmethod
    def predict(cls, frame):
        return cls.get_model().predict(frame)


app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    health = ScoringService.get_model() is not None
    return flask.Response(response="\n", status=200 if health else 404, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def transformation():
    if flask.request.content_type == "text/csv":
        frame = pd.read_csv(io.StringIO(flask.request.data.decode("utf-8")), header=None)
        predictions = ScoringService.predict(frame)
        out = io.StringIO()
        pd.DataFrame({"results": predictions}).to_csv(out, header=False, index=False)
        return flask.Response(response=out.getvalue(), status=200, mimetype="text/csv")
    if flask.request.content_type == "application/json":
        frame = pd.DataFrame(json.loads(flask.request.data)["instances"])
        predictions = ScoringService.predict(frame)
        body = '{"predictions": ' + pd.Series(predictions).to_json(orient="records") + "}"
        return flask.Response(response=body, status=200, mimetype="application/json")
    return flask.Response(response="This predictor only supports CSV or JSON data", status=415, mimetype="text/plain")
