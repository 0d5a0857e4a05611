"""Cut the recorded pcaps into one file per message (see README.md).

python3 extract_pcap.py dns.pcap keepopen.pcap [OUT_DIR]

dns.pcap holds the six UDP exchanges and the two one-query TCP connections,
in the order README.md lists them; keepopen.pcap the `+tcp +keepopen` run.
Ethernet (tcpdump on lo) and IPv4 only, as recorded.
"""
import struct
import sys

PORT = 5353
UDP = ['www_a', 'nosuch_a', 'example_com_a', 'demo_mx', 'ldap_srv', 'alias_cname']
TCP = ['www_a', 'nosuch_a']


def payloads(path):
    """(transport, source port, destination port, payload) of each packet with data."""
    data = open(path, 'rb').read()
    assert struct.unpack('<I', data[:4])[0] == 0xA1B2C3D4, 'a little-endian pcap'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if frame[12:14] != b'\x08\x00':
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        l4 = ip[ihl:struct.unpack('>H', ip[2:4])[0]]
        if ip[9] == 17:
            body, transport = l4[8:], 'udp'
        elif ip[9] == 6:
            body, transport = l4[(l4[12] >> 4) * 4:], 'tcp'
        else:
            continue
        sport, dport = struct.unpack('>HH', l4[:4])
        if body:
            yield transport, sport, dport, body


def main(first, keepopen, out='.'):
    def write(name, body):
        with open(f'{out}/{name}', 'wb') as f:
            f.write(body)

    packets = list(payloads(first))
    udp = [p for p in packets if p[0] == 'udp']
    tcp = [p for p in packets if p[0] == 'tcp']
    for i, name in enumerate(UDP):
        query, answer = udp[2 * i], udp[2 * i + 1]
        assert query[2] == PORT and answer[1] == PORT
        write(f'dig_{name}.req', query[3])
        write(f'dnsmasq_{name}.resp', answer[3])
    for i, name in enumerate(TCP):
        write(f'dig_tcp_{name}.req', tcp[2 * i][3])
        write(f'dnsmasq_tcp_{name}.resp', tcp[2 * i + 1][3])
    packets = list(payloads(keepopen))
    write('dig_tcp_keepopen.req', b''.join(p[3] for p in packets if p[2] == PORT))
    write('dnsmasq_tcp_keepopen.resp', b''.join(p[3] for p in packets if p[1] == PORT))


if __name__ == '__main__':
    main(*sys.argv[1:])
