# shellcheck shell=bash
# Shared by build-direct-boot-image and build-vmware-box (sourced, not run): picks the installed
# Debian kernel and builds the busybox initramfs that every Hangar test guest boots into.
#
# The guest's /init: mounts proc/sys/devtmpfs, insmods the modules it was built with (in dependency
# order), starts acpid (ACPI power button -> poweroff -f, so QMP system_powerdown works), an HTTP
# server answering "hangar-guest-ok <hostname>" on port 80, and udhcpc on eth0; once it has a lease it
# prints "HANGAR-GUEST-READY <ip>" on the console (ttyS0), then starts the QEMU guest agent (qemu-ga)
# on the virtio-serial port org.qemu.guest_agent.0 that Hangar gives every VM (when the VM has one;
# the image must load virtio_pci and virtio_console for it), and keeps a shell on the console.
#
# Needs only Debian packages already on the machine: busybox-static, linux-image-amd64,
# qemu-guest-agent, cpio, gzip, xz-utils. Nothing is downloaded.

# Prints the kernel version to use: $HANGAR_KVER if set, else the newest /boot/vmlinuz-* whose modules
# are installed (/lib/modules also holds the HOST's kernel, which is not what we boot).
hangar_kernel_version() {
  if [ -n "${HANGAR_KVER:-}" ]; then
    [ -f "/boot/vmlinuz-$HANGAR_KVER" ] && [ -f "/lib/modules/$HANGAR_KVER/modules.dep" ] \
      || { echo "hangar-images: HANGAR_KVER=$HANGAR_KVER: no /boot/vmlinuz-$HANGAR_KVER with modules" >&2; return 1; }
    echo "$HANGAR_KVER"; return
  fi
  local v best=""
  for v in /boot/vmlinuz-*; do
    v=${v#/boot/vmlinuz-}
    [ -f "/lib/modules/$v/modules.dep" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then best=$v; fi
  done
  [ -n "$best" ] || { echo "hangar-images: no /boot/vmlinuz-* with modules under /lib/modules (install linux-image-amd64)" >&2; return 1; }
  echo "$best"
}

# Prints the .ko paths (relative to /lib/modules/KVER) to load for the given module names, each after
# its dependencies. Busybox insmod knows nothing of modules.dep, so the order is resolved here, at
# build time. Built-in "modules" (modules.builtin) are skipped; an unknown name is an error.
hangar_module_order() {
  local kver=$1; shift
  local dir=/lib/modules/$kver
  local -A seen=()
  local -a order=()
  _hangar_visit() {
    local p=$1 d
    [ -z "${seen[$p]:-}" ] || return 0
    seen[$p]=1
    for d in $(awk -v k="$p:" '$1 == k { for (i = 2; i <= NF; i++) print $i; exit }' "$dir/modules.dep"); do
      _hangar_visit "$d"
    done
    order+=("$p")
  }
  local m alt p
  for m in "$@"; do
    alt=${m//_/-}; m=${m//-/_}   # file names use either '-' or '_'
    p=$(grep -m1 -E "(^|/)($m|$alt)\.ko(\.xz|\.zst|\.gz)?:" "$dir/modules.dep" | cut -d: -f1 || true)
    if [ -z "$p" ]; then
      if grep -qE "(^|/)($m|$alt)\.ko$" "$dir/modules.builtin" 2>/dev/null; then continue; fi
      echo "hangar-images: kernel module $m not found for $kver" >&2; return 1
    fi
    _hangar_visit "$p"
  done
  unset -f _hangar_visit
  printf '%s\n' "${order[@]}"
}

# hangar_copy_program ROOT PROGRAM : copies a dynamically linked program into ROOT at its own path,
# with every library ldd lists and the dynamic loader, each at the path ldd gives (the loader searches
# /lib/x86_64-linux-gnu without an ld.so.cache).
hangar_copy_program() {
  local root=$1 prog=$2 libs f
  libs=$(ldd "$prog") || { echo "hangar-images: ldd $prog failed" >&2; return 1; }
  if grep -q "not found" <<< "$libs"; then
    echo "hangar-images: $prog: missing libraries: $libs" >&2; return 1
  fi
  mkdir -p "$root$(dirname "$prog")"
  cp "$prog" "$root$prog"
  for f in $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' <<< "$libs"); do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"   # -L: /lib64/ld-linux-x86-64.so.2 and the .so.N names are symlinks
  done
}

# hangar_copy_modules ROOT KVER MODULE... : the modules and their dependencies, decompressed (Debian
# 12's are plain .ko, newer kernels ship .ko.xz/.ko.zst and busybox insmod cannot be relied on to
# decompress), into ROOT/lib/modules, listed in load order in ROOT/etc/modules.
hangar_copy_modules() {
  local root=$1 kver=$2 order p name; shift 2
  order=$(hangar_module_order "$kver" "$@")   # not in <(...): its failure must stop the build
  mkdir -p "$root/lib/modules" "$root/etc"
  : > "$root/etc/modules"
  while read -r p; do
    [ -n "$p" ] || continue
    name=$(basename "$p"); name=${name%%.ko*}.ko
    case $p in
      *.ko)     cp "/lib/modules/$kver/$p" "$root/lib/modules/$name" ;;
      *.ko.xz)  xz -dc "/lib/modules/$kver/$p" > "$root/lib/modules/$name" ;;
      *.ko.gz)  gzip -dc "/lib/modules/$kver/$p" > "$root/lib/modules/$name" ;;
      *.ko.zst) zstd -q -dc "/lib/modules/$kver/$p" > "$root/lib/modules/$name" ;;
    esac
    echo "$name" >> "$root/etc/modules"
  done <<< "$order"
}

