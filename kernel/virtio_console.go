package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The virtio console as the system console. With console=virtio on the
// command line and a virtio-console device present, everything the serial
// console would print (fds 0–2, kernel messages, fault reports) goes to
// port 0 of the device instead; until the device is up, and when it is
// missing, the serial console stays. Output is transmitted by polling the
// used ring, so it works from any context, faults included. Console input
// is not read (reads return end of file, as on the serial console).

const keyConsole = bootabi.KeyConsole

var vcon struct {
	want bool // console=virtio
	q    *vio.Queue
	buf  uintptr // one page: the transmit buffer
}

// vconAttach initializes console device d; it becomes the console if the
// command line asked for it.
func vconAttach(d *vio.Device) bool {
	if vcon.q != nil || !d.Begin(0) {
		return false
	}
	rx := d.SetupQueue(virtio.ConsoleReceiveQ)
	tx := d.SetupQueue(virtio.ConsoleTransmitQ)
	buf := mm.Alloc()
	if rx == nil || tx == nil || buf == 0 {
		return false
	}
	d.Finish()
	if vcon.want {
		vcon.buf = buf
		vcon.q = tx
	}
	return true
}

// vconWrite transmits b, a page at a time, and waits until the device has
// taken it.
func vconWrite(b []byte) {
	for len(b) > 0 {
		n := copy(unsafeSlice(vcon.buf, pageSize), b)
		b = b[n:]
		seg := [1]vio.Seg{{Addr: vcon.buf, Len: uint32(n)}}
		head := vcon.q.Add(seg[:])
		vcon.q.Kick()
		vcon.q.Poll(head)
	}
}
