"""Standard health checking and server reflection on the real server."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICE = "rubric.v1.RubricService"


@pytest.mark.parametrize("service", ["", SERVICE], ids=["server", "rubric-service"])
def test_health_is_serving(channel: grpc.Channel, service: str):
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_health_of_unknown_service_is_not_found(channel: grpc.Channel):
    with pytest.raises(grpc.RpcError) as caught:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="nope.v1.X"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def _reflect(
    channel: grpc.Channel, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return next(iter(stub.ServerReflectionInfo(iter([request]), timeout=10)))


def test_reflection_lists_the_services(channel: grpc.Channel):
    response = _reflect(channel, reflection_pb2.ServerReflectionRequest(list_services=""))
    names = {s.name for s in response.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= names


def test_reflection_describes_the_service(channel: grpc.Channel):
    response = _reflect(channel, reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE))
    files = response.file_descriptor_response.file_descriptor_proto
    assert files, response
    from google.protobuf import descriptor_pb2

    names = {descriptor_pb2.FileDescriptorProto.FromString(f).name for f in files}
    assert "rubric/v1/rubric_service.proto" in names
