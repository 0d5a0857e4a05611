"""Records what kafka-python sends to a Kafka broker, and answers it.

No Kafka broker can be installed on the build machine (it needs a JVM and a
download outside the package registries), so this script plays the broker:
a socket server that answers each request with a response BUILT FROM THE
SPEC. Both directions are encoded and decoded by one generic codec driven by
Apache Kafka's JSON message definitions (the files the protocol page at
kafka.apache.org/protocol is generated from), which kafka-python ships in
kafka/protocol/schemas/resources; nothing of kafka-python's own encoders is
used. kafka-python decoding every answer is the check that they are right.

The requests are real: kafka-python's producer and consumer, driven by the
scenarios at the bottom. Each TCP connection is written as two files, what
the client sent (`<scenario>_c<N>.req`) and what the stub answered
(`<scenario>_c<N>.resp`), frames as they went on the wire; `<scenario>.txt`
lists the exchanges.

    python3 record.py OUT_DIR        (needs kafka-python: pip install kafka-python)
"""

import json
import os
import re
import socket
import struct
import sys
import threading
import time

import kafka

SCHEMAS = os.path.join(os.path.dirname(kafka.__file__), 'protocol', 'schemas', 'resources')


# -- the spec: message definitions -------------------------------------------

def load(name):
    with open(os.path.join(SCHEMAS, name + '.json')) as f:
        text = re.sub(r'(?m)^\s*//.*$', '', f.read())
    spec = json.loads(text)
    common = {s['name']: s['fields'] for s in spec.get('commonStructs', [])}

    def resolve(fields):
        for field in fields:
            inner = field['type'][2:] if field['type'].startswith('[]') else field['type']
            if inner in common and 'fields' not in field:
                field['fields'] = common[inner]
            resolve(field.get('fields', []))

    resolve(spec['fields'])
    return spec


REQUESTS = {}
RESPONSES = {}
for file in os.listdir(SCHEMAS):
    if file.endswith('Request.json'):
        spec = load(file[:-5])
        REQUESTS[spec['apiKey']] = spec
        RESPONSES[spec['apiKey']] = load(file[:-12] + 'Response')


def in_versions(versions, v):
    """'0+', '3-12', '7', 'none' as the definitions write them."""
    if versions in (None, 'none'):
        return False
    if versions.endswith('+'):
        return v >= int(versions[:-1])
    if '-' in versions:
        lo, hi = versions.split('-')
        return int(lo) <= v <= int(hi)
    return v == int(versions)


def flexible(spec, v):
    return in_versions(spec.get('flexibleVersions'), v)


# -- the codec ----------------------------------------------------------------

INTS = {'int8': '>b', 'int16': '>h', 'uint16': '>H', 'int32': '>i', 'int64': '>q', 'float64': '>d'}


def uvarint(n):
    out = b''
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def default(field):
    d = field.get('default')
    t = field['type']
    if d == 'null':
        return None
    if t.startswith('[]'):
        return []
    if t in INTS:
        return int(d, 0) if isinstance(d, str) else d or 0
    if t == 'bool':
        return d in ('true', True)
    if t == 'uuid':
        return bytes(16)
    if t in ('bytes', 'records'):
        return b''
    return d if d is not None else ''


def encode_struct(fields, value, v, compact):
    out = b''
    for f in fields:
        if not in_versions(f['versions'], v):
            continue
        if in_versions(f.get('taggedVersions'), v):
            continue  # tagged fields are left out: the receiver takes their defaults
        out += encode_field(f, value.get(f['name'], default(f)), v, compact)
    if compact:
        out += uvarint(0)  # no tagged fields
    return out


