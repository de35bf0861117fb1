"""The S3-only botocore bundle: same ListObjectsV2 contract as botocore's full model, and usable."""

from __future__ import annotations

import json
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from function.listing import BOTOCORE_DATA_DIR, OPERATION
from tools.s3_model import render_files

from .support import BUCKET


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data))


def _operation_shapes(model: dict[str, Any]) -> tuple[Any, ...]:
    operation = ServiceModel(model, "s3").operation_model(OPERATION)
    assert operation.input_shape is not None and operation.output_shape is not None
    return list(operation.input_shape.members), list(operation.output_shape.members), operation.http


def test_trimmed_operation_equals_botocore_full_model():
    full = Loader()
    bundled = Loader(extra_search_paths=[BOTOCORE_DATA_DIR], include_default_search_paths=False)
    # botocore loads OrderedDicts; the bundle is rendered with sorted keys, so compare plain dicts.
    full_model = _plain(full.load_service_model("s3", "service-2"))
    bundled_model = _plain(bundled.load_service_model("s3", "service-2"))
    assert list(bundled_model["operations"]) == [OPERATION]
    assert bundled_model["metadata"] == full_model["metadata"]
    assert _operation_shapes(bundled_model) == _operation_shapes(full_model)
    for name, shape in bundled_model["shapes"].items():
        assert shape == full_model["shapes"][name]


def test_bundle_is_what_the_generator_renders():
    rendered = render_files()
    assert "function/botocore_data/endpoints.json" in rendered
    for path, content in rendered.items():
        relative = path.removeprefix("function/botocore_data/")
        with open(f"{BOTOCORE_DATA_DIR}/{relative}", encoding="utf-8") as committed:
            assert committed.read() == content, f"{path} is stale: run make render"


def test_client_uses_the_bundle_when_versions_match(s3):
    from function.config import load_config
    from function.listing import bundle_matches, create_s3_client

    assert bundle_matches(BOTOCORE_DATA_DIR)
    client = create_s3_client(load_config(_environ()))
    assert client.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_mismatched_bundle_falls_back_to_botocore_data(s3, tmp_path):
    import logging

    from function.config import load_config
    from function.listing import bundle_matches, create_s3_client

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    logging.getLogger("function.listing").addHandler(handler)
    try:
        (tmp_path / "bundle.json").write_text('{"botocore_version": "0.0.1"}')
        assert not bundle_matches(str(tmp_path))
    finally:
        logging.getLogger("function.listing").removeHandler(handler)
    (warning,) = records
    assert warning.levelno == logging.WARNING and "0.0.1" in warning.getMessage()
    # The directory has no models at all: a working client proves botocore's own data was used.
    client = create_s3_client(load_config(_environ()), data_dir=str(tmp_path))
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    assert client.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)
