/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The first-bytes L7 check: is the start of this syscall's data the start of
 * a message of a protocol sonde parses? Only sockets that pass it once are
 * ever copied out, so TLS ciphertext, SSH and bulk copies cost a few
 * compares and never a payload copy.
 *
 * To add a protocol: add its value to enum sonde_l7_protocol
 * (sonde_events.h), write one `static __always_inline bool
 * detect_<proto>(const __u8 *head, __u32 len)` below, and call it from
 * sonde_detect_l7(). `head` holds the first SONDE_DETECT_LEN bytes of the
 * message (len of them valid); a detector must look at no more.
 */
#ifndef __SONDE_PROTOCOL_DETECT_H__
#define __SONDE_PROTOCOL_DETECT_H__

#define SONDE_DETECT_LEN 16

static __always_inline bool starts_with(const __u8 *head, __u32 len, const char *lit, __u32 lit_len)
{
	if (len < lit_len)
		return false;
#pragma unroll
	for (__u32 i = 0; i < SONDE_DETECT_LEN; i++) {
		if (i >= lit_len)
			break;
		if (head[i] != (__u8)lit[i])
			return false;
	}
	return true;
}

#define STARTS_WITH(head, len, lit) starts_with(head, len, lit, sizeof(lit) - 1)

/* HTTP/1.x: a request line starts with a method and a space (RFC 9110 §9),
 * a status line with "HTTP/1." (RFC 9112 §4). */
static __always_inline bool detect_http1(const __u8 *head, __u32 len)
{
	switch (head[0]) {
	case 'G':
		return STARTS_WITH(head, len, "GET ");
	case 'P':
		return STARTS_WITH(head, len, "POST ") || STARTS_WITH(head, len, "PUT ") ||
		       STARTS_WITH(head, len, "PATCH ");
	case 'H':
		return STARTS_WITH(head, len, "HTTP/1.") || STARTS_WITH(head, len, "HEAD ");
	case 'D':
		return STARTS_WITH(head, len, "DELETE ");
	case 'O':
		return STARTS_WITH(head, len, "OPTIONS ");
	case 'C':
		return STARTS_WITH(head, len, "CONNECT ");
	case 'T':
		return STARTS_WITH(head, len, "TRACE ");
	default:
		return false;
	}
}

#include "detect_postgres.h"
#include "detect_redis.h"
#include "detect_messaging.h"
#include "detect_mysql.h"
#include "detect_kafka.h"
#include "detect_memcached.h"

/* HTTP/2 (RFC 9113 §3.4): the client's connection preface, or the server's
 * first frame, a SETTINGS (type 4) on stream 0 with flags 0 and a length that
 * is a multiple of 6. */
static __always_inline bool detect_http2(const __u8 *head, __u32 len)
{
	if (STARTS_WITH(head, len, "PRI * HT"))
		return true;
	if (len < 8 || head[0] != 0 || head[3] != 4 || head[4] != 0 || head[5] != 0 ||
	    head[6] != 0 || head[7] != 0)
		return false;
	__u32 n = ((__u32)head[1] << 8) | head[2];
	return n % 6 == 0;
}

/* DNS (RFC 1035 §4.1.1) has no magic: a header with opcode QUERY, Z clear,
 * one question, and for a query no answers. Only tried on the DNS ports (see
 * sonde_detect_socket), as user space does. */
static __always_inline bool detect_dns_header(const __u8 *head, __u32 len)
{
	if (len < 8)
		return false;
	__u8 opcode = (head[2] >> 3) & 0xf;
	bool z = head[3] & 0x40;
	bool response = head[2] & 0x80;
	__u16 qdcount = ((__u16)head[4] << 8) | head[5];
	__u16 ancount = ((__u16)head[6] << 8) | head[7];
	if (opcode != 0 || z || qdcount != 1)
		return false;
	return response || ancount == 0;
}

static __always_inline bool dns_port(__u16 port)
{
	return port == 53 || port == 5353;
}

/* The protocol the first bytes of a message announce, or SONDE_L7_UNKNOWN.
 * direction is the syscall's (SONDE_EGRESS / SONDE_INGRESS). */
static __always_inline __u8 sonde_detect_l7(const __u8 *head, __u32 len, __u8 direction)
{
	if (detect_http1(head, len))
		return SONDE_L7_HTTP1;
	if (detect_http2(head, len))
		return SONDE_L7_HTTP2;
	if (detect_postgres(head, len, direction))
		return SONDE_L7_POSTGRES;
	if (detect_redis(head, len))
		return SONDE_L7_REDIS;
	if (detect_mqtt(head, len))
		return SONDE_L7_MQTT;
	if (detect_nats(head, len))
		return SONDE_L7_NATS;
	if (detect_amqp(head, len))
		return SONDE_L7_AMQP;
	/* After PostgreSQL, as in user space: a MySQL packet whose length
	 * byte is 'P' or 'Q' may read as a PostgreSQL Parse or Query. */
	if (detect_mysql(head, len))
		return SONDE_L7_MYSQL;
	if (detect_kafka(head, len))
		return SONDE_L7_KAFKA;
	if (detect_memcached(head, len))
		return SONDE_L7_MEMCACHED;
	return SONDE_L7_UNKNOWN;
}

/* What sonde_detect_l7 cannot tell from the bytes alone: DNS, over UDP (the
 * only UDP protocol parsed) and over TCP (after a 2-byte length), on the DNS
 * ports. */
static __always_inline __u8 sonde_detect_socket(struct sock *sk, __u16 sport, __u16 dport,
						 const __u8 *head, __u32 len)
{
	if (!dns_port(sport) && !dns_port(dport))
		return SONDE_L7_UNKNOWN;
	if (is_udp(sk))
		return detect_dns_header(head, len) ? SONDE_L7_DNS : SONDE_L7_UNKNOWN;
	/* Over TCP the header follows the length; 6 of its bytes fit. */
	if (len < 8)
		return SONDE_L7_UNKNOWN;
	__u8 opcode = (head[4] >> 3) & 0xf;
	__u16 qdcount = ((__u16)head[6] << 8) | head[7];
	return opcode == 0 && qdcount == 1 ? SONDE_L7_DNS : SONDE_L7_UNKNOWN;
}

/* SONDE_L7_BY_PORT when either end's port is one the config assigns to a
 * protocol, else SONDE_L7_UNKNOWN. */
static __always_inline __u8 forced_by_port(__u16 sport, __u16 dport)
{
	if (bpf_map_lookup_elem(&l7_ports, &sport) || bpf_map_lookup_elem(&l7_ports, &dport))
		return SONDE_L7_BY_PORT;
	return SONDE_L7_UNKNOWN;
}

#endif /* __SONDE_PROTOCOL_DETECT_H__ */