def encode_field(f, val, v, compact):
    t = f['type']
    compact = compact and f.get('flexibleVersions') != 'none'
    if t.startswith('[]'):
        inner = t[2:]
        if val is None:
            return uvarint(0) if compact else struct.pack('>i', -1)
        out = uvarint(len(val) + 1) if compact else struct.pack('>i', len(val))
        for item in val:
            if 'fields' in f:
                out += encode_struct(f['fields'], item, v, compact)
            else:
                out += encode_field({'type': inner, 'versions': '0+'}, item, v, compact)
        return out
    if t in INTS:
        return struct.pack(INTS[t], val)
    if t == 'bool':
        return b'\x01' if val else b'\x00'
    if t == 'uuid':
        return val
    if t == 'string':
        if val is None:
            return uvarint(0) if compact else struct.pack('>h', -1)
        raw = val.encode()
        return (uvarint(len(raw) + 1) if compact else struct.pack('>h', len(raw))) + raw
    if t in ('bytes', 'records'):
        if val is None:
            return uvarint(0) if compact else struct.pack('>i', -1)
        return (uvarint(len(val) + 1) if compact else struct.pack('>i', len(val))) + val
    if 'fields' in f:
        return encode_struct(f['fields'], val or {}, v, compact)
    raise ValueError(t)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        out = self.data[self.pos:self.pos + n]
        if len(out) != n:
            raise ValueError('short')
        self.pos += n
        return out

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def uvarint(self):
        n, shift = 0, 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def tagged(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def decode_struct(fields, r, v, compact):
    out = {}
    for f in fields:
        if not in_versions(f['versions'], v) or in_versions(f.get('taggedVersions'), v):
            continue
        out[f['name']] = decode_field(f, r, v, compact)
    if compact:
        r.tagged()
    return out


def decode_field(f, r, v, compact):
    t = f['type']
    compact = compact and f.get('flexibleVersions') != 'none'
    if t.startswith('[]'):
        n = r.uvarint() - 1 if compact else r.unpack('>i')
        if n < 0:
            return None
        if 'fields' in f:
            return [decode_struct(f['fields'], r, v, compact) for _ in range(n)]
        return [decode_field({'type': t[2:], 'versions': '0+'}, r, v, compact) for _ in range(n)]
    if t in INTS:
        return r.unpack(INTS[t])
    if t == 'bool':
        return r.take(1) != b'\x00'
    if t == 'uuid':
        return r.take(16)
    if t == 'string':
        n = r.uvarint() - 1 if compact else r.unpack('>h')
        return None if n < 0 else r.take(n).decode()
    if t in ('bytes', 'records'):
        n = r.uvarint() - 1 if compact else r.unpack('>i')
        return None if n < 0 else r.take(n)
    if 'fields' in f:
        return decode_struct(f['fields'], r, v, compact)
    raise ValueError(t)


# -- the broker stub ----------------------------------------------------------

# What the stub says it speaks: a Kafka 4.1 broker (the definitions' valid
# versions), or an old one whose versions are all below the flexible ones.
PROFILES = {
    'kafka41': {k: tuple(int(x) for x in s['validVersions'].split('-')) if '-' in s['validVersions']
                else (int(s['validVersions']), int(s['validVersions']))
                for k, s in REQUESTS.items()},
    'kafka2': {0: (0, 7), 1: (0, 10), 2: (0, 5), 3: (0, 7), 18: (0, 2), 22: (0, 1)},
}
IMPLEMENTED = {0, 1, 2, 3, 18, 22}

TOPICS = {'orders': bytes.fromhex('6f7264657273000000000000000000a1'),
          'flaky': bytes.fromhex('666c616b7900000000000000000000a2')}
NAMES = {tid: name for name, tid in TOPICS.items()}


class Broker:
    def __init__(self, scenario, out, profile):
        self.scenario, self.out = scenario, out
        self.versions = {k: PROFILES[profile][k] for k in IMPLEMENTED if k in PROFILES[profile]}
        self.log = {name: [] for name in TOPICS}   # record batches per topic (partition 0)
        self.flaky_failed = False
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.index = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(conn, self.connections), daemon=True).start()

    def serve(self, conn, n):
        base = os.path.join(self.out, f'{self.scenario}_c{n}')
        with open(base + '.req', 'wb') as req_file, open(base + '.resp', 'wb') as resp_file:
            buf = b''
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b''
                if not data:
                    break
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + struct.unpack('>i', buf[:4])[0]:
                    size = struct.unpack('>i', buf[:4])[0]
                    frame, buf = buf[:4 + size], buf[4 + size:]
                    req_file.write(frame)
                    req_file.flush()
                    answer = self.answer(frame[4:], n)
                    if answer is not None:
                        resp_file.write(answer)
                        resp_file.flush()
                        conn.sendall(answer)
        conn.close()

    def answer(self, payload, conn):
        r = Reader(payload)
        key, version, correlation = r.unpack('>h'), r.unpack('>h'), r.unpack('>i')
        client_id = decode_field({'type': 'string', 'versions': '0+'}, r, 0, False)
        spec = REQUESTS[key]
        if flexible(spec, version):
            r.tagged()
        body = decode_struct(spec['fields'], r, version, flexible(spec, version))
        line = f'c{conn} {spec["name"]} v{version} correlation {correlation} client {client_id!r}'
        if key == 0 and body['Acks'] == 0:
            self.note(line + ' acks=0, no answer')
            self.handle(key, version, body)
            return None
        rversion, response = version, self.handle(key, version, body)
        if key == 18 and not (self.versions[18][0] <= version <= self.versions[18][1]):
            # As a broker does: an ApiVersions request of a version it does
            # not know is answered in v0, with UNSUPPORTED_VERSION.
            rversion, response = 0, dict(response, ErrorCode=35)
        rspec = RESPONSES[key]
        compact = flexible(rspec, rversion)
        head = struct.pack('>i', correlation)
        if compact and key != 18:  # ApiVersions answers keep header v0
            head += uvarint(0)
        frame = head + encode_struct(rspec['fields'], response, rversion, compact)
        errors = sorted(set(re.findall(r"'ErrorCode': (-?[1-9]\d*)", repr(response))))
        self.note(line + f' -> v{rversion}' + (f' errors {",".join(errors)}' if errors else ''))
        return struct.pack('>i', len(frame)) + frame

    def note(self, line):
        with self.lock:
            self.index.append(line)

    def handle(self, key, version, body):
        if key == 18:
            return {'ErrorCode': 0, 'ThrottleTimeMs': 0,
                    'ApiKeys': [{'ApiKey': k, 'MinVersion': lo, 'MaxVersion': hi}
                                for k, (lo, hi) in sorted(self.versions.items())]}
        if key == 3:
            asked = body['Topics']
            if asked is None or (version == 0 and not asked):  # all topics
                names = list(TOPICS)
            else:
                names = [t['Name'] or NAMES.get(t.get('TopicId')) for t in asked]
            topics = []
            for name in names:
                if name in TOPICS:
                    topics.append({'ErrorCode': 0, 'Name': name, 'TopicId': TOPICS[name], 'Partitions': [
                        {'ErrorCode': 0, 'PartitionIndex': 0, 'LeaderId': 0, 'LeaderEpoch': 0,
                         'ReplicaNodes': [0], 'IsrNodes': [0], 'OfflineReplicas': []}]})
                else:
                    topics.append({'ErrorCode': 3, 'Name': name, 'Partitions': []})
            return {'ThrottleTimeMs': 0, 'ClusterId': 'sonde-recording', 'ControllerId': 0,
                    'Brokers': [{'NodeId': 0, 'Host': '127.0.0.1', 'Port': self.port}],
                    'Topics': topics}
        if key == 0:
            responses = []
            for topic in body['TopicData']:
                name = topic.get('Name') or NAMES.get(topic.get('TopicId'))
                partitions = []
                for p in topic['PartitionData']:
                    error = 0
                    if name == 'flaky' and not self.flaky_failed:
                        self.flaky_failed, error = True, 6  # NOT_LEADER_OR_FOLLOWER: the client retries
                    offset = -1
                    if error == 0 and name in self.log:
                        offset = sum(count(b) for b in self.log[name])
                        self.log[name].append(p['Records'])
                    partitions.append({'Index': p['Index'], 'ErrorCode': error, 'BaseOffset': offset,
                                       'LogAppendTimeMs': -1, 'LogStartOffset': 0})
                responses.append({'Name': topic.get('Name'), 'TopicId': topic.get('TopicId', bytes(16)),
                                  'PartitionResponses': partitions})
            return {'Responses': responses, 'ThrottleTimeMs': 0}
        if key == 1:
            topics, waited = [], False
            for topic in body['Topics']:
                name = topic.get('Topic') or NAMES.get(topic.get('TopicId'))
                partitions = []
                for p in topic['Partitions']:
                    batches = self.log.get(name, [])
                    end = sum(count(b) for b in batches)
                    error, records = 0, b''
                    if p['FetchOffset'] > end:
                        error = 1  # OFFSET_OUT_OF_RANGE: the client resets its position
                    elif p['FetchOffset'] < end:
                        records = b''.join(with_base_offset(b, sum(count(x) for x in batches[:i]))
                                           for i, b in enumerate(batches))
                    else:
                        waited = True
                    partitions.append({'PartitionIndex': p['Partition'], 'ErrorCode': error,
                                       'HighWatermark': end, 'LastStableOffset': end,
                                       'LogStartOffset': 0, 'AbortedTransactions': [],
                                       'PreferredReadReplica': -1, 'Records': records})
                topics.append({'Topic': topic.get('Topic'), 'TopicId': topic.get('TopicId', bytes(16)),
                               'Partitions': partitions})
            if waited:
                time.sleep(min(body['MaxWaitMs'], 200) / 1000)
            return {'ThrottleTimeMs': 0, 'ErrorCode': 0, 'SessionId': 0, 'Responses': topics}
        if key == 2:
            topics = []
            for topic in body['Topics']:
                end = sum(count(b) for b in self.log.get(topic['Name'], []))
                topics.append({'Name': topic['Name'], 'Partitions': [
                    {'PartitionIndex': p['PartitionIndex'], 'ErrorCode': 0, 'Timestamp': -1,
                     'Offset': 0 if p['Timestamp'] == -2 else end, 'LeaderEpoch': 0}
                    for p in topic['Partitions']]})
            return {'ThrottleTimeMs': 0, 'Topics': topics}
        if key == 22:
            return {'ThrottleTimeMs': 0, 'ErrorCode': 0, 'ProducerId': 4000, 'ProducerEpoch': 0}
        raise ValueError(f'api {key} not implemented')

    def close(self, wait=0.5):
        time.sleep(wait)
        self.sock.close()
        with open(os.path.join(self.out, f'{self.scenario}.txt'), 'w') as f:
            f.write('\n'.join(self.index) + '\n')


