#!/usr/bin/env bash
# The Linux microVM peer of scripts/web-bench.sh: examples/webserver as
# /init of Debian's cloud kernel, on the same QEMU machine (microvm) and
# accelerator (TCG) as gotoro, virtio-net over virtio-mmio on QEMU's user
# network, the served files in the initramfs.
#
#   bash scripts/linux-peer.sh WWWDIR HOSTPORT
#
# runs in the foreground until killed or until the server stops
# (POST /-/shutdown with "Authorization: Bearer bench"). Needs linux-image-cloud-amd64 (apt-get install -y
# linux-image-cloud-amd64) and cpio.
set -euo pipefail
cd "$(dirname "$0")/.."
www=${1:?usage: linux-peer.sh WWWDIR HOSTPORT}
port=${2:?usage: linux-peer.sh WWWDIR HOSTPORT}

kver=$(ls /lib/modules 2>/dev/null | grep cloud-amd64 | sort -V | tail -1 || true)
kernel=/boot/vmlinuz-$kver
if [ -z "$kver" ] || [ ! -r "$kernel" ]; then
	echo "linux-peer: Debian's cloud kernel is not installed: apt-get install -y linux-image-cloud-amd64" >&2
	exit 1
fi
command -v cpio >/dev/null || { echo "linux-peer: cpio is missing: apt-get install -y cpio" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/modules" "$root/www" "$root/dev" "$root/proc"
CGO_ENABLED=0 go build -o "$root/init" ./examples/webserver
cp -r "$www"/. "$root/www/"
mods=/lib/modules/$kver/kernel
order=""
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_mmio.ko \
	net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko; do
	cp "$mods/$m" "$root/modules/"
	order="$order $(basename "$m")"
done
echo "$order" >"$root/modules/order"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd"

exec qemu-system-x86_64 -M microvm,rtc=on -accel tcg,thread=multi -cpu max -m 256M -smp 1 \
	-nodefaults -no-user-config -nographic -no-reboot -serial stdio \
	-netdev user,id=n0,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:$port-:80 \
	-global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=n0 \
	-kernel "$kernel" -initrd "$work/initrd" \
	-append "console=ttyS0 quiet panic=-1 -- -linux-init -quiet -shutdown-token bench /www"
