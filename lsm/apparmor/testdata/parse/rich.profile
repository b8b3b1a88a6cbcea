# vim:syntax=apparmor
# A profile that uses every statement rampart models.
abi <abi/3.0>,
include <tunables/global>
#include if exists <tunables/local.d>

@{DATA} = /srv/data/ /var/lib/data/   # two values
@{DATA} += "/opt/my data/"
@{EMPTY}=""
alias /usr/ -> /User/,

profile web /usr/bin/web{,-worker} flags=(attach_disconnected, mediate_deleted,complain) {  # header comment
  #include <abstractions/base>
  include if exists <local/web>

  # files, both orders, with and without the file keyword
  /etc/web/** r,
  r /etc/web.conf,
  file rw /var/log/web.log,
  owner @{HOME}/.web/{,**} rwk,
  audit deny /etc/shadow r,
  deny owner /etc/gshadow rw,
  allow /usr/bin/python3* rix,
  /usr/bin/helper Px -> helper,
  "/srv/with space/*" r,
  /srv/escaped\ space r,
  /usr/lib/**.so* mr,
  deny /usr/bin/{su,sudo} x,
  @{DATA}/** rw,
  l /tmp/link,

  network inet stream,
  network inet6 tcp,
  network raw,
  deny network packet,
  audit network netlink dgram,
  capability net_bind_service setuid setgid,
  deny capability sys_admin,
  capability,

  ptrace (read, readby) peer=@{profile_name},
  signal (receive) peer=unconfined,
  signal (send,receive)   set=("exists", hup)
         peer=web,
  dbus send
       bus=system
       path=/org/freedesktop/DBus   # comments inside a rule are dropped
       interface=org.freedesktop.DBus
       member={Hello,GetId},
  unix (connect, send, receive) type=stream peer=(label=other,addr="@sock"),
  mount fstype=tmpfs options=(rw,nosuid) tmpfs -> /tmp/,
  remount /data/,
  umount /mnt/**,
  deny pivot_root,
  change_profile -> helper,
  link subset /tmp/l* -> /tmp/**,
  set rlimit nofile <= 1024,
  userns,
  # before the end
}

profile "second one" {
  file,
}
# the end
