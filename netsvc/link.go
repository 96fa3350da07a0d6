package netsvc

import (
	"context"
	"errors"
	"io"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

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

// sendFrames moves the stack's outgoing frames to the device.
func (sv *service) sendFrames(ctx context.Context) {
	frame := make([]byte, 0, 65536)
	for {
		pkt := sv.link.ReadContext(ctx)
		if pkt == nil {
			return
		}
		frame = frame[:0]
		for _, s := range pkt.AsSlices() {
			frame = append(frame, s...)
		}
		pkt.DecRef()
		if _, err := sv.dev.Write(frame); err != nil {
			logf("sending a %d-byte frame: %v", len(frame), err)
		}
	}
}
