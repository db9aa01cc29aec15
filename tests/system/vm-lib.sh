# Sourced by tests/system/cgroup2-vm.sh: a Debian 12 VM under qemu with its own kernel,
# systemd 252 as PID 1 and a pure cgroup2 hierarchy with every controller (what servers
# boot, and what no container on a hybrid-cgroup host can have).
#
# vm_image: builds the disk image once (debootstrap, about 80 s) and caches it under
#   $VM_CACHE, keyed by the recipe and the package list; echoes its directory.
# vm_boot: boots a throw-away overlay of it (TCG; 17-20 s here), waits for ssh and for
#   `systemctl is-system-running --wait`.
# vx CMD...: runs CMD in the VM as root (argv, stdin, stdout and exit code pass through).
# vm_cp SRC DST, vm_stop.
#
# The VM's only network is one forwarded ssh port on 127.0.0.1 (user-mode net, restrict=on):
# nothing inside can reach out, so whatever apt would fetch must be in VM_PACKAGES.

VM_CACHE=${VM_CACHE:-${PMD_TEST_CACHE:-/var/cache/pmd-test}/vm}
VM_CPUS=${VM_CPUS:-2}
VM_MEM=${VM_MEM:-1536}
VM_RECIPE=1   # bump when vm_image's recipe changes
VM_BASE="systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,linux-image-amd64,initramfs-tools,udev,procps,kmod"
VM_PACKAGES=${VM_PACKAGES:-}
vm_run=""      # per-boot directory: overlay, console log, ssh control socket
vm_qemu=""     # qemu's pid
vm_master=""   # the ssh master's pid
vm_ssh=()

vm_image() {
  local key dir tmp root
  key=$(echo "$VM_RECIPE $VM_BASE $VM_PACKAGES" | sha256sum | cut -c1-12)
  dir=$VM_CACHE/bookworm-$key
  mkdir -p "$VM_CACHE"
  exec 8>"$VM_CACHE/.lock"; flock 8
  if [[ ! -f $dir/disk.qcow2 ]]; then
    tmp=$(mktemp -d "$VM_CACHE/build.XXXXXX"); root=$tmp/root
    echo "vm: building the image (once; cached in $dir)" >&2
    debootstrap --variant=minbase --include="$VM_BASE${VM_PACKAGES:+,$VM_PACKAGES}" bookworm "$root" \
      >"$tmp/log" 2>&1 || { tail -20 "$tmp/log" >&2; rm -rf "$tmp"; exec 8>&-; return 1; }
    echo pmd-vm >"$root/etc/hostname"
    echo "/dev/vda / ext4 rw 0 1" >"$root/etc/fstab"
    # qemu's user net gives the guest 10.0.2.15; a static address saves the DHCP wait.
    printf '[Match]\nName=en*\n[Network]\nAddress=10.0.2.15/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
      >"$root/etc/systemd/network/10-vm.network"
    chroot "$root" systemctl enable systemd-networkd.service >>"$tmp/log" 2>&1
    chroot "$root" systemctl mask systemd-networkd-wait-online.service apt-daily.timer \
      apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer >>"$tmp/log" 2>&1 || true
    ssh-keygen -q -t ed25519 -N '' -C pmd-vm -f "$tmp/key"
    install -d -m 700 "$root/root/.ssh"; install -m 600 "$tmp/key.pub" "$root/root/.ssh/authorized_keys"
    printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\nMaxSessions 64\n' \
      >"$root/etc/ssh/sshd_config.d/pmd-vm.conf"
    echo "pmd-vm $(cut -d' ' -f1,2 "$root/etc/ssh/ssh_host_ed25519_key.pub")" >"$tmp/known_hosts"
    # Only what mounts ext4 on virtio-blk: a big initramfs unpacks slowly under TCG.
    printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/pmd-vm"
    printf 'virtio_pci\nvirtio_blk\next4\n' >>"$root/etc/initramfs-tools/modules"
    chroot "$root" update-initramfs -u -k all >>"$tmp/log" 2>&1 || { tail -20 "$tmp/log" >&2; rm -rf "$tmp"; exec 8>&-; return 1; }
    cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)" "$tmp/vmlinuz"
    cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)" "$tmp/initrd.img"
    chroot "$root" apt-get clean >>"$tmp/log" 2>&1
    truncate -s 6G "$tmp/disk.raw"
    mkfs.ext4 -q -F -d "$root" "$tmp/disk.raw" >>"$tmp/log" 2>&1 || { rm -rf "$tmp"; exec 8>&-; return 1; }
    qemu-img convert -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
    rm -rf "$root" "$tmp/disk.raw"
    rm -rf "$dir"; mv "$tmp" "$dir"
  fi
  exec 8>&-
  echo "$dir"
}

