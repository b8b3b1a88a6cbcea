package main

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