def count(batch):
    """Records in a v2 record batch: last offset delta + 1."""
    return struct.unpack('>i', batch[23:27])[0] + 1


def with_base_offset(batch, base):
    # The base offset is outside the batch's CRC.
    return struct.pack('>q', base) + batch[8:]


# -- the scenarios ------------------------------------------------------------

def producer(broker, **kw):
    from kafka import KafkaProducer
    return KafkaProducer(bootstrap_servers=f'127.0.0.1:{broker.port}', client_id='sonde-producer',
                         linger_ms=0, **kw)


def produce(out, profile):
    broker = Broker(f'produce_{profile}', out, profile)
    p = producer(broker, retries=3, retry_backoff_ms=50, max_block_ms=1500)
    p.send('orders', key=b'k1', value=b'{"id": 1, "total": 9.5}').get(timeout=10)
    p.send('orders', value=b'{"id": 2, "total": 12.0}').get(timeout=10)
    p.send('flaky', value=b'retried once').get(timeout=10)
    try:
        p.send('nosuch', value=b'lost').get(timeout=10)
    except Exception as e:  # the topic never appears in the metadata
        print('nosuch:', type(e).__name__)
    p.close()
    broker.close()
    return broker


def fire_and_forget(out):
    broker = Broker('acks0', out, 'kafka41')
    p = producer(broker, acks=0, enable_idempotence=False)
    for i in range(3):
        p.send('orders', value=b'event %d' % i)
    p.flush()
    time.sleep(0.3)
    p.close()
    broker.close()


