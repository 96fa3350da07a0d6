package vhostuser

import (
	"fmt"
	"io"
	"net"
	"syscall"
)

// message is one vhost-user message with the descriptors that came with it.
type message struct {
	header
	payload []byte
	fds     []int
}

// closeFDs closes the descriptors of m that nobody took.
func (m *message) closeFDs() {
	for _, fd := range m.fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
	m.fds = nil
}

// takeFD returns the first descriptor of m and forgets it, or -1.
func (m *message) takeFD() int {
	if len(m.fds) == 0 {
		return -1
	}
	fd := m.fds[0]
	m.fds = m.fds[1:]
	return fd
}

// readMessage reads one message from c. Descriptors arrive with the
// header's bytes (QEMU sends each message with one sendmsg).
func readMessage(c *net.UnixConn) (*message, error) {
	var hb [headerSize]byte
	oob := make([]byte, syscall.CmsgSpace(maxFDs*4))
	n, oobn, _, _, err := c.ReadMsgUnix(hb[:], oob)
	if err != nil {
		return nil, err
	}
	m := &message{}
	if oobn > 0 {
		cms, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, fmt.Errorf("parsing control message: %w", err)
		}
		for _, cm := range cms {
			fds, err := syscall.ParseUnixRights(&cm)
			if err == nil {
				m.fds = append(m.fds, fds...)
			}
		}
	}
	if n < headerSize {
		if _, err := io.ReadFull(c, hb[n:]); err != nil {
			m.closeFDs()
			return nil, fmt.Errorf("reading message header: %w", err)
		}
	}
	m.header = decodeHeader(hb[:])
	if m.Size > maxPayload {
		m.closeFDs()
		return nil, fmt.Errorf("%s: payload of %d bytes is too large", requestName(m.Request), m.Size)
	}
	m.payload = make([]byte, m.Size)
	if _, err := io.ReadFull(c, m.payload); err != nil {
		m.closeFDs()
		return nil, fmt.Errorf("reading %s payload: %w", requestName(m.Request), err)
	}
	return m, nil
}

// writeMessage sends a message with optional descriptors.
func writeMessage(c *net.UnixConn, h header, body []byte, fds ...int) error {
	b := make([]byte, headerSize+len(body))
	h.Size = uint32(len(body))
	h.encode(b)
	copy(b[headerSize:], body)
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	_, _, err := c.WriteMsgUnix(b, oob, nil)
	return err
}
