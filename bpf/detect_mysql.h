/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * MySQL's first bytes (MariaDB's too), as
 * sonde_ebpf_protocols::mysql::Mysql::detect reads them, as far as 8 bytes
 * go (never stricter; user space also checks the text and fields after the
 * 8th byte). A packet is a 3-byte little-endian length and a sequence id;
 * both kinds detected have sequence id 0 and a length under 64 KiB (the
 * length's third byte 0, which keeps TLS records out: their bytes there
 * are 03 0x):
 *  - the server's greeting: protocol 10, then a version that starts with a
 *    digit 1-9 followed by digits or dots ("5.5.5-10.11...", "8.0.36"),
 *    a length from 24 to 1024;
 *  - a client command: COM_QUERY (0x03) or COM_STMT_PREPARE (0x16) whose
 *    text starts with a letter, '(', a comment or white space; COM_INIT_DB
 *    (0x02) with a name; COM_PING (0x0e) alone in its packet;
 *    COM_STMT_EXECUTE (0x17) of at least 10 bytes whose statement id is
 *    under 65536 (or MariaDB's 0xffffffff, "the last prepared").
 */
#ifndef __SONDE_DETECT_MYSQL_H__
#define __SONDE_DETECT_MYSQL_H__

static __always_inline bool mysql_sql_start(__u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '(' || c == '/' ||
	       c == '-' || c == '#' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static __always_inline bool mysql_name_start(__u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

static __always_inline bool mysql_version_char(__u8 c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

static __always_inline bool detect_mysql(const __u8 *head, __u32 len)
{
	if (len < 5 || head[2] != 0 || head[3] != 0)
		return false;
	__u32 n = (__u32)head[0] | ((__u32)head[1] << 8);
	switch (head[4]) {
	case 0x0a:
		return len >= 8 && n >= 24 && n <= 1024 && head[5] >= '1' && head[5] <= '9' &&
		       mysql_version_char(head[6]) && mysql_version_char(head[7]);
	case 0x0e:
		return n == 1;
	case 0x03:
	case 0x16:
		return n >= 2 && len >= 6 && mysql_sql_start(head[5]);
	case 0x02:
		return n >= 2 && len >= 6 && mysql_name_start(head[5]);
	case 0x17:
		if (n < 10 || len < 8)
			return false;
		if (head[5] == 0xff && head[6] == 0xff && head[7] == 0xff)
			return true;
		return head[7] == 0 && (head[5] | head[6]) != 0;
	default:
		return false;
	}
}

#endif /* __SONDE_DETECT_MYSQL_H__ */
