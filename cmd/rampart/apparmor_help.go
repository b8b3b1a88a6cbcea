package main

// accessHelp lists the accesses apparmor eval decides.
const accessHelp = `  PATH PERMS          a file and the permissions asked for, letters of
                      r w a l k m x: '/etc/shadow r', '/proc/sys/kernel/core_pattern w'
  PATH PERMS owner    ... of a file the task owns (owner rules apply; or --owner)
  PATH x              executing it: the decision names the exec transition
  link PATH -> TARGET a hard link at PATH to the existing TARGET: the rule
                      for the pair decides, with its subset test
  network [FAMILY] [TYPE]
                      creating a socket: 'network inet raw', 'network inet tcp';
                      a family or type left out stands for all of them, and
                      all must be allowed: 'network packet'
  capability NAME     using a capability: 'capability net_raw' (any spelling)
  mount FSTYPE PATH   mounting a new filesystem: 'mount tmpfs /mnt'; also
                      'umount PATH' and 'pivot_root'
  ptrace read|trace PEER
                      reading another task's /proc files (read) or attaching
                      to it (trace), the task labeled PEER: 'ptrace trace
                      unconfined'; a PEER of the profile's own name asks its
                      tracedby (readby) rules too`

// decideHelp is how a profile decides, for the help texts.
const decideHelp = `How a profile decides (AppArmor's rules):
  - an access is allowed only if allow rules grant every permission asked
    for and no deny rule covers any of them: deny wins over allow;
  - what no rule allows is denied (enforce mode), or allowed and logged
    (complain mode); an explicit deny rule without audit denies, quietly,
    even in complain mode;
  - owner rules apply only to files whose owner is the task's fsuid;
  - w implies a; an x is granted with an exec transition (ix, px, cx, ux,
    ...), and a rule with a literal path wins over globs for it;
  - globs: * stays within a path component, ** crosses '/', ? is one
    character, [a-c] [^a-c] classes ([^...] matches '/' too), {a,b}
    alternatives; a directory's path ends with '/'.`

// judgeHelp is how a profile a node would load is judged, for the help
// texts of the commands that decide on one.
const judgeHelp = `Two judges: where apparmor_parser is installed, the profile file is also
compiled with apparmor_parser -Q -K (nothing loaded, no cache; the same
include directories, once per file), as a node compiles it before loading,
and what the parser refuses is refused with its own message and the file
named: a node could not load it, so it confines nothing. Without the
parser, rampart says that validation was its parser's alone (on standard
error; in -o json, a field). RAMPART_APPARMOR_PARSER names the parser to
run (the nodes' version, say); "none" runs none.`
