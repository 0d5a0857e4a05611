/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * PostgreSQL's first bytes, as sonde_ebpf_protocols::postgres::Postgres::detect
 * reads them (never stricter):
 *  - a startup-phase message: a big-endian length, then StartupMessage's
 *    protocol 3.0 (00 03 00 00, length 9..10000), SSLRequest or
 *    GSSENCRequest (04 d2 16 2f / 04 d2 16 30, length 8);
 *  - a Query ('Q') or Parse ('P') of a connection joined midway: the type, a
 *    length under 16 MiB (its first byte 0), then text.
 * The Rust side also checks the text bytes and minimum lengths; this one
 * may be looser.
 */
#ifndef __SONDE_DETECT_POSTGRES_H__
#define __SONDE_DETECT_POSTGRES_H__

static __always_inline bool detect_postgres(const __u8 *head, __u32 len, __u8 direction)
{
	(void)direction;
	if (len < 8)
		return false;
	if (head[0] == 0 && head[1] == 0) {
		__u32 n = ((__u32)head[2] << 8) | head[3];
		if (head[4] == 0x00 && head[5] == 0x03 && head[6] == 0x00 && head[7] == 0x00)
			return n >= 9 && n <= 10000;
		if (n == 8 && head[4] == 0x04 && head[5] == 0xd2 && head[6] == 0x16 &&
		    (head[7] == 0x2f || head[7] == 0x30))
			return true;
		return false;
	}
	if ((head[0] == 'Q' || head[0] == 'P') && head[1] == 0) {
		__u32 n = ((__u32)head[2] << 16) | ((__u32)head[3] << 8) | head[4];
		return n >= 8;
	}
	return false;
}

#endif /* __SONDE_DETECT_POSTGRES_H__ */
