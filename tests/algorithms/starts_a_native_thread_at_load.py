"""initialize starts an operating system thread that Python's threading does not list, as C libraries do (OpenMP,
CUDA, ONNX Runtime), and does not say so in algorithm.py."""

from gevent import monkey

# The real thread function and sleep, which gevent's patching replaced with greenlets' in this process.
start_new_thread = monkey.get_original("_thread", "start_new_thread")
sleep = monkey.get_original("time", "sleep")


def _spin():
    while True:
        sleep(0.1)


def initialize(model_dir):
    start_new_thread(_spin, ())
    return None


def predict(model, data):
    return {"predictions": []}
