"""What a sink received, as flat Python records: spans with their resource, trees
of spans, and histogram data points. For tests on the eBPF receiver's output.

Span and trace ids are lower-case hex; an absent parent is "". Attribute values
are plain Python values (str, int, float, bool, list).
"""

import json
from dataclasses import dataclass, field

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from .wait import wait_until

EBPF_SCOPE = "sonde.receiver.ebpf"

_KINDS = {v: k.removeprefix("SPAN_KIND_") for k, v in Span.SpanKind.items()}


def any_value(value):
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attributes(kvs) -> dict:
    return {kv.key: any_value(kv.value) for kv in kvs}


@dataclass
class SpanRecord:
    trace_id: str
    span_id: str
    parent: str
    name: str
    kind: str
    start: int
    end: int
    status: int
    attrs: dict
    resource: dict
    scope: str
    # Position in arrival order (request, resource, span), for stable ordering.
    seq: int = 0

    @property
    def duration(self) -> int:
        return self.end - self.start

    def dump(self) -> str:
        return json.dumps({
            "name": self.name, "kind": self.kind, "trace": self.trace_id, "span": self.span_id,
            "parent": self.parent, "start": self.start, "end": self.end, "status": self.status,
            "attrs": self.attrs, "service": self.resource.get("service.name"),
            "pid": self.resource.get("process.pid"), "scope": self.scope,
        }, sort_keys=True)


def spans(requests) -> list[SpanRecord]:
    """Every span of `requests` (ExportTraceServiceRequest), in arrival order."""
    out = []
    for request in requests:
        for rs in request.resource_spans:
            resource = attributes(rs.resource.attributes)
            for ss in rs.scope_spans:
                for s in ss.spans:
                    out.append(SpanRecord(
                        trace_id=s.trace_id.hex(), span_id=s.span_id.hex(),
                        parent=s.parent_span_id.hex(), name=s.name, kind=_KINDS[s.kind],
                        start=s.start_time_unix_nano, end=s.end_time_unix_nano,
                        status=s.status.code, attrs=attributes(s.attributes),
                        resource=resource, scope=ss.scope.name, seq=len(out)))
    return out


def ebpf_spans(sink) -> list[SpanRecord]:
    return [s for s in spans(sink.snapshot("traces")) if s.scope == EBPF_SCOPE]


def on_port(records: list[SpanRecord], port: int) -> list[SpanRecord]:
    """The eBPF spans of requests to a server on `port`: SERVER spans whose
    `server.port` is it and CLIENT spans whose peer port is it."""
    return [s for s in records
            if (s.kind == "SERVER" and s.attrs.get("server.port") == port)
            or (s.kind == "CLIENT" and s.attrs.get("network.peer.port") == port)]


def of_pid(records: list[SpanRecord], pid: int) -> list[SpanRecord]:
    return [s for s in records if s.resource.get("process.pid") == pid]


def of_kind(records: list[SpanRecord], kind: str) -> list[SpanRecord]:
    return [s for s in records if s.kind == kind]


def dump(records: list[SpanRecord]) -> str:
    return "\n".join(s.dump() for s in records)


@dataclass
class Tree:
    """Spans indexed by id, with their children."""
    records: list[SpanRecord]
    by_id: dict = field(init=False)
    children: dict = field(init=False)

    def __post_init__(self):
        self.by_id = {s.span_id: s for s in self.records}
        self.children = {}
        for s in self.records:
            self.children.setdefault(s.parent, []).append(s)

    def parent_of(self, span: SpanRecord) -> SpanRecord | None:
        return self.by_id.get(span.parent) if span.parent else None

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return [s for s in self.records if s.trace_id == trace_id]


@dataclass
class HistogramPoint:
    resource: dict
    metric: str
    unit: str
    attrs: dict
    count: int
    sum: float
    start: int
    time: int
    temporality: int


def histogram_points(requests, metric_name: str) -> list[HistogramPoint]:
    out = []
    for request in requests:
        for rm in request.resource_metrics:
            resource = attributes(rm.resource.attributes)
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name != metric_name or m.WhichOneof("data") != "histogram":
                        continue
                    for p in m.histogram.data_points:
                        out.append(HistogramPoint(
                            resource=resource, metric=m.name, unit=m.unit, attrs=attributes(p.attributes),
                            count=p.count, sum=p.sum, start=p.start_time_unix_nano,
                            time=p.time_unix_nano,
                            temporality=m.histogram.aggregation_temporality))
    return out


def latest(points: list[HistogramPoint], pid: int) -> list[HistogramPoint]:
    """The latest point of each series (attribute set) of the process `pid`: under
    cumulative temporality, the totals."""
    found: dict[str, HistogramPoint] = {}
    for p in points:
        if p.resource.get("process.pid") != pid:
            continue
        key = json.dumps(p.attrs, sort_keys=True)
        if key not in found or p.time >= found[key].time:
            found[key] = p
    return sorted(found.values(), key=lambda p: json.dumps(p.attrs, sort_keys=True))


def cumulative_count(points: list[HistogramPoint], pid: int) -> int:
    """The total count of a cumulative histogram for the process `pid`."""
    return sum(p.count for p in latest(points, pid))


def spans_where(sink, **attrs) -> list[SpanRecord]:
    """The eBPF receiver's spans holding every one of `attrs` (dotted keys: pass
    them as `**{"db.system.name": "redis"}`)."""
    return [s for s in ebpf_spans(sink)
            if all(s.attrs.get(k) == v for k, v in attrs.items())]


def red_count(sink, metric: str, pid: int, **attrs) -> int:
    """The cumulative count of histogram `metric` over the series of process `pid`
    holding every one of `attrs`."""
    points = histogram_points(sink.snapshot("metrics"), metric)
    return sum(p.count for p in latest(points, pid)
               if all(p.attrs.get(k) == v for k, v in attrs.items()))


def wait_spans(sink, count: int, what: str, **attrs):
    """Waits until at least `count` spans hold `attrs` (see `spans_where`)."""
    wait_until(lambda: len(spans_where(sink, **attrs)) >= count, timeout=60, interval=0.5,
               what=f"{count} {what}")
