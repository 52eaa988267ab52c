"""The floor: the least a Flask app on gunicorn's gevent workers can do per request (read the body, answer a
constant). No serving stack built on the same pieces can be faster; the framework is measured against it.
"""

from flask import Flask, Response, request

app = Flask("floor")


@app.get("/ping")
def ping():
    return Response(status=200)


@app.post("/invocations")
def invocations():
    request.get_data(cache=False)
    return Response(b"0\n", mimetype="text/csv")