# hangar_vmlinux KVER OUT : the Debian kernel decompressed once to an ELF, which QEMU boots directly
# (PVH) without the in-guest decompression: about 4 s to userspace under TCG instead of 10-14. The
# bzImage's payload is an xz stream after the setup code: try each xz magic (FD 37 7A 58 5A 00) until
# one decompresses to an ELF; --single-stream ignores the rest of the bzImage.
hangar_vmlinux() {
  local kver=$1 out=$2 vmlinuz=/boot/vmlinuz-$1 off
  for off in $(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | cut -d: -f1); do
    # (Not "tail | xz": xz stops reading early, tail dies of SIGPIPE and pipefail fails the pipe.)
    if xz -dc --single-stream < <(tail -c +$((off + 1)) "$vmlinuz") > "$out" 2>/dev/null \
       && [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
      return 0
    fi
  done
  echo "hangar-images: no xz-compressed ELF kernel found in $vmlinuz" >&2
  return 1
}

# hangar_cpio ROOT OUT : a reproducible newc archive of ROOT (sorted names, owner root, fixed times).
hangar_cpio() {
  local root=$1 out=$2
  find "$root" -exec touch -h -d @0 {} +
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) > "$out.tmp"
  mv "$out.tmp" "$out"
}

# hangar_build_initramfs OUT KVER MODULE... : writes an UNCOMPRESSED cpio (newc) initramfs to OUT.
# With qemu-ga and its libraries in it, it is 8.5 MiB plain and 3.7 MiB gzip'd, and the guest kernel's
# gunzip costs more boot time under TCG than the whole agent does; loading the bigger file costs
# nothing measurable, neither through -initrd nor through syslinux (AHCI). The images' own tar.gz
# compress it anyway. Runs in a subshell so that its scratch dir goes away on any exit, error or not.
hangar_build_initramfs() (
  out=$1 kver=$2; shift 2
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || { echo "hangar-images: busybox not found (install busybox-static)" >&2; return 1; }
  # The guest has no libc: the busybox must be the static one.
  if ldd "$busybox" >/dev/null 2>&1; then
    echo "hangar-images: $busybox is dynamically linked (install busybox-static)" >&2; return 1
  fi

  qga=/usr/sbin/qemu-ga
  [ -x "$qga" ] || { echo "hangar-images: $qga not found (install qemu-guest-agent)" >&2; return 1; }

  root=$(mktemp -d /tmp/imgtest-initramfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,var/log,www,lib/modules,etc/udhcpc,etc/acpi/PWRF}
  ln -s ../run "$root/var/run"   # qemu-ga's default pid file and state dir live under /var/run
  cp "$busybox" "$root/bin/busybox"
  # qemu-ga is the guest's one dynamically linked program (about 6 MiB with its libraries).
  hangar_copy_program "$root" "$qga"
  # The kernel opens /dev/console before running /init: without this node init has no stdout.
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3

  hangar_copy_modules "$root" "$kver" "$@"

  cat > "$root/init" <<'EOF'
#!/bin/busybox sh
# PID 1 of a Hangar test guest. It must never exit (the kernel panics when init dies).
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
exec </dev/console >/dev/console 2>&1
echo   # the firmware / boot loader may have left the cursor mid-line
mkdir -p /var/log /tmp /run /dev/pts
mount -t devpts devpts /dev/pts

for m in $(cat /etc/modules); do
  insmod "/lib/modules/$m" || echo "hangar-init: insmod $m failed"
done

hn=hangar-test
expect=""
for a in $(cat /proc/cmdline); do
  case $a in
    hangar.hostname=*) hn=${a#hangar.hostname=} ;;
    hangar.expect=*) expect=$(echo "${a#hangar.expect=}" | tr , ' ') ;;
  esac
