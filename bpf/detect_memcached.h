/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Memcached's first bytes, as sonde_ebpf_protocols::memcached reads them: a
 * text or meta command word and what follows it (a space, or the line's end
 * for the words that take no arguments). Only requests: a server never
 * speaks first.
 */
#ifndef __SONDE_DETECT_MEMCACHED_H__
#define __SONDE_DETECT_MEMCACHED_H__

/* "stats" and "flush_all" may end the line or take arguments. */
static __always_inline bool memcached_word_end(const __u8 *head, __u32 len, __u32 at)
{
	if (at >= len || at >= SONDE_DETECT_LEN)
		return false;
	__u8 c = head[at];
	return c == ' ' || c == '\r' || c == '\n';
}

static __always_inline bool detect_memcached(const __u8 *head, __u32 len)
{
	switch (head[0]) {
	case 'g':
		return STARTS_WITH(head, len, "get ") || STARTS_WITH(head, len, "gets ") ||
		       STARTS_WITH(head, len, "gat ") || STARTS_WITH(head, len, "gats ");
	case 's':
		return STARTS_WITH(head, len, "set ") ||
		       (STARTS_WITH(head, len, "stats") && memcached_word_end(head, len, 5));
	case 'a':
		return STARTS_WITH(head, len, "add ") || STARTS_WITH(head, len, "append ");
	case 'r':
		return STARTS_WITH(head, len, "replace ");
	case 'p':
		return STARTS_WITH(head, len, "prepend ");
	case 'c':
		return STARTS_WITH(head, len, "cas ");
	case 'd':
		return STARTS_WITH(head, len, "delete ") || STARTS_WITH(head, len, "decr ");
	case 'i':
		return STARTS_WITH(head, len, "incr ");
	case 't':
		return STARTS_WITH(head, len, "touch ");
	case 'v':
		return STARTS_WITH(head, len, "verbosity ") || STARTS_WITH(head, len, "version\r");
	case 'f':
		return STARTS_WITH(head, len, "flush_all") && memcached_word_end(head, len, 9);
	case 'm':
		/* Meta commands: mg ms md ma me, and the no-op mn. */
		if (len < 3 || (head[2] != ' ' && !(head[1] == 'n' && head[2] == '\r')))
			return false;
		return head[1] == 'g' || head[1] == 's' || head[1] == 'd' || head[1] == 'a' ||
		       head[1] == 'e' || (head[1] == 'n' && head[2] == '\r');
	default:
		return false;
	}
}

#endif /* __SONDE_DETECT_MEMCACHED_H__ */
