package agent

import _ "embed"

// SeccompProfile is the node agent's own filter, which it loads on top of
// the runtime's RuntimeDefault (Confine): it refuses what the agent and
// the apparmor_parser it runs never call and RuntimeDefault leaves a
// process without capabilities, the kernel interfaces most used to
// escalate from a container: ptrace and reading other processes' memory,
// io_uring, userfaultfd, keyrings, perf events, bpf, file handles,
// modules, kexec, NUMA placement. A deny list on an allow list: the two
// filters stack, and the stricter answer wins.
//
//go:embed seccomp.json
var SeccompProfile []byte

// ConfinedEnv marks the agent process that runs under SeccompProfile.
const ConfinedEnv = "RAMPART_AGENT_CONFINED"
