// Package apparmor is rampart's AppArmor layer: a model of the profile
// language container profiles use, with a parser, a renderer, an
// evaluator that decides accesses the way the kernel does, a generator,
// and the parts that load a profile and attach it to the workload.
//
// # The model
//
// ParseDocument reads a policy file into a Document: profiles (Profile)
// with the file-level statements before each (includes, variable
// assignments, abi, alias) and their rules (Rule). Recognised rules:
//
//   - file rules: `/path perms`, `perms /path`, `file /path perms`, bare
//     `file,`, with the qualifiers audit, allow, deny and owner or other,
//     the permissions r w a l k m (and the spellings apparmor_parser
//     takes: RWM, repeated letters) and the exec transitions ix px Px ux
//     Ux cx Cx pix Pix cix Cix pux PUx cux CUx (x alone in deny rules),
//     forced scrubbed or not by safe and unsafe, and `-> target` for an
//     exec transition or a link; link rules (`link [subset] /a -> /b`);
//   - network rules by family and type or protocol (`network inet raw,`,
//     `network tcp,`, `deny network raw,`) and bare `network,`;
//   - capability rules (`capability net_raw sys_admin,`, `capability,`);
//   - #include / include [if exists] <...> or "...", abi, variables
//     (`@{VAR}=a b`, `@{VAR}+=c`), alias;
//   - signal, ptrace, unix, dbus, mount, umount, remount, pivot_root,
//     change_profile and set rlimit rules, parsed into a model (Rule.Model,
//     a ClassRule: SignalRule, PtraceRule, UnixRule, DBusRule, MountRule,
//     PivotRootRule, ChangeProfileRule, RlimitRule), validated as
//     apparmor_parser 3.0.8 does and rendered in a normal form;
//   - userns, mqueue and io_uring rules, kept word by word and rendered
//     back.
//
// Profile headers take the forms apparmor_parser 3.0.8 takes: `profile
// NAME [ATTACH]`, a bare `/path` or `:ns:NAME` (`:ns://NAME`) at the top of
// a file, `xattrs=(NAME[=VALUE] ...)` attachment conditions (kept and
// rendered, not evaluated), and `flags=(...)` with the parser's conflicts
// (modes; mediate_deleted and delegate_deleted; attach_disconnected and
// no_attach_disconnected; chroot_attach and chroot_no_attach;
// chroot_relative and namespace_relative) and without the removed debug
// flag. Hats (`^NAME {`, `hat NAME {`) and child profiles (`profile NAME
// {`) nest in a body to any depth; each is a Profile of its own (Parent,
// Hat), held in its parent's body as a KindProfile rule. A child sees the
// file-level statements of its top-level profile, and its
// @{profile_name} is its full name, "parent//child" (FullName).
// Document.Find and Pick take full names; Compile of a child also lists
// the parent's exec rules that lead into it (Compiled.Entries). Two
// profiles with one name at one level are refused, as the parser does.
//
// Qualifier blocks (`audit {`, `owner {`, `audit allow owner {`, nested)
// are KindBlock rules holding their rules in Body; the rules, and what
// their includes bring, take the block's qualifiers when compiled (owner
// only matters to file rules). A deny block is refused, as
// apparmor_parser 3.0.8 refuses it. The renderer keeps the block form.
//
// Boolean variables (`$NAME = true`, `${NAME}=False`: true or false in
// any case, assigned once) are KindBool statements before the first
// profile. Conditionals in a body (`if [not...] $B {`, `if defined $B
// {`, `if defined @{V} {`, `} else if ... {`, `} else {`) are KindIf
// rules that keep both branches as written; Compile evaluates the
// condition with the variables assigned before the profile, as
// apparmor_parser does, and compiles only the branch it selects: a rule
// in the other branch does not count, and a hat or child profile there is
// not defined (Compiled.Children lists the ones that are). A boolean
// tested but never assigned is an error.
// Errors are *Error values positioned at file:line:col; valid AppArmor
// that rampart does not model (alias rewriting) is refused with an error
// that errors.Is(err, ErrUnsupported).
//
// The lexer reads words as apparmor_parser's does: `!` outside quotes
// and comments is refused; a path keeps a comma followed by more of it
// (smb-share:server=*,share=**/, cpu,cpuacct/), and so does an
// assignment's value; white space ends a path or a value even inside
// `[...]` or `{...}`, since a variable's value may open a class or an
// alternation that its use closes (cooling_device[@{int}/, checked once
// expanded); a `{` that begins a word opens a block; a statement starting
// @{VAR}+ that is not += is refused; an escaped blank in a parenthesised
// group (peer=(label=splat\ )) is kept.
//
// Document.Render writes the normal form; parse(render(d)) equals d
// (positions aside) and rendering its result again gives the same text.
// The seed article's profile renders exactly as written.
//
// # Evaluation
//
// Compile reads a profile's includes (Includes: the system's
// /etc/apparmor.d, with rampart's bundled minimal tunables/global and
// abstractions/base standing in for what is missing), expands variables
// as apparmor_parser does and compiles globs (Glob, which follows
// apparmor_parser's conversion of globs, checked against it in the
// tests). Compiled.Eval decides an Access (a file with permissions and
// ownership, a socket, a capability, a mount, a ptrace of a task of some
// label, a signal sent to one) and returns a Decision: allowed or
// not, the deciding rule with its position and the includes it came
// through, whether the kernel logs it, the exec transition, and why.
//
// The semantics are AppArmor's: allow rules grant, deny rules take away
// and win; what is not granted is denied in enforce mode; complain mode
// lets it through and logs it, except what a deny rule without audit
// denies (the kernel's quiet denials return an error in every mode);
// owner rules need the task's fsuid to own the file, other rules that it
// does not; w implies a; inheriting exec modes (ix, pix, cix) imply m;
// for an exec, rules without wildcards win over globs, and transitions
// that differ on some file are the error apparmor_parser reports when it
// compiles. A hard link (link PATH -> TARGET) is decided on the pair, with
// the subset test the rule asks for. An alias gives each file rule under
// its path a copy for the rewritten path. Mount, ptrace and signals are mediated
// by every profile apparmor_parser compiles for a kernel that mediates
// them (Debian's pinned feature set and abi/3.0 do): what no rule allows
// is denied. A ptrace is decided as the kernel cross-checks it: the
// tracer's profile must allow trace (read) of the peer's label, and the
// tracee's must allow tracedby (readby) of the tracer's; an unconfined
// tracee allows all, and one under another profile is not at hand, so
// only the tracer's refusal is a decision. A signal is cross-checked
// the same way: send by the sender's profile (for the signal, by
// AppArmor's name: exists is signal 0), receive by the receiver's.
//
// Not evaluated: the rules of the classes above other than file,
// network, capability, ptrace and signal, except mount, umount and pivot_root
// rules without conditionals (Decision.NotEvaluated and
// Compiled.NotEvaluated name those a profile holds; a mount under a
// conditional mount rule is an error, not a guess), and network
// mediation finer than family and type (the kernel's too).
//
// # Generation
//
// Generate writes a profile that allows what it does not deny, in the
// shape of the seed's flask-deny-shadow, optionally with rampart's
// container defaults (rules in the spirit of the runtimes' default
// profiles, each with a comment saying why). CheckCompile runs the real
// apparmor_parser in compile-only mode (-Q -K) on any policy text.
//
// # Landlock
//
// Profile.LandlockRules expresses a profile with Landlock rules when that
// is exact (a `file,` profile that denies literal paths), for kernels
// without AppArmor.
package apparmor
