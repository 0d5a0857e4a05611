"""Checks the harness itself, with no sonde in between: the SDK sends straight to
the sinks, and what they record must equal what the SDK encoded. If this fails,
the other tests' verdicts mean nothing."""

import pytest

from sondetest import metrics
from sondetest.otlpdata import flatten
from sondetest.sink import count_items
from test_sdk_roundtrip import send_with_sdk


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_sinks_record_what_the_sdk_sent(protocol, grpc_sink, http_sink):
    sink = grpc_sink if protocol == "grpc" else http_sink
    sent = send_with_sdk(protocol, grpc_sink.port, http_sink.port)
    for signal, exports in sent.items():
        requests = [r for r, _ in exports]
        assert [res for _, res in exports] == ["SUCCESS"] * len(exports)
        count = sum(count_items(signal, r) for r in requests)
        assert count > 0
        assert sink.items(signal) == count
        assert flatten(signal, sink.snapshot(signal)) == flatten(signal, requests)


def test_prometheus_text_parser():
    text = (
        '# HELP otelcol_exporter_sent_spans Number of spans\n'
        '# TYPE otelcol_exporter_sent_spans counter\n'
        'otelcol_exporter_sent_spans_total{exporter="otlp",service_name="x"} 12\n'
        'otelcol_exporter_queue_size{exporter="otlp",data_type="traces"} 3\n'
        'otelcol_exporter_queue_size{exporter="otlp",data_type="logs"} 1\n'
    )
    m = metrics.parse(text)
    assert m.get("otelcol_exporter_sent_spans_total", exporter="otlp") == 12
    assert m.get("otelcol_exporter_queue_size", exporter="otlp", data_type="traces") == 3
    assert m.get("otelcol_exporter_queue_size", exporter="otlp") == 4
    assert m.get("otelcol_exporter_send_failed_spans_total") == 0
