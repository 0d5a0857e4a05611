/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * A Kafka request's first 16 bytes, as sonde_ebpf_protocols::kafka's
 * detect_request reads them: a big-endian size no smaller than the header
 * and no larger than a broker takes (100 MiB), an API key the parser names
 * (0-92), a version 0-20, a non-negative correlation id, and a client id
 * that is null (-1) or fits the size and begins with printable bytes.
 * Only requests: a broker never speaks first.
 */
#ifndef __SONDE_DETECT_KAFKA_H__
#define __SONDE_DETECT_KAFKA_H__

#define SONDE_KAFKA_HEAD 10
#define SONDE_KAFKA_MAX_SIZE (100 * 1024 * 1024)
#define SONDE_KAFKA_API_KEYS 93
#define SONDE_KAFKA_MAX_VERSION 20

static __always_inline bool kafka_printable(__u8 c)
{
	return c >= ' ' && c <= '~';
}

static __always_inline bool detect_kafka(const __u8 *head, __u32 len)
{
	if (len < 14)
		return false;
	__u32 size = ((__u32)head[0] << 24) | ((__u32)head[1] << 16) | ((__u32)head[2] << 8) | head[3];
	__u16 key = ((__u16)head[4] << 8) | head[5];
	__u16 version = ((__u16)head[6] << 8) | head[7];
	__s16 client_len = (__s16)(((__u16)head[12] << 8) | head[13]);
	if (size < SONDE_KAFKA_HEAD || size > SONDE_KAFKA_MAX_SIZE || key >= SONDE_KAFKA_API_KEYS ||
	    version > SONDE_KAFKA_MAX_VERSION || (head[8] & 0x80))
		return false;
	if (client_len == -1)
		return true;
	if (client_len < 0 || (__u32)client_len > size - SONDE_KAFKA_HEAD)
		return false;
	/* The client id's first bytes (at most two), as far as they were read. */
	if (client_len >= 1 && len > 14 && !kafka_printable(head[14]))
		return false;
	if (client_len >= 2 && len > 15 && !kafka_printable(head[15]))
		return false;
	return true;
}

#endif /* __SONDE_DETECT_KAFKA_H__ */
