//! The parts of request and response bodies a span needs, read field by
//! field as Apache Kafka's message definitions lay them out per version
//! (kafka.apache.org/protocol): the topics of Produce, Fetch and Metadata
//! requests, the consumer group of group requests, and the error codes of
//! responses. Record sets are skipped by their length, never read.

use std::collections::HashMap;

use super::apis::top_level_error;
use super::wire::{Read, Reader};
use super::{Request, Response};

/// Topic names by topic id, learnt from Metadata answers on the connection
/// (Produce v13+ and Fetch v13+ name topics by id only).
pub type TopicNames = HashMap<[u8; 16], String>;

/// Topic ids remembered per connection; past it new ones are not kept.
pub const MAX_TOPIC_IDS: usize = 4096;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Read the request body after its header into `q`.
pub fn request(r: &mut Reader<'_>, q: &mut Request, names: &TopicNames) -> Read<()> {
    let v = q.api_version;
    match q.api_key {
        0 => {
            if v >= 3 {
                r.string()?; // transactional id
            }
            q.acks = Some(r.i16()?);
            r.i32()?; // timeout
            first_topic(r, q, v >= 13, names)
        }
        1 => {
            if v <= 14 {
                r.i32()?; // replica id
            }
            r.i32()?; // max wait
            r.i32()?; // min bytes
            if v >= 3 {
                r.i32()?; // max bytes
            }
            if v >= 4 {
                r.i8()?; // isolation level
            }
            if v >= 7 {
                r.i32()?; // session id
                r.i32()?; // session epoch
            }
            first_topic(r, q, v >= 13, names)
        }
        3 => {
            let n = r.array(1)?;
            q.topic_count = n.map(|n| n as u32);
            if n.unwrap_or(0) > 0 {
                let id = if v >= 10 { Some(r.uuid()?) } else { None };
                q.topic = match r.string()? {
                    Some(name) => Some(text(name)),
                    None => id.and_then(|id| names.get(&id).cloned()),
                };
            }
            Ok(())
        }
        // OffsetCommit, JoinGroup, Heartbeat, LeaveGroup, SyncGroup, and
        // OffsetFetch before it took several groups: the group id first.
        8 | 11..=14 => group(r, q),
        9 if v <= 7 => group(r, q),
        _ => Ok(()),
    }
}

/// The topic array's count and its first topic's name (or id, resolved
/// through `names`).
fn first_topic(r: &mut Reader<'_>, q: &mut Request, by_id: bool, names: &TopicNames) -> Read<()> {
    let n = r.array(1)?.unwrap_or(0);
    q.topic_count = Some(n as u32);
    if n == 0 {
        return Ok(());
    }
    if by_id {
        let id = r.uuid()?;
        q.topic_id = Some(id);
        q.topic = names.get(&id).cloned();
    } else {
        q.topic = r.string()?.map(text);
    }
    Ok(())
}

fn group(r: &mut Reader<'_>, q: &mut Request) -> Read<()> {
    q.group = r.string()?.map(text);
    Ok(())
}

/// Read the response body after its header into `a`, as an answer to API
/// `key` version `v`.
pub fn response(
    r: &mut Reader<'_>,
    a: &mut Response,
    key: i16,
    v: i16,
    names: &mut TopicNames,
) -> Read<()> {
    match key {
        0 => produce(r, a, v),
        1 => fetch(r, a, v),
        3 => metadata(r, a, v, names),
        _ => match top_level_error(key, v) {
            Some(after_throttle) => {
                if after_throttle {
                    r.i32()?;
                }
                a.note(r.i16()?);
                Ok(())
            }
            None => Ok(()),
        },
    }
}

