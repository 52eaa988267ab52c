"""balancing.WorkerLoad's count of a worker's invocations, in-process: an invocation counts until its answer is
written, so that a worker still streaming an answer never looks idle to the others."""

from framework.serving.balancing import WorkerLoad


def load_of_two(mine: int = 0) -> WorkerLoad:
    load = WorkerLoad(2)
    load.mine = mine
    load.counts[0] = load.counts[1] = 0  # both workers have loaded their model and are idle
    return load


class Closing:
    """Stands for gunicorn's Response: start_response is its method, and it can close the connection."""

    closed = False

    def start_response(self, status, headers):
        pass

    def force_close(self):
        self.closed = True


def test_an_invocation_counts_until_its_streamed_answer_is_written_and_closed():
    load = load_of_two()
    seen = []

    def app(environ, start_response):
        def stream():
            for chunk in (b"a", b"b"):
                seen.append(load.counts[load.mine])  # while the answer is being made
                yield chunk

        return stream()

    answer = load.wsgi(app)({"PATH_INFO": "/invocations"}, Closing().start_response)
    assert load.counts[0] == 1  # the view has returned; the stream has not started
    assert list(answer) == [b"a", b"b"] and seen == [1, 1]
    answer.close()  # gunicorn closes the answer once it is written
    assert load.counts[0] == 0


def test_a_busy_worker_hands_the_connection_off_only_when_others_wait_and_another_is_idle():
    load = load_of_two()
    response = Closing()
    app = load.wsgi(lambda environ, start_response: [b"answer"])
    alone = app({"PATH_INFO": "/invocations"}, response.start_response)
    assert not response.closed  # this worker had no other invocation waiting
    load.counts[0] += 1  # another invocation waits for this worker's predictor
    app({"PATH_INFO": "/invocations"}, response.start_response).close()
    assert response.closed
    alone.close()
    assert load.counts[0] == 1  # the waiting one


def test_an_app_that_raises_still_uncounts_and_other_paths_are_not_counted():
    load = load_of_two()

    def broken(environ, start_response):
        raise RuntimeError("broken")

    try:
        load.wsgi(broken)({"PATH_INFO": "/invocations"}, Closing().start_response)
    except RuntimeError:
        pass
    assert load.counts[0] == 0
    load.wsgi(lambda environ, start_response: [b""])({"PATH_INFO": "/ping"}, Closing().start_response)
    assert load.counts[0] == 0
