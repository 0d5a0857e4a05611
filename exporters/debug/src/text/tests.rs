//! The three verbosities on the same payloads, compared with the exact text.

use super::fixtures::{logs, metrics, traces};
use super::{basic, detailed, normal};

#[test]
fn basic_summaries() {
    assert_eq!(
        basic::summary(&traces()),
        r#"Traces {"resource spans": 1, "spans": 2}"#
    );
    assert_eq!(
        basic::summary(&metrics()),
        r#"Metrics {"resource metrics": 1, "metrics": 3, "data points": 3}"#
    );
    assert_eq!(
        basic::summary(&logs()),
        r#"Logs {"resource logs": 1, "log records": 2}"#
    );
}

#[test]
fn normal_traces() {
    assert_eq!(
        normal::render(&traces()),
        "ResourceTraces #0 service.name=checkout sampled=false\n\
         ScopeTraces #0 scope-name@1.2.3 [https://opentelemetry.io/schemas/1.26.0] scopeKey=scopeValue\n\
         GET /cart 0102030405060708090a0b0c0d0e0f10 1112131415161718 http.request.method=GET http.response.status_code=500\n\
         bare  \n"
    );
}

#[test]
fn normal_logs() {
    assert_eq!(
        normal::render(&logs()),
        "ResourceLog #0 service.name=checkout sampled=false\n\
         ScopeLog #0\n\
         user logged in user=ann\n\
         7 \n"
    );
}

#[test]
fn normal_metrics() {
    assert_eq!(
        normal::render(&metrics()),
        "ResourceMetrics #0 [https://opentelemetry.io/schemas/1.26.0] service.name=checkout sampled=false\n\
         ScopeMetrics #0 scope-name@1.2.3 scopeKey=scopeValue\n\
         queue.size{queue=a} 1.5e+06\n\
         requests{} 42\n\
         latency{route=/cart,code=200} count=3 sum=0.75 min=0.05 le0.1=1 le0.5=2 0\n"
    );
}

#[test]
fn detailed_traces() {
    let expected = "\
ResourceSpans #0
Resource SchemaURL: 
Resource attributes:
     -> service.name: Str(checkout)
     -> sampled: Bool(false)
ScopeSpans #0
ScopeSpans SchemaURL: https://opentelemetry.io/schemas/1.26.0
InstrumentationScope scope-name 1.2.3
InstrumentationScope attributes:
     -> scopeKey: Str(scopeValue)
Span #0
    Trace ID       : 0102030405060708090a0b0c0d0e0f10
    Parent ID      : 
    ID             : 1112131415161718
    Name           : GET /cart
    Kind           : Server
    TraceState     : ot=th:0
    Start time     : 2020-02-11 20:26:12.000000321 +0000 UTC
    End time       : 2020-02-11 20:26:13.000000789 +0000 UTC
    Status code    : Error
    Status message : boom
    DroppedAttributesCount: 1
    DroppedEventsCount: 0
    DroppedLinksCount: 0
Attributes:
     -> http.request.method: Str(GET)
     -> http.response.status_code: Int(500)
Events:
SpanEvent #0
     -> Name: exception
     -> Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
     -> DroppedAttributesCount: 2
     -> Attributes::
          -> exception.type: Str(E)
Links:
SpanLink #0
     -> Trace ID: 0102030405060708090a0b0c0d0e0f10
     -> ID: 1112131415161718
     -> TraceState: 
     -> DroppedAttributesCount: 4
Span #1
    Trace ID       : 
    Parent ID      : 
    ID             : 
    Name           : bare
    Kind           : Unspecified
    Start time     : 1970-01-01 00:00:00 +0000 UTC
    End time       : 1970-01-01 00:00:00 +0000 UTC
    Status code    : Unset
    Status message : 
    DroppedAttributesCount: 0
    DroppedEventsCount: 0
    DroppedLinksCount: 0
";
    assert_eq!(detailed::render(&traces()), expected);
}

#[test]
fn detailed_logs() {
    let expected = "\
ResourceLog #0
Resource SchemaURL: 
Resource attributes:
     -> service.name: Str(checkout)
     -> sampled: Bool(false)
ScopeLogs #0
ScopeLogs SchemaURL: 
InstrumentationScope  
LogRecord #0
ObservedTimestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Timestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
SeverityText: INFO
SeverityNumber: Info(9)
Body: Str(user logged in)
Attributes:
     -> user: Str(ann)
Trace ID: 0102030405060708090a0b0c0d0e0f10
Span ID: 1112131415161718
Flags: 1
LogRecord #1
ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC
Timestamp: 1970-01-01 00:00:00 +0000 UTC
SeverityText: 
SeverityNumber: Error2(18)
Body: Int(7)
Trace ID: 
Span ID: 
Flags: 0
";
    assert_eq!(detailed::render(&logs()), expected);
}

#[test]
fn detailed_metrics() {
    let expected = "\
ResourceMetrics #0
Resource SchemaURL: https://opentelemetry.io/schemas/1.26.0
Resource attributes:
     -> service.name: Str(checkout)
     -> sampled: Bool(false)
ScopeMetrics #0
ScopeMetrics SchemaURL: 
InstrumentationScope scope-name 1.2.3
InstrumentationScope attributes:
     -> scopeKey: Str(scopeValue)
Metric #0
Descriptor:
     -> Name: queue.size
     -> Description: items waiting
     -> Unit: {item}
     -> DataType: Gauge
NumberDataPoints #0
Data point attributes:
     -> queue: Str(a)
StartTimestamp: 1970-01-01 00:00:00 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Value: 1500000.000000
Metric #1
Descriptor:
     -> Name: requests
     -> Description: 
     -> Unit: 
     -> DataType: Sum
     -> IsMonotonic: true
     -> AggregationTemporality: Cumulative
NumberDataPoints #0
StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Value: 42
Metric #2
Descriptor:
     -> Name: latency
     -> Description: 
     -> Unit: s
     -> DataType: Histogram
     -> AggregationTemporality: Delta
HistogramDataPoints #0
Data point attributes:
     -> route: Str(/cart)
     -> code: Int(200)
StartTimestamp: 1970-01-01 00:00:00 +0000 UTC
Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC
Count: 3
Sum: 0.750000
Min: 0.050000
ExplicitBounds #0: 0.100000
ExplicitBounds #1: 0.500000
Buckets #0, Count: 1
Buckets #1, Count: 2
Buckets #2, Count: 0
";
    assert_eq!(detailed::render(&metrics()), expected);
}
