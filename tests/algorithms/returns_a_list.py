"""predict breaks its contract: it returns a list, not a dict."""


def initialize(model_dir):
    return None


def predict(model, data):
    return ["a", "list"]