done

# What each block device is: the boot disk (its MBR's disk signature 0x48414e47, "GNAH" in the file),
# the data disk of a controller box ("HANGAR-DATA-DISK" at its start), or the cloud-init seed (the ISO
# 9660 volume id "cidata"; Debian's static busybox has no blkid: the primary volume descriptor is
# sector 16 of 2048 bytes, the volume id at byte 40). Each is reported on the console and in
# /www/disks.txt ("boot sda", ...). With hangar.expect=boot,data,cidata the scan waits (60 s at most)
# until it has found each: a SCSI or SAS bus is scanned after /init starts.
hangar_scan_disks() {
  found=" "
  i=0
  while :; do
    for b in /sys/block/*; do
      name=${b##*/}
      case "$found" in *" $name "*) continue ;; esac
      dev=/dev/$name
      what=""
      if [ "$(dd if="$dev" bs=1 skip=440 count=4 2>/dev/null)" = GNAH ]; then what=boot
      elif [ "$(dd if="$dev" bs=16 count=1 2>/dev/null)" = HANGAR-DATA-DISK ]; then what=data
      elif [ "$(dd if="$dev" bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=40 count=6 2>/dev/null)" = cidata ]; then what=cidata
      fi
      [ -n "$what" ] || continue
      found="$found$name "
      echo "hangar-init: $what disk on $name"
      echo "$what $name" >> /www/disks.txt
      [ "$what" = cidata ] && hangar_cloud_init "$dev"
    done
    missing=""
    for w in $expect; do grep -q "^$w " /www/disks.txt 2>/dev/null || missing="$missing $w"; done
    [ -n "$missing" ] && [ $i -lt 600 ] || break
    usleep 100000; i=$((i + 1))
  done
  [ -z "$missing" ] || echo "hangar-init: not found:$missing (disks: $(ls /sys/block | tr '\n' ' '))"
}

hangar_cloud_init() {
  mkdir -p /mnt/cidata
  if mount -t iso9660 -o ro "$1" /mnt/cidata; then
    echo "hangar-init: cidata on ${1#/dev/}"
    if [ "$(head -c 2 /mnt/cidata/user-data)" = '#!' ]; then
      cp /mnt/cidata/user-data /run/user-data && chmod 700 /run/user-data
      /run/user-data > /var/log/user-data.log 2>&1 &
    fi
  else
    echo "hangar-init: cannot mount cidata on $1"
  fi
}
hostname "$hn"
ip link set lo up

# Bring eth0 up first: the NIC's link negotiation (about 2 s for e1000) then overlaps the rest.
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do usleep 50000; i=$((i + 1)); done
ip link set eth0 up
echo "hangar-init: net: $(ls /sys/class/net | tr '\n' ' ')disks: $(ls /sys/block | tr '\n' ' ')"

# acpid only opens the /dev/input/event* nodes present when it starts (button + evdev make them);
# it runs /etc/acpi/PWRF/00000080 on the power button and logs to /var/log/acpid.log.
i=0; while [ ! -e /dev/input/event0 ] && [ $i -lt 40 ]; do usleep 50000; i=$((i + 1)); done
acpid -c /etc/acpi -a /etc/acpid.conf

echo "hangar-guest-ok $hn" > /www/index.html
httpd -p 80 -h /www

# Packets sent before the link is up are dropped: wait for carrier (at most 5 s) before DHCP.
i=0; while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do usleep 50000; i=$((i + 1)); done
# Foreground udhcpc in the background of init, so it keeps renewing the lease; -A 2: retry fast.
udhcpc -f -S -i eth0 -s /etc/udhcpc/default.script -x "hostname:$hn" -T 1 -t 5 -A 2 &

# udhcpc's script prints "HANGAR-GUEST-READY <ip>" once the address is configured. Wait for it (at
# most 60 s) so the shell's prompt cannot land in the middle of that line.
i=0; while [ ! -s /run/hangar-ip ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done

# The QEMU guest agent, started only now: on one TCG vCPU its start would compete with DHCP and HTTP
# (it is cheap, about 10 ms), and once it answers guest-network-get-interfaces shows the lease. No
# udev here, so nothing makes /dev/virtio-ports/NAME: find the /dev/vportNpM whose sysfs name is the
# agent's. The host sends the port's name just after the port appears, so it may be empty for a
# moment; a VM without a virtio-serial device (virtio device id 3) does not wait at all.
qga=""
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
  i=0; while [ $i -lt 40 ]; do
    for p in /sys/class/virtio-ports/*; do
      if [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ]; then qga=/dev/${p##*/}; fi
    done
    [ -z "$qga" ] || break
    usleep 50000; i=$((i + 1))
  done
