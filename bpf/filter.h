/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * In-kernel filters, cheapest first: sonde's own process, the pid lists, the
 * process-name lists, then (once the socket is known) the port lists. Each
 * rejection bumps its counter, so user space can say why data was not seen.
 */
#ifndef __SONDE_FILTER_H__
#define __SONDE_FILTER_H__

/* Whether the current process may be traced. pid is the tgid. */
static __always_inline bool process_allowed(__u32 pid)
{
	if (pid == sonde_pid) {
		count(SONDE_COUNTER_FILTERED_SELF);
		return false;
	}
	__u32 flags = filter_flags;
	if (flags & SONDE_FILTER_PID_ALLOW) {
		if (!bpf_map_lookup_elem(&pid_allow, &pid)) {
			count(SONDE_COUNTER_FILTERED_PID);
			return false;
		}
	}
	if (flags & SONDE_FILTER_PID_DENY) {
		if (bpf_map_lookup_elem(&pid_deny, &pid)) {
			count(SONDE_COUNTER_FILTERED_PID);
			return false;
		}
	}
	if (flags & (SONDE_FILTER_COMM_ALLOW | SONDE_FILTER_COMM_DENY)) {
		struct sonde_comm_key key = {};
		bpf_get_current_comm(&key.comm, sizeof(key.comm));
		if ((flags & SONDE_FILTER_COMM_ALLOW) && !bpf_map_lookup_elem(&comm_allow, &key)) {
			count(SONDE_COUNTER_FILTERED_COMM);
			return false;
		}
		if ((flags & SONDE_FILTER_COMM_DENY) && bpf_map_lookup_elem(&comm_deny, &key)) {
			count(SONDE_COUNTER_FILTERED_COMM);
			return false;
		}
	}
	return true;
}

/* Whether a connection may be traced: allowed when either end's port is on
 * the allow list (if there is one) and neither is on the deny list. */
static __always_inline bool ports_allowed(__u16 sport, __u16 dport)
{
	__u32 flags = filter_flags;
	if (flags & SONDE_FILTER_PORT_ALLOW) {
		if (!bpf_map_lookup_elem(&port_allow, &sport) && !bpf_map_lookup_elem(&port_allow, &dport)) {
			count(SONDE_COUNTER_FILTERED_PORT);
			return false;
		}
	}
	if (flags & SONDE_FILTER_PORT_DENY) {
		if (bpf_map_lookup_elem(&port_deny, &sport) || bpf_map_lookup_elem(&port_deny, &dport)) {
			count(SONDE_COUNTER_FILTERED_PORT);
			return false;
		}
	}
	return true;
}

#endif /* __SONDE_FILTER_H__ */
