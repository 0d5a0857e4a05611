/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Reading a syscall's user buffers: a plain buffer (iovcnt == 0) or an iovec
 * array (readv/writev and the msghdr of sendmsg/recvmsg/sendmmsg/recvmmsg).
 * The user-space ABI structs are declared here (x86_64 layout), not CO-RE:
 * they are the syscall ABI, which does not move.
 */
#ifndef __SONDE_PAYLOAD_H__
#define __SONDE_PAYLOAD_H__

/* At most this many iovecs are walked for one message's payload. gRPC
 * writes a HEADERS frame as one iovec per header name and value (24 for
 * grpcio's first request), so a handful is not enough. The walk is a
 * bpf_loop: its callback is verified once however long the walk. */
#define SONDE_MAX_IOV 64
/* The first bytes of a message are looked for in the first few iovecs. */
#define SONDE_HEAD_IOV 8

struct sonde_iovec {
	__u64 base;
	__u64 len;
};

/* struct user_msghdr */
struct sonde_msghdr {
	__u64 msg_name;
	__s32 msg_namelen;
	__s32 pad;
	__u64 msg_iov;
	__u64 msg_iovlen;
	__u64 msg_control;
	__u64 msg_controllen;
	__u32 msg_flags;
	__u32 pad2;
};

/* struct mmsghdr: the kernel writes msg_len (bytes of that message). */
struct sonde_mmsghdr {
	struct sonde_msghdr msg_hdr;
	__u32 msg_len;
	__u32 pad;
};

#define SONDE_MSG_PEEK 2

/* The iovec array and its length out of a user msghdr. */
static __always_inline void read_msghdr(__u64 msg, __u64 *iov, __u64 *iovcnt)
{
	struct sonde_msghdr hdr = {};
	if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)msg)) {
		*iov = 0;
		*iovcnt = 0;
		return;
	}
	*iov = hdr.msg_iov;
	*iovcnt = hdr.msg_iovlen;
}

/* The first up-to-SONDE_DETECT_LEN bytes of the message into head; returns
 * how many are valid. Only the first non-empty buffer is looked at. */
static __always_inline __u32 read_head(const struct sonde_data_args *args, __u64 bytes, __u8 *head)
{
	__u64 base = args->buf;
	__u64 len = bytes;
	if (args->iovcnt) {
		base = 0;
		for (int i = 0; i < SONDE_HEAD_IOV; i++) {
			struct sonde_iovec iov = {};
			if (i >= args->iovcnt)
				break;
			if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(args->buf + i * sizeof(iov))))
				return 0;
			if (iov.len) {
				base = iov.base;
				len = iov.len < bytes ? iov.len : bytes;
				break;
			}
		}
		if (!base)
			return 0;
	}
	__u32 n = len < SONDE_DETECT_LEN ? len : SONDE_DETECT_LEN;
	if (n < SONDE_DETECT_LEN) {
		/* A short message: read it byte-wise sized, the rest stays zero. */
		if (bpf_probe_read_user(head, n & (SONDE_DETECT_LEN - 1), (void *)base))
			return 0;
		return n;
	}
	if (bpf_probe_read_user(head, SONDE_DETECT_LEN, (void *)base))
		return 0;
	return SONDE_DETECT_LEN;
}

/* One walk over a message's iovecs, for copy_iov. */
struct sonde_iov_walk {
	__u64 iov;
	__u64 iovcnt;
	__u8 *dst;
	__u32 want;
	__u32 off;
};

/* bpf_loop callback: copies iovec `i` into the walk's buffer; 1 stops. */
static long copy_iov(__u64 i, void *ctx)
{
	struct sonde_iov_walk *w = ctx;
	struct sonde_iovec iov = {};
	if (i >= w->iovcnt || w->off >= w->want)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(w->iov + i * sizeof(iov))))
		return 1;
	__u64 n = w->want - w->off;
	if (iov.len < n)
		n = iov.len;
	/* Both bounds are restated on the registers the helper gets. */
	__u64 at = w->off;
	asm volatile("%0 &= %1" : "+r"(at) : "i"(SONDE_MAX_PAYLOAD - 1));
	asm volatile("if %0 <= %1 goto +1; %0 = 0" : "+r"(n) : "i"(SONDE_MAX_PAYLOAD));
	if (!n || bpf_probe_read_user(w->dst + at, n, (void *)iov.base))
		return 1;
	w->off += n;
	return 0;
}

/* Copies up to `want` (<= SONDE_MAX_PAYLOAD) bytes of the message into dst
 * (2 * SONDE_MAX_PAYLOAD long); returns how many were copied. */
static __always_inline __u32 read_payload(const struct sonde_data_args *args, __u32 want, __u8 *dst)
{
	if (want > SONDE_MAX_PAYLOAD)
		want = SONDE_MAX_PAYLOAD;
	if (!args->iovcnt) {
		__u32 n = want;
		asm volatile("%0 &= %1" : "+r"(n) : "i"(2 * SONDE_MAX_PAYLOAD - 1));
		if (bpf_probe_read_user(dst, n, (void *)args->buf))
			return 0;
		return want;
	}
	struct sonde_iov_walk walk = {
		.iov = args->buf,
		.iovcnt = args->iovcnt,
		.dst = dst,
		.want = want,
		.off = 0,
	};
	bpf_loop(SONDE_MAX_IOV, copy_iov, &walk, 0);
	return walk.off;
}

#endif /* __SONDE_PAYLOAD_H__ */