fn produce(r: &mut Reader<'_>, a: &mut Response, v: i16) -> Read<()> {
    let topics = r.array(1)?.unwrap_or(0);
    for _ in 0..topics {
        if v >= 13 {
            r.uuid()?;
        } else {
            r.string()?;
        }
        let partitions = r.array(1)?.unwrap_or(0);
        for _ in 0..partitions {
            r.i32()?; // index
            a.note(r.i16()?);
            r.take(8)?; // base offset
            if v >= 2 {
                r.take(8)?; // log append time
            }
            if v >= 5 {
                r.take(8)?; // log start offset
            }
            if v >= 8 {
                let errors = r.array(1)?.unwrap_or(0);
                for _ in 0..errors {
                    r.i32()?;
                    r.string()?;
                    r.tagged_fields()?;
                }
                r.string()?; // error message
            }
            r.tagged_fields()?;
        }
        r.tagged_fields()?;
    }
    if v >= 1 {
        r.i32()?; // throttle time
    }
    r.tagged_fields()
}

fn fetch(r: &mut Reader<'_>, a: &mut Response, v: i16) -> Read<()> {
    if v >= 1 {
        r.i32()?; // throttle time
    }
    if v >= 7 {
        a.note(r.i16()?);
        r.i32()?; // session id
    }
    let topics = r.array(1)?.unwrap_or(0);
    for _ in 0..topics {
        if v >= 13 {
            r.uuid()?;
        } else {
            r.string()?;
        }
        let partitions = r.array(1)?.unwrap_or(0);
        for _ in 0..partitions {
            r.i32()?; // index
            a.note(r.i16()?);
            r.take(8)?; // high watermark
            if v >= 4 {
                r.take(8)?; // last stable offset
            }
            if v >= 5 {
                r.take(8)?; // log start offset
            }
            if v >= 4 {
                let aborted = r.array(16)?.unwrap_or(0);
                for _ in 0..aborted {
                    r.take(16)?; // producer id, first offset
                    r.tagged_fields()?;
                }
            }
            if v >= 11 {
                r.i32()?; // preferred read replica
            }
            r.skip_records()?;
            r.tagged_fields()?;
        }
        r.tagged_fields()?;
    }
    r.tagged_fields()
}

fn metadata(r: &mut Reader<'_>, a: &mut Response, v: i16, names: &mut TopicNames) -> Read<()> {
    if v >= 3 {
        r.i32()?; // throttle time
    }
    let brokers = r.array(1)?.unwrap_or(0);
    for _ in 0..brokers {
        r.i32()?; // node id
        r.string()?; // host
        r.i32()?; // port
        if v >= 1 {
            r.string()?; // rack
        }
        r.tagged_fields()?;
    }
    if v >= 2 {
        r.string()?; // cluster id
    }
    if v >= 1 {
        r.i32()?; // controller id
    }
    let topics = r.array(1)?.unwrap_or(0);
    for _ in 0..topics {
        a.note(r.i16()?);
        let name = r.string()?;
        if v >= 10 {
            let id = r.uuid()?;
            if let Some(name) = name {
                if id != [0; 16] && (names.len() < MAX_TOPIC_IDS || names.contains_key(&id)) {
                    names.insert(id, text(name));
                }
            }
        }
        if v >= 1 {
            r.i8()?; // is internal
        }
        let partitions = r.array(1)?.unwrap_or(0);
        for _ in 0..partitions {
            // A partition's own error code (LEADER_NOT_AVAILABLE while an
            // election runs) does not fail the request: only the topic's.
            r.i16()?;
            r.i32()?; // index
            r.i32()?; // leader
            if v >= 7 {
                r.i32()?; // leader epoch
            }
            r.skip_int_array(4)?; // replicas
            r.skip_int_array(4)?; // in-sync replicas
            if v >= 5 {
                r.skip_int_array(4)?; // offline replicas
            }
            r.tagged_fields()?;
        }
        if v >= 8 {
            r.i32()?; // topic authorized operations
        }
        r.tagged_fields()?;
    }
    if (8..=10).contains(&v) {
        r.i32()?; // cluster authorized operations
    }
    if v >= 13 {
        a.note(r.i16()?);
    }
    r.tagged_fields()
}
