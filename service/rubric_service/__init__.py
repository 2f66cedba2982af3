"""The gRPC scoring service (package ``rubric.v1``) over ``rubric_dsl``'s front door.

Modules: ``registry`` (compiled rubrics, atomic swap), ``watcher`` (hot reload),
``convert`` (rubric_dsl objects <-> protobuf), ``errors``
(rich gRPC errors), ``servicer`` (the thin RubricService), ``server`` (``create_server``,
``serve_main``), ``client`` (``client_main``), ``options`` (their command-line options and
defaults, without gRPC), ``logs`` (structlog JSON lines).
Generated code lives in ``rubric_service.gen`` (``scripts/gen_protos.py``).
"""
