"""The project's Postman collections send its own sample payloads: what `bin/local.sh postman` writes into them. A
request whose sample payload the project does not have is the user's to adapt or delete, not a broken contract."""

import pytest

from develop.local import postman

from .subject import fail, subject_folder


def test_the_postman_collections_send_the_projects_payloads():
    project = subject_folder()
    collections = postman.collections(project)
    if not collections:
        pytest.skip(f"no postman/*.postman_collection.json in {project}")
    for collection in collections:
        shown = collection.relative_to(project).as_posix()
        try:
            text, changed = postman.written(project, collection, missing_ok=True)
        except postman.PostmanError as exc:
            fail(shown, f"{exc}: adapt the request to your payloads")
        if changed or text != collection.read_text(encoding="utf-8"):
            fail(
                shown,
                f"the bodies of {', '.join(map(repr, changed))} differ from their payloads: run bin/local.sh postman",
            )
