package netsvc

import (
	"context"
	"errors"
	"io"
	"syscall"
	"unsafe"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// maxBurst is the most frames handed to the device in one system call.
const maxBurst = 64

// receiveFrames moves frames from the device into the stack.
func (sv *service) receiveFrames() {
	buf := make([]byte, 65536)
	for {
		n, err := sv.dev.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				logf("reading frames: %v", err)
			}
			return
		}
		if n < 14 {
			continue
		}
		frame := make([]byte, n)
		copy(frame, buf[:n])
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
		sv.link.InjectInbound(0, pkt) // the Ethernet endpoint reads the type
		pkt.DecRef()
	}
}

// sendFrames moves the stack's outgoing frames to the device: each burst
// the stack has queued goes out with one writev, one frame per entry,
// which the kernel turns into one notification of the device.
func (sv *service) sendFrames(ctx context.Context) {
	rc, err := sv.dev.SyscallConn()
	if err != nil {
		logf("%v", err)
		return
	}
	var frames [maxBurst][]byte
	for k := range frames {
		frames[k] = make([]byte, 0, 2048)
	}
	var iov [maxBurst]syscall.Iovec
	for {
		pkt := sv.link.ReadContext(ctx)
		if pkt == nil {
			return
		}
		n := 0
		for pkt != nil {
			f := frames[n][:0]
			for _, s := range pkt.AsSlices() {
				f = append(f, s...)
			}
			pkt.DecRef()
			frames[n] = f
			n++
			if n == maxBurst {
				break
			}
			pkt = sv.link.Read()
		}
		if err := writeFrames(rc, frames[:n], iov[:n]); err != nil {
			logf("sending %d frames: %v", n, err)
		}
	}
}

// writeFrames writes frames with writev until all have gone out, waiting
// in the poller while the device's queue is full.
func writeFrames(rc syscall.RawConn, frames [][]byte, iov []syscall.Iovec) error {
	for len(frames) > 0 {
		for k, f := range frames {
			iov[k] = syscall.Iovec{Base: &f[0]}
			iov[k].SetLen(len(f))
		}
		var sent uintptr
		var errno syscall.Errno
		err := rc.Write(func(fd uintptr) bool {
			sent, _, errno = syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(frames)))
			return errno != syscall.EAGAIN
		})
		if err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		for sent > 0 && len(frames) > 0 {
			sent -= uintptr(len(frames[0]))
			frames, iov = frames[1:], iov[1:]
		}
	}
	return nil
}