vm_boot() {
  local img port deadline state
  img=$(vm_image) || return 1
  vm_run=$(mktemp -d /var/tmp/pmd-vm.XXXXXX)
  qemu-img create -q -f qcow2 -F qcow2 -b "$img/disk.qcow2" "$vm_run/overlay.qcow2"
  for port in $(shuf -i 20000-40000 -n 40); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  # KVM guests hang on this nested host: TCG, on every host core. -no-reboot: a guest
  # poweroff or panic ends qemu. A fresh machine-id per boot.
  setsid qemu-system-x86_64 -name pmd-vm -nodefaults -no-user-config -no-reboot \
    -machine q35 -accel tcg,thread=multi -cpu max,la57=off -smp "$VM_CPUS" -m "$VM_MEM" \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 loglevel=4 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all systemd.machine_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
    -drive "file=$vm_run/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
    -device virtio-rng-pci -display none -serial "file:$vm_run/console.log" \
    </dev/null >"$vm_run/qemu.log" 2>&1 &
  vm_qemu=$!
  vm_ssh=(-F /dev/null -i "$img/key" -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR
          -o UserKnownHostsFile="$img/known_hosts" -o HostKeyAlias=pmd-vm -o StrictHostKeyChecking=yes
          -o ConnectTimeout=20 -o ControlPath="$vm_run/ssh" -p "$port")
  deadline=$((SECONDS + ${VM_BOOT_TIMEOUT:-600}))
  until timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; head -c4 <&3' _ "$port" 2>/dev/null | grep -q SSH-; do
    kill -0 "$vm_qemu" 2>/dev/null || { cat "$vm_run/qemu.log" >&2; tail -20 "$vm_run/console.log" >&2; return 1; }
    ((SECONDS < deadline)) || { tail -20 "$vm_run/console.log" >&2; return 1; }
    sleep 0.5
  done
  # One multiplexed connection for every later command: a key exchange is slow under TCG.
  setsid ssh "${vm_ssh[@]}" -M -N -o ServerAliveInterval=15 root@127.0.0.1 </dev/null >"$vm_run/ssh.log" 2>&1 &
  vm_master=$!
  until ssh "${vm_ssh[@]}" -O check root@127.0.0.1 2>/dev/null; do
    kill -0 "$vm_master" 2>/dev/null || { cat "$vm_run/ssh.log" >&2; return 1; }
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
  state=$(vx systemctl is-system-running --wait 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] || { echo "vm: boot ended as '$state'" >&2; return 1; }
}

vx() {
  ssh "${vm_ssh[@]}" -T root@127.0.0.1 \
    "exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 $(printf '%q ' "$@")"
}
vm_cp() { scp "${vm_ssh[@]/#-p/-P}" -q "$1" "root@127.0.0.1:$2"; }

vm_stop() {
  [[ -n $vm_qemu ]] || return 0
  if kill -0 "$vm_qemu" 2>/dev/null; then
    vx systemctl poweroff </dev/null >/dev/null 2>&1 || true
    for _ in $(seq 1 300); do kill -0 "$vm_qemu" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$vm_qemu" 2>/dev/null && kill -KILL "$vm_qemu"
  fi
  wait "$vm_qemu" 2>/dev/null
  [[ -n $vm_master ]] && kill "$vm_master" 2>/dev/null
  vm_qemu="" vm_master=""
  [[ -n $vm_run ]] && rm -rf "$vm_run"
}