fi
if [ -n "$qga" ]; then
  mkdir -p /dev/virtio-ports
  ln -sf "$qga" /dev/virtio-ports/org.qemu.guest_agent.0
  if /usr/sbin/qemu-ga -d -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 \
       -l /var/log/qemu-ga.log -f /run/qemu-ga.pid; then
    echo "hangar-init: qemu-ga on $qga"
  else
    echo "hangar-init: qemu-ga failed: $(tail -n 3 /var/log/qemu-ga.log 2>/dev/null)"
  fi
else
  echo "hangar-init: no virtio-serial port org.qemu.guest_agent.0, no guest agent"
fi
# cloud-init NoCloud, as far as the tests need it, in the disk scan started above: a disk labelled
# cidata (ISO 9660, a CD-ROM or a read-only disk) is mounted at /mnt/cidata, and its user-data runs once
# if it starts with "#!" (what cloud-init does with a script).
hangar_scan_disks &
# A shell on the console for debugging (serial input); respawned, throttled in case of EOF.
while :; do
  setsid cttyhack sh
  sleep 1
done
EOF
  chmod 755 "$root/init"

  cat > "$root/etc/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: $1 is deconfig|bound|renew|leasefail|nak; $ip, $mask (prefix length), $router, $dns.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    if [ "$(cat /run/hangar-ip 2>/dev/null)" != "$ip" ]; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
      new=1
    fi
    if [ -n "$router" ]; then
      set -- $router
      ip route replace default via "$1" dev "$interface"
    fi
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    # Printed here, the moment the address is up (httpd already listens): hosts wait for this line.
    # Before /run/hangar-ip is written, which init waits for before it goes on to start the console's
    # shell: the other way round, a hook delayed between the two (a busy host) printed its line while
    # the shell set the terminal up, and the line was lost (seen once in CI).
    [ -z "${new:-}" ] || echo "HANGAR-GUEST-READY $ip" > /dev/console
    # Announce the address (gratuitous ARP, as dhcpcd does): a host that asked for it before it was
    # configured (a client polling the address the lease names) learns it now, not at its next ARP retry.
    [ -z "${new:-}" ] || arping -U -c 1 -I "$interface" "$ip" >/dev/null 2>&1 &
    echo "$ip" > /run/hangar-ip
    ;;
esac
exit 0
EOF
  chmod 755 "$root/etc/udhcpc/default.script"

  # Hangar's re-identification hook: run through the guest agent in a VM restored from a warm template,
  # once Hangar has given its NICs their own MACs and set its hostname. What only this image knows: its
  # web page names the new hostname, and DHCP starts again (busybox's udhcpc keeps the MAC it started
  # with), printing HANGAR-GUEST-READY with the new address.
  mkdir -p "$root/usr/lib/hangar"
  cat > "$root/usr/lib/hangar/reidentify" <<'HOOK'
#!/bin/sh
echo "hangar-guest-ok $HANGAR_HOSTNAME" > /www/index.html
killall udhcpc 2>/dev/null
rm -f /run/hangar-ip
for i in $HANGAR_INTERFACES; do
  setsid udhcpc -f -S -i "$i" -s /etc/udhcpc/default.script -x "hostname:$HANGAR_HOSTNAME" -T 1 -t 5 -A 2 </dev/null >/dev/null 2>&1 &
done
echo "hangar-init: re-identified as $HANGAR_HOSTNAME ($HANGAR_INTERFACES)" > /dev/console
HOOK
  chmod 755 "$root/usr/lib/hangar/reidentify"

  # Busybox acpid: the power button's event is "PWRF"; its action is a file under the conf dir.
  echo "PWRF PWRF/00000080" > "$root/etc/acpid.conf"
  cat > "$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# init is a shell script, not busybox init: plain poweroff would only signal it, so force.
echo "hangar-init: power button, powering off"
sync
poweroff -f
EOF
  chmod 755 "$root/etc/acpi/PWRF/00000080"

  # guest-get-osinfo reads it: Hangar reports "id" as the guest OS.
  cat > "$root/etc/os-release" <<'EOF'
NAME="Hangar test guest"
ID=hangar-test
PRETTY_NAME="Hangar test guest"
EOF

  echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"

  hangar_cpio "$root" "$out"
)