def consume(out, profile):
    from kafka import KafkaConsumer, TopicPartition
    broker = Broker(f'consume_{profile}', out, profile)
    p = producer(broker)
    p.send('orders', key=b'k1', value=b'{"id": 1}').get(timeout=10)
    p.send('orders', key=b'k2', value=b'{"id": 2}').get(timeout=10)
    p.close()
    c = KafkaConsumer(bootstrap_servers=f'127.0.0.1:{broker.port}', client_id='sonde-consumer',
                      group_id=None, auto_offset_reset='earliest', fetch_max_wait_ms=100,
                      enable_auto_commit=False)
    tp = TopicPartition('orders', 0)
    c.assign([tp])
    c.seek(tp, 5)  # past the end: OFFSET_OUT_OF_RANGE, then a reset to the earliest
    got = []
    deadline = time.time() + 10
    while len(got) < 2 and time.time() < deadline:
        for records in c.poll(timeout_ms=200).values():
            got.extend(r.value for r in records)
    print('consumed:', got)
    c.close()
    broker.close()


def spec_frames(out, batch):
    """Exchanges kafka-python does not make, both sides BUILT FROM THE SPEC
    alone (no client): topics named by id (Fetch v16, Produce v13, as the
    Java client sends them to Kafka 3.x/4.x), and a consumer group's
    Heartbeat answered REBALANCE_IN_PROGRESS. `batch` is a record batch
    kafka-python produced."""
    orders = TOPICS['orders']
    big = batch * 300  # 24 KB of records, to show they are skipped, not read
    exchanges = [
        (3, 12, {'Topics': [{'TopicId': bytes(16), 'Name': 'orders'}],
                 'AllowAutoTopicCreation': False, 'IncludeTopicAuthorizedOperations': False},
         {'ThrottleTimeMs': 0, 'ClusterId': 'sonde-recording', 'ControllerId': 0,
          'Brokers': [{'NodeId': 0, 'Host': '127.0.0.1', 'Port': 9092, 'Rack': None}],
          'Topics': [{'ErrorCode': 0, 'Name': 'orders', 'TopicId': orders, 'Partitions': [
              {'ErrorCode': 0, 'PartitionIndex': p, 'LeaderId': 0, 'LeaderEpoch': 0,
               'ReplicaNodes': [0], 'IsrNodes': [0], 'OfflineReplicas': []} for p in (0, 1)]}]}),
        (1, 16, {'MaxWaitMs': 500, 'MinBytes': 1, 'MaxBytes': 52428800, 'IsolationLevel': 0,
                 'SessionId': 0, 'SessionEpoch': -1,
                 'Topics': [{'TopicId': orders, 'Partitions': [
                     {'Partition': p, 'CurrentLeaderEpoch': 0, 'FetchOffset': 0, 'LastFetchedEpoch': -1,
                      'LogStartOffset': -1, 'PartitionMaxBytes': 1048576} for p in (0, 1)]}],
                 'ForgottenTopicsData': [], 'RackId': ''},
         {'ThrottleTimeMs': 0, 'ErrorCode': 0, 'SessionId': 0, 'Responses': [{'TopicId': orders, 'Partitions': [
             {'PartitionIndex': 0, 'ErrorCode': 0, 'HighWatermark': 1, 'LastStableOffset': 1,
              'LogStartOffset': 0, 'AbortedTransactions': None, 'PreferredReadReplica': -1, 'Records': batch},
             {'PartitionIndex': 1, 'ErrorCode': 6, 'HighWatermark': -1, 'LastStableOffset': -1,
              'LogStartOffset': -1, 'AbortedTransactions': None, 'PreferredReadReplica': -1, 'Records': None}]}]}),
        (0, 13, {'TransactionalId': None, 'Acks': -1, 'TimeoutMs': 30000,
                 'TopicData': [{'TopicId': orders, 'PartitionData': [{'Index': 0, 'Records': batch}]}]},
         {'Responses': [{'TopicId': orders, 'PartitionResponses': [
             {'Index': 0, 'ErrorCode': 0, 'BaseOffset': 1, 'LogAppendTimeMs': -1, 'LogStartOffset': 0,
              'RecordErrors': [], 'ErrorMessage': None}]}], 'ThrottleTimeMs': 0}),
        (1, 16, {'MaxWaitMs': 500, 'MinBytes': 1, 'MaxBytes': 52428800, 'IsolationLevel': 0,
                 'SessionId': 0, 'SessionEpoch': -1,
                 'Topics': [{'TopicId': orders, 'Partitions': [
                     {'Partition': p, 'CurrentLeaderEpoch': 0, 'FetchOffset': 1, 'LastFetchedEpoch': -1,
                      'LogStartOffset': -1, 'PartitionMaxBytes': 1048576} for p in (0, 1)]}],
                 'ForgottenTopicsData': [], 'RackId': ''},
         {'ThrottleTimeMs': 0, 'ErrorCode': 0, 'SessionId': 0, 'Responses': [{'TopicId': orders, 'Partitions': [
             {'PartitionIndex': 0, 'ErrorCode': 0, 'HighWatermark': 301, 'LastStableOffset': 301,
              'LogStartOffset': 0, 'AbortedTransactions': None, 'PreferredReadReplica': -1, 'Records': big},
             {'PartitionIndex': 1, 'ErrorCode': 6, 'HighWatermark': -1, 'LastStableOffset': -1,
              'LogStartOffset': -1, 'AbortedTransactions': None, 'PreferredReadReplica': -1, 'Records': None}]}]}),
        (12, 4, {'GroupId': 'billing', 'GenerationId': 3, 'MemberId': 'sonde-consumer-1', 'GroupInstanceId': None},
         {'ThrottleTimeMs': 0, 'ErrorCode': 27}),
    ]
    with open(os.path.join(out, 'spec_c1.req'), 'wb') as req, \
            open(os.path.join(out, 'spec_c1.resp'), 'wb') as resp, \
            open(os.path.join(out, 'spec.txt'), 'w') as index:
        for correlation, (key, v, request, response) in enumerate(exchanges, 1):
            spec, rspec = REQUESTS[key], RESPONSES[key]
            head = struct.pack('>hhi', key, v, correlation) + encode_field(
                {'type': 'string', 'versions': '0+'}, 'sonde-java-like', v, False)
            if flexible(spec, v):
                head += uvarint(0)
            frame = head + encode_struct(spec['fields'], request, v, flexible(spec, v))
            req.write(struct.pack('>i', len(frame)) + frame)
            frame = struct.pack('>i', correlation) + (uvarint(0) if flexible(rspec, v) else b'')
            frame += encode_struct(rspec['fields'], response, v, flexible(rspec, v))
            resp.write(struct.pack('>i', len(frame)) + frame)
            index.write(f'c1 {spec["name"]} v{v} correlation {correlation} (built from the spec)\n')
            check_with_kafka_python(key, v, frame, rspec)


def check_with_kafka_python(key, v, frame, rspec):
    """kafka-python's own decoder reads the answer built here."""
    from kafka.protocol.consumer.fetch import FetchResponse
    from kafka.protocol.consumer.group import HeartbeatResponse
    from kafka.protocol.metadata.metadata import MetadataResponse
    from kafka.protocol.producer.produce import ProduceResponse
    cls = {0: ProduceResponse, 1: FetchResponse, 3: MetadataResponse, 12: HeartbeatResponse}[key]
    body = frame[4 + (1 if flexible(rspec, v) else 0):]
    cls.decode(body, version=v, header=False)


if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else '.'
    print('kafka-python', kafka.__version__)
    batch = None
    for profile in ('kafka41', 'kafka2'):
        broker = produce(out, profile)
        batch = batch or broker.log['orders'][0]
        consume(out, profile)
    fire_and_forget(out)
    spec_frames(out, batch)
