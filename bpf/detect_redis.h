/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Redis's first bytes, as sonde_ebpf_protocols::redis::Redis::detect reads
 * them, as far as the first bytes the kernel reads go: a command array `*<1-3 digits>\r\n$<digit>`
 * (redis-cli, client libraries, redis-benchmark), or the inline `PING\r\n`.
 */
#ifndef __SONDE_DETECT_REDIS_H__
#define __SONDE_DETECT_REDIS_H__

static __always_inline bool is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

static __always_inline bool detect_redis(const __u8 *head, __u32 len)
{
	if (len >= 6 && head[0] == 'P' && head[1] == 'I' && head[2] == 'N' && head[3] == 'G' &&
	    head[4] == '\r' && head[5] == '\n')
		return true;
	if (len < 6 || head[0] != '*' || !is_digit(head[1]))
		return false;
	/* *N\r\n$D, *NN\r\n$, *NNN\r\n: the digits, then CRLF, then '$'. */
	if (head[2] == '\r')
		return head[3] == '\n' && head[4] == '$' && is_digit(head[5]);
	if (!is_digit(head[2]))
		return false;
	if (head[3] == '\r')
		return head[4] == '\n' && head[5] == '$';
	return len >= 7 && is_digit(head[3]) && head[4] == '\r' && head[5] == '\n' && head[6] == '$';
}

#endif /* __SONDE_DETECT_REDIS_H__ */
