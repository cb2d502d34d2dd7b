"""The OTLP metrics export request, read with its attribute lists left encoded.

The message types are the official ones (opentelemetry-proto's descriptors, copied into a pool
of their own) with one change: every repeated KeyValue field (the attributes of resources, data
points and exemplars) is read as a list of bytes, each the encoded KeyValue. A sub-message and
a bytes field share one wire format, so any body the official types read, these read too.

The same few attributes (developer, session, model, type, ...) arrive on every point of every
request, and reading each of them through the protobuf runtime was most of what taking a request
cost; accepted_points decodes each distinct encoded attribute once and looks up the rest.

    request = MetricsRequest.FromString(body)   # raises google.protobuf.message.DecodeError
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1 import resource_pb2

_KEY_VALUE = "." + common_pb2.KeyValue.DESCRIPTOR.full_name


def _encoded_key_values(messages) -> None:
    for message in messages:
        for field in message.field:
            if field.type_name == _KEY_VALUE:
                field.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
                field.ClearField("type_name")
        _encoded_key_values(message.nested_type)


def _request_type():
    pool = descriptor_pool.DescriptorPool()
    for module in (common_pb2, resource_pb2, metrics_pb2, metrics_service_pb2):
        file = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(file)
        if module is not common_pb2:  # KeyValue itself keeps its own definition
            _encoded_key_values(file.message_type)
        pool.Add(file)
    name = metrics_service_pb2.ExportMetricsServiceRequest.DESCRIPTOR.full_name
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


MetricsRequest = _request_type()
