"""OTLP test data with known ids, and a flat, order-free view of OTLP requests.

`trace_request(client, seq, n)` builds an ExportTraceServiceRequest whose span ids
encode (client, seq, index), so a sink can tell exactly which spans arrived and
how often. `flatten(signal, requests)` turns any number of requests into a sorted
list of (resource, scope, item) records: two lists are equal exactly when the
same items arrived under the same resources and scopes, however a pipeline
regrouped them into requests.
"""

import json
import struct

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span


def span_id(client: int, seq: int, index: int) -> bytes:
    return struct.pack(">HIH", client, seq, index)


def decode_span_id(raw: bytes) -> tuple[int, int, int]:
    return struct.unpack(">HIH", raw)


def trace_request(client: int, seq: int, n: int, payload_bytes: int = 64) -> ExportTraceServiceRequest:
    """`n` spans with ids (client, seq, 0..n-1) and an attribute of `payload_bytes`."""
    payload = "x" * payload_bytes
    spans = []
    for i in range(n):
        spans.append(Span(
            trace_id=struct.pack(">QQ", client, seq),
            span_id=span_id(client, seq, i),
            name=f"op-{i % 7}",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=1_700_000_000_000_000_000 + seq * 1000 + i,
            end_time_unix_nano=1_700_000_000_000_000_000 + seq * 1000 + i + 500,
            attributes=[
                KeyValue(key="http.request.method", value=AnyValue(string_value="GET")),
                KeyValue(key="http.response.status_code", value=AnyValue(int_value=200)),
                KeyValue(key="payload", value=AnyValue(string_value=payload)),
            ],
        ))
    resource = Resource(attributes=[
        KeyValue(key="service.name", value=AnyValue(string_value=f"client-{client}")),
    ])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=resource,
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name="sondetest"), spans=spans)],
    )])


def span_ids(requests) -> list[bytes]:
    """Every span id in `requests`, duplicates kept."""
    return [s.span_id for r in requests for rs in r.resource_spans for ss in rs.scope_spans
            for s in ss.spans]


_LAYOUT = {
    "traces": ("resource_spans", "scope_spans", "spans"),
    "metrics": ("resource_metrics", "scope_metrics", "metrics"),
    "logs": ("resource_logs", "scope_logs", "log_records"),
}


def flatten(signal: str, requests) -> list[dict]:
    """One record per item, with its resource and scope (schema URLs included),
    sorted; every protobuf field is kept."""
    top, mid, leaf = _LAYOUT[signal]
    records = []
    for request in requests:
        for res in getattr(request, top):
            resource = MessageToDict(res.resource)
            for sc in getattr(res, mid):
                scope = MessageToDict(sc.scope)
                for item in getattr(sc, leaf):
                    records.append({
                        "resource": resource,
                        "resource_schema_url": res.schema_url,
                        "scope": scope,
                        "scope_schema_url": sc.schema_url,
                        "item": MessageToDict(item),
                    })
    records.sort(key=lambda r: json.dumps(r, sort_keys=True))
    return records
