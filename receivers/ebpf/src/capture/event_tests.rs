use super::*;
use crate::capture::raw::{self, Record};

fn header(kind: u32) -> raw::sonde_event_header {
    let mut comm = [0u8; 16];
    comm[..4].copy_from_slice(b"curl");
    raw::sonde_event_header {
        kind,
        pid: 100,
        tid: 101,
        reserved: 0,
        timestamp_ns: 5_000,
        comm,
    }
}

fn v4_tuple() -> raw::sonde_tuple {
    let mut tuple = raw::sonde_tuple {
        sport: 40000,
        dport: 8080,
        family: 2,
        protocol: 6,
        ..Default::default()
    };
    tuple.saddr[..4].copy_from_slice(&[127, 0, 0, 1]);
    tuple.daddr[..4].copy_from_slice(&[127, 0, 0, 2]);
    tuple
}

fn task() -> Task {
    Task {
        pid: 100,
        tid: 101,
        comm: Comm::from(*b"curl\0\0\0\0\0\0\0\0\0\0\0\0"),
        timestamp_ns: 5_000,
    }
}

fn data_record(payload: &[u8]) -> Vec<u8> {
    let event = raw::sonde_data_event {
        header: header(raw::SONDE_EVENT_DATA),
        tuple: v4_tuple(),
        socket_id: 7,
        trace_id: 9,
        enter_ns: 4_000,
        bytes: 78,
        tcp_seq: 0xdead_beef,
        fd: 5,
        payload_len: payload.len() as u32,
        direction: raw::SONDE_EGRESS as u8,
        syscall: raw::SONDE_SYS_SENDTO as u8,
        l7_protocol: raw::SONDE_L7_HTTP1 as u8,
        reserved: 0,
    };
    let mut record = event.as_bytes().to_vec();
    record.extend_from_slice(payload);
    record
}

#[test]
fn a_data_record_decodes_with_its_payload() {
    let record = data_record(b"GET / HTTP/1.1\r\n");
    let expected = DataEvent {
        task: task(),
        enter_ns: 4_000,
        socket_id: 7,
        fd: 5,
        tuple: SocketTuple {
            local: "127.0.0.1:40000".parse().unwrap(),
            remote: "127.0.0.2:8080".parse().unwrap(),
            udp: false,
        },
        direction: Direction::Egress,
        syscall: Syscall::Sendto,
        l7_protocol: L7Protocol::Http1,
        bytes: 78,
        tcp_seq: 0xdead_beef,
        trace_id: Some(9),
        payload: Bytes::from_static(b"GET / HTTP/1.1\r\n"),
    };
    assert_eq!(decode(&record), Ok(Event::Data(expected)));
}

#[test]
fn ring_buffer_padding_after_the_payload_is_ignored() {
    let mut record = data_record(b"HTTP/1.1 200 OK\r\n");
    record.extend_from_slice(&[0; 7]);
    let Ok(Event::Data(event)) = decode(&record) else {
        panic!("not data")
    };
    assert_eq!(&event.payload[..], b"HTTP/1.1 200 OK\r\n");
}

#[test]
fn a_payload_longer_than_the_record_is_an_error() {
    let mut record = data_record(b"GET / HTTP/1.1\r\n");
    record.truncate(record.len() - 1);
    assert_eq!(
        decode(&record),
        Err(DecodeError::Truncated {
            kind: 1,
            len: 143,
            want: 144
        })
    );
}

#[test]
fn an_ipv6_tuple_uses_all_sixteen_bytes() {
    let mut event = raw::sonde_socket_event {
        header: header(raw::SONDE_EVENT_ACCEPT),
        tuple: raw::sonde_tuple {
            sport: 443,
            dport: 50000,
            family: 10,
            protocol: 6,
            ..Default::default()
        },
        socket_id: 3,
        fd: 9,
        ..Default::default()
    };
    event.tuple.saddr[15] = 1;
    event.tuple.daddr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let expected = ConnectionEvent {
        task: Task {
            comm: Comm::from(*b"curl\0\0\0\0\0\0\0\0\0\0\0\0"),
            ..task()
        },
        socket_id: 3,
        fd: 9,
        tuple: SocketTuple {
            local: "[::1]:443".parse().unwrap(),
            remote: "[2001:db8::2]:50000".parse().unwrap(),
            udp: false,
        },
        role: Role::Server,
        in_progress: false,
    };
    assert_eq!(decode(event.as_bytes()), Ok(Event::Connection(expected)));
}

