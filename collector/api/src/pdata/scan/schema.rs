//! The OTLP messages as the walk sees them: field numbers and wire shapes of
//! opentelemetry-proto's `collector/*/v1` requests and everything below them.
//! Field numbers are the .proto's; a field missing here is skipped as unknown,
//! exactly as prost skips fields it was not generated with.

use super::{Msg, Ty};

use Ty::{Bytes, Msg as M, RepeatedI64, RepeatedVarint, Str, Varint, I32, I64};

// common.v1
static ANY_VALUE: Msg = Msg::new(&[
    (1, Str),
    (2, Varint),
    (3, Varint),
    (4, I64),
    (5, M(&ARRAY_VALUE)),
    (6, M(&KEY_VALUE_LIST)),
    (7, Bytes),
    (8, Varint),
]);
static ARRAY_VALUE: Msg = Msg::new(&[(1, M(&ANY_VALUE))]);
static KEY_VALUE_LIST: Msg = Msg::new(&[(1, M(&KEY_VALUE))]);
static KEY_VALUE: Msg = Msg::new(&[(1, Str), (2, M(&ANY_VALUE)), (3, Varint)]);
static SCOPE: Msg = Msg::new(&[(1, Str), (2, Str), (3, M(&KEY_VALUE)), (4, Varint)]);
static ENTITY_REF: Msg = Msg::new(&[(1, Str), (2, Str), (3, Str), (4, Str)]);

// resource.v1
static RESOURCE: Msg = Msg::new(&[(1, M(&KEY_VALUE)), (2, Varint), (3, M(&ENTITY_REF))]);

// trace.v1
pub(crate) static TRACES_REQUEST: Msg = Msg::new(&[(1, M(&RESOURCE_SPANS))]);
static RESOURCE_SPANS: Msg = Msg::new(&[(1, M(&RESOURCE)), (2, M(&SCOPE_SPANS)), (3, Str)]);
static SCOPE_SPANS: Msg = Msg::new(&[(1, M(&SCOPE)), (2, M(&SPAN)), (3, Str)]);
static SPAN: Msg = Msg::item(&[
    (1, Bytes),
    (2, Bytes),
    (3, Str),
    (4, Bytes),
    (5, Str),
    (6, Varint),
    (7, I64),
    (8, I64),
    (9, M(&KEY_VALUE)),
    (10, Varint),
    (11, M(&SPAN_EVENT)),
    (12, Varint),
    (13, M(&SPAN_LINK)),
    (14, Varint),
    (15, M(&SPAN_STATUS)),
    (16, I32),
]);
static SPAN_EVENT: Msg = Msg::new(&[(1, I64), (2, Str), (3, M(&KEY_VALUE)), (4, Varint)]);
static SPAN_LINK: Msg = Msg::new(&[
    (1, Bytes),
    (2, Bytes),
    (3, Str),
    (4, M(&KEY_VALUE)),
    (5, Varint),
    (6, I32),
]);
static SPAN_STATUS: Msg = Msg::new(&[(2, Str), (3, Varint)]);

// logs.v1
pub(crate) static LOGS_REQUEST: Msg = Msg::new(&[(1, M(&RESOURCE_LOGS))]);
static RESOURCE_LOGS: Msg = Msg::new(&[(1, M(&RESOURCE)), (2, M(&SCOPE_LOGS)), (3, Str)]);
static SCOPE_LOGS: Msg = Msg::new(&[(1, M(&SCOPE)), (2, M(&LOG_RECORD)), (3, Str)]);
static LOG_RECORD: Msg = Msg::item(&[
    (1, I64),
    (2, Varint),
    (3, Str),
    (5, M(&ANY_VALUE)),
    (6, M(&KEY_VALUE)),
    (7, Varint),
    (8, I32),
    (9, Bytes),
    (10, Bytes),
    (11, I64),
    (12, Str),
]);

// metrics.v1
pub(crate) static METRICS_REQUEST: Msg = Msg::new(&[(1, M(&RESOURCE_METRICS))]);
static RESOURCE_METRICS: Msg = Msg::new(&[(1, M(&RESOURCE)), (2, M(&SCOPE_METRICS)), (3, Str)]);
static SCOPE_METRICS: Msg = Msg::new(&[(1, M(&SCOPE)), (2, M(&METRIC)), (3, Str)]);
static METRIC: Msg = Msg::with_oneof(
    &[
        (1, Str),
        (2, Str),
        (3, Str),
        (5, M(&GAUGE)),
        (7, M(&SUM)),
        (9, M(&HISTOGRAM)),
        (10, M(&EXPONENTIAL_HISTOGRAM)),
        (11, M(&SUMMARY)),
        (12, M(&KEY_VALUE)),
    ],
    &[5, 7, 9, 10, 11],
);
static GAUGE: Msg = Msg::new(&[(1, M(&NUMBER_POINT))]);
static SUM: Msg = Msg::new(&[(1, M(&NUMBER_POINT)), (2, Varint), (3, Varint)]);
static HISTOGRAM: Msg = Msg::new(&[(1, M(&HISTOGRAM_POINT)), (2, Varint)]);
static EXPONENTIAL_HISTOGRAM: Msg = Msg::new(&[(1, M(&EXPONENTIAL_POINT)), (2, Varint)]);
static SUMMARY: Msg = Msg::new(&[(1, M(&SUMMARY_POINT))]);
static NUMBER_POINT: Msg = Msg::item(&[
    (2, I64),
    (3, I64),
    (4, I64),
    (5, M(&EXEMPLAR)),
    (6, I64),
    (7, M(&KEY_VALUE)),
    (8, Varint),
]);
static HISTOGRAM_POINT: Msg = Msg::item(&[
    (2, I64),
    (3, I64),
    (4, I64),
    (5, I64),
    (6, RepeatedI64),
    (7, RepeatedI64),
    (8, M(&EXEMPLAR)),
    (9, M(&KEY_VALUE)),
    (10, Varint),
    (11, I64),
    (12, I64),
]);
static EXPONENTIAL_POINT: Msg = Msg::item(&[
    (1, M(&KEY_VALUE)),
    (2, I64),
    (3, I64),
    (4, I64),
    (5, I64),
    (6, Varint),
    (7, I64),
    (8, M(&BUCKETS)),
    (9, M(&BUCKETS)),
    (10, Varint),
    (11, M(&EXEMPLAR)),
    (12, I64),
    (13, I64),
    (14, I64),
]);
static BUCKETS: Msg = Msg::new(&[(1, Varint), (2, RepeatedVarint)]);
static SUMMARY_POINT: Msg = Msg::item(&[
    (2, I64),
    (3, I64),
    (4, I64),
    (5, I64),
    (6, M(&QUANTILE)),
    (7, M(&KEY_VALUE)),
    (8, Varint),
]);
static QUANTILE: Msg = Msg::new(&[(1, I64), (2, I64)]);
static EXEMPLAR: Msg = Msg::new(&[
    (2, I64),
    (3, I64),
    (4, Bytes),
    (5, Bytes),
    (6, I64),
    (7, M(&KEY_VALUE)),
]);
