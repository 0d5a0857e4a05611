"""SIGHUP reloads the config; an invalid new config leaves the old one running."""

import copy
import signal

import grpc
import yaml

from sondetest.client import TraceClient
from sondetest.configs import Ports, otlp_exporter, pipeline
from sondetest.otlpdata import trace_request
from sondetest.sink import GrpcSink
from sondetest.wait import wait_until


def test_sighup_applies_a_good_config_and_keeps_the_old_one_on_error(start_sonde, grpc_sink):
    ports = Ports()
    config = pipeline(ports, {"otlp": otlp_exporter(grpc_sink.port)}, signals=("traces",))
    sonde = start_sonde(config, ports)
    client = TraceClient(ports.grpc)
    try:
        assert client.send(trace_request(0, 0, 5)) == grpc.StatusCode.OK
        assert grpc_sink.wait_for_items("traces", 5) == 5

        broken = copy.deepcopy(config)
        broken["service"]["pipelines"]["traces"]["processors"] = ["nop"]
        sonde.config_path.write_text(yaml.safe_dump(broken))
        sonde.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "config reload failed" in sonde.log(), what="the reload failure in the log")
        assert ("config reload failed, keeping the running config: service::pipelines::traces: "
                "references processor \"nop\" which is not configured") in sonde.log()
        sonde.check_alive()
        assert client.send(trace_request(0, 1, 3)) == grpc.StatusCode.OK
        assert grpc_sink.wait_for_items("traces", 8) == 8

        second = GrpcSink().start()
        try:
            moved = copy.deepcopy(config)
            moved["exporters"]["otlp"] = otlp_exporter(second.port)
            sonde.config_path.write_text(yaml.safe_dump(moved))
            sonde.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "config reloaded" in sonde.log(), what="the reload in the log")
            sonde.wait_ready([ports.grpc], timeout=30)
            assert client.send(trace_request(0, 2, 4)) == grpc.StatusCode.OK
            assert second.wait_for_items("traces", 4) == 4
            assert grpc_sink.items("traces") == 8
        finally:
            second.stop()
    finally:
        client.close()
    assert sonde.stop() == 0