#[test]
fn a_non_blocking_connect_is_in_progress() {
    let event = raw::sonde_socket_event {
        header: header(raw::SONDE_EVENT_CONNECT),
        tuple: v4_tuple(),
        socket_id: 3,
        fd: 4,
        ret: -libc::EINPROGRESS,
        ..Default::default()
    };
    let Ok(Event::Connection(connection)) = decode(event.as_bytes()) else {
        panic!("not a connection")
    };
    assert_eq!(
        (connection.role, connection.in_progress, connection.fd),
        (Role::Client, true, 4)
    );
}

#[test]
fn close_state_and_retransmit_records_decode() {
    let mut event = raw::sonde_socket_event {
        header: header(raw::SONDE_EVENT_CLOSE),
        tuple: v4_tuple(),
        socket_id: 3,
        fd: 4,
        retransmits: 2,
        ..Default::default()
    };
    let tuple = SocketTuple {
        local: "127.0.0.1:40000".parse().unwrap(),
        remote: "127.0.0.2:8080".parse().unwrap(),
        udp: false,
    };
    assert_eq!(
        decode(event.as_bytes()),
        Ok(Event::Close(CloseEvent {
            task: task(),
            socket_id: 3,
            fd: 4,
            tuple,
            retransmits: 2
        }))
    );

    event.header.kind = raw::SONDE_EVENT_SOCK_STATE;
    event.old_state = 1;
    event.new_state = 4;
    assert_eq!(
        decode(event.as_bytes()),
        Ok(Event::TcpState(TcpStateEvent {
            task: task(),
            socket_id: 3,
            tuple,
            old: TcpState::Established,
            new: TcpState::FinWait1
        }))
    );

    event.header.kind = raw::SONDE_EVENT_RETRANSMIT;
    event.new_state = 1;
    assert_eq!(
        decode(event.as_bytes()),
        Ok(Event::Retransmit(RetransmitEvent {
            task: task(),
            socket_id: 3,
            tuple,
            state: TcpState::Established,
            retransmits: 2
        }))
    );
}

#[test]
fn process_records_decode() {
    let mut event = raw::sonde_process_event {
        header: header(raw::SONDE_EVENT_PROCESS_EXEC),
        ppid: 1,
        ..Default::default()
    };
    event.filename[..13].copy_from_slice(b"/usr/bin/curl");
    assert_eq!(
        decode(event.as_bytes()),
        Ok(Event::ProcessExec(ProcessExecEvent {
            task: task(),
            ppid: 1,
            filename: "/usr/bin/curl".into()
        }))
    );
    event.header.kind = raw::SONDE_EVENT_PROCESS_EXIT;
    event.exit_code = 256;
    assert_eq!(
        decode(event.as_bytes()),
        Ok(Event::ProcessExit(ProcessExitEvent {
            task: task(),
            ppid: 1,
            exit_code: 256
        }))
    );
}

#[test]
fn garbage_is_an_error_never_a_panic() {
    assert_eq!(decode(&[1, 0, 0]), Err(DecodeError::Short(3)));
    assert_eq!(
        decode(header(99).as_bytes()),
        Err(DecodeError::UnknownKind(99))
    );
    assert_eq!(
        decode(header(raw::SONDE_EVENT_PROCESS_EXIT).as_bytes()),
        Err(DecodeError::Truncated {
            kind: 8,
            len: 40,
            want: 304
        })
    );
    let mut record = data_record(b"");
    record[125] = 42; // syscall
    assert_eq!(
        decode(&record),
        Err(DecodeError::UnknownValue {
            kind: 1,
            field: "syscall",
            value: 42
        })
    );
}

#[test]
fn comm_stops_at_the_first_nul() {
    let comm = Comm::from(*b"python3\0garbage\0");
    assert_eq!(comm.as_bytes(), b"python3");
    assert_eq!(comm.to_string(), "python3");
    assert_eq!(format!("{comm:?}"), "\"python3\"");
}

#[test]
fn a_v4_mapped_address_is_given_as_ipv4() {
    let mut event = raw::sonde_socket_event {
        header: header(raw::SONDE_EVENT_ACCEPT),
        tuple: raw::sonde_tuple {
            sport: 8080,
            dport: 40000,
            family: 10,
            protocol: 6,
            ..Default::default()
        },
        ..Default::default()
    };
    event.tuple.saddr = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
    event.tuple.daddr = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3];
    let Ok(Event::Connection(connection)) = decode(event.as_bytes()) else {
        panic!("not a connection")
    };
    assert_eq!(connection.tuple.local, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(connection.tuple.remote, "10.1.2.3:40000".parse().unwrap());
}
