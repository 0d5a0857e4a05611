/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The brokers' first bytes, as far as the first bytes the kernel reads go (user space checks more):
 *  - MQTT: CONNECT (0x10), a 1-4 byte remaining length, then the protocol
 *    name's length 00 04 "MQTT" (3.1.1, 5) or 00 06 "MQIsdp" (3.1);
 *  - NATS: the server's `INFO {`, the client's `CONNECT `, `PUB `, `HPUB `,
 *    `SUB `;
 *  - AMQP 0-9-1: the protocol header "AMQP" 0 0 9 1.
 */
#ifndef __SONDE_DETECT_MESSAGING_H__
#define __SONDE_DETECT_MESSAGING_H__

static __always_inline bool detect_mqtt(const __u8 *head, __u32 len)
{
	if (len < 6 || head[0] != 0x10)
		return false;
	/* The remaining length: continuation bit set on all but its last byte. */
	__u32 at = 2;
	if (head[1] & 0x80) {
		at = 3;
		if (head[2] & 0x80)
			at = 4;
	}
	if (at + 3 >= len || at + 3 >= SONDE_DETECT_LEN)
		return false;
	return head[at] == 0 && (head[at + 1] == 4 || head[at + 1] == 6) && head[at + 2] == 'M' &&
	       head[at + 3] == 'Q';
}

static __always_inline bool detect_nats(const __u8 *head, __u32 len)
{
	return STARTS_WITH(head, len, "INFO {") || STARTS_WITH(head, len, "CONNECT ") ||
	       STARTS_WITH(head, len, "PUB ") || STARTS_WITH(head, len, "HPUB ") ||
	       STARTS_WITH(head, len, "SUB ");
}

static __always_inline bool detect_amqp(const __u8 *head, __u32 len)
{
	return len >= 8 && head[0] == 'A' && head[1] == 'M' && head[2] == 'Q' && head[3] == 'P' &&
	       head[4] == 0 && head[5] == 0 && head[6] == 9 && head[7] == 1;
}

#endif /* __SONDE_DETECT_MESSAGING_H__ */
