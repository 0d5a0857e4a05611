use super::*;
use crate::capture::Direction::{Egress, Ingress};
use crate::testutil::{tuple, Data};

fn payload_of(event: &Event) -> &[u8] {
    match event {
        Event::Data(d) => &d.payload,
        other => panic!("not data: {other:?}"),
    }
}

/// The server's read returned (t=150) before the client's write did (t=200), so
/// the ring delivered it first; the write entered at t=100 and goes first.
#[test]
fn a_send_goes_before_the_receive_of_its_bytes() {
    let t = tuple("127.0.0.1:5000", "127.0.0.1:80");
    let mut reorder = Reorder::default();
    reorder.push(Data::new(Ingress, 2, t, b"server read").at(50, 150).event());
    reorder.push(
        Data::new(Egress, 1, t, b"client write")
            .at(100, 200)
            .event(),
    );
    assert!(
        reorder.pop_ready(100 + WINDOW_NS - 1).is_none(),
        "held for the window"
    );
    let now = 200 + WINDOW_NS;
    let order: Vec<Vec<u8>> = std::iter::from_fn(|| reorder.pop_ready(now))
        .map(|e| payload_of(&e).to_vec())
        .collect();
    assert_eq!(
        order,
        vec![b"client write".to_vec(), b"server read".to_vec()]
    );
    assert!(reorder.is_empty());
}

#[test]
fn equal_times_keep_their_arrival_order_and_drain_empties() {
    let t = tuple("127.0.0.1:5000", "127.0.0.1:80");
    let mut reorder = Reorder::default();
    for name in [b"a", b"b", b"c"] {
        reorder.push(Data::new(Ingress, 1, t, name).at(0, 10).event());
    }
    assert_eq!(reorder.wait_ns(10), Some(WINDOW_NS));
    let order: Vec<Vec<u8>> = reorder.drain().map(|e| payload_of(&e).to_vec()).collect();
    assert_eq!(order, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(reorder.wait_ns(10), None);
}

#[test]
fn an_event_far_out_of_order_still_lands_in_place() {
    let t = tuple("127.0.0.1:5000", "127.0.0.1:80");
    let mut reorder = Reorder::default();
    for (name, exit) in [(b"b", 200), (b"c", 300), (b"a", 100), (b"d", 400)] {
        reorder.push(Data::new(Ingress, 1, t, name).at(0, exit).event());
    }
    let order: Vec<Vec<u8>> = reorder.drain().map(|e| payload_of(&e).to_vec()).collect();
    assert_eq!(
        order,
        vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
    );
}
