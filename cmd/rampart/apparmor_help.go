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
