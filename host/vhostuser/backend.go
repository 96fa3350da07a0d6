package vhostuser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/gotoro/gotoro/internal/virtio"
)

// vring is the set-up state of one virtqueue, gathered from messages.
type vring struct {
	num               uint16
	base              uint16
	desc, avail, used uint64 // frontend virtual addresses
	haveAddr          bool
	kick, call        int // eventfds, -1 if none
	haveKick          bool
	disabled          bool
	queue             *Queue
	kickFile          *os.File
	kickDone          chan struct{}
}

// session serves one frontend connection.
type session struct {
	conn     *net.UnixConn
	dev      Device
	features uint64
	protocol uint64
	mem      *Memory
	rings    []vring
	started  bool
}

// Serve speaks vhost-user on c for dev until the frontend disconnects (it
// then returns nil) or breaks the protocol. On return the device is
// stopped, guest memory unmapped and every descriptor closed.
func Serve(c *net.UnixConn, dev Device) error {
	s := &session{conn: c, dev: dev, rings: make([]vring, dev.NumQueues())}
	for i := range s.rings {
		s.rings[i].kick, s.rings[i].call = -1, -1
	}
	defer s.close()
	for {
		m, err := readMessage(c)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) {
				return nil
			}
			return fmt.Errorf("vhost-user: %w", err)
		}
		err = s.handle(m)
		m.closeFDs()
		if err != nil {
			return fmt.Errorf("vhost-user %s: %w", requestName(m.Request), err)
		}
	}
}

// close stops the device and releases everything the session holds.
func (s *session) close() {
	s.stop()
	for i := range s.rings {
		s.resetRing(i)
	}
	s.mem.Close()
	s.mem = nil
}

// resetRing forgets ring i's descriptors.
func (s *session) resetRing(i int) {
	r := &s.rings[i]
	if r.kick >= 0 {
		syscall.Close(r.kick)
	}
	if r.call >= 0 {
		syscall.Close(r.call)
	}
	r.kick, r.call, r.haveKick = -1, -1, false
}

// reply sends a reply to m.
func (s *session) reply(m *message, body []byte) error {
	return writeMessage(s.conn, header{Request: m.Request, Flags: flagVersion | flagReply}, body)
}

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func (s *session) handle(m *message) error {
	p := &payload{b: m.payload}
	natural := false // the request has a reply of its own
	var err error
	switch m.Request {
	case reqGetFeatures:
		natural = true
		err = s.reply(m, u64(s.dev.Features()|1<<virtio.FeatureVersion1|1<<FeatureProtocolFeatures))
	case reqSetFeatures:
		s.features = p.u64()
	case reqGetProtocolFeatures:
		natural = true
		err = s.reply(m, u64(offeredProtocol))
	case reqSetProtocolFeatures:
		s.protocol = p.u64() & offeredProtocol
	case reqSetOwner:
	case reqResetOwner:
		s.stop()
	case reqGetQueueNum:
		natural = true
		err = s.reply(m, u64(uint64(len(s.rings))))
	case reqSetMemTable:
		err = s.setMemTable(m, p)
	case reqSetVringNum, reqSetVringBase, reqSetVringEnable:
		err = s.setVringState(m.Request, p)
	case reqSetVringAddr:
		err = s.setVringAddr(p)
	case reqGetVringBase:
		natural = true
		err = s.getVringBase(m, p)
	case reqSetVringKick, reqSetVringCall, reqSetVringErr:
		err = s.setVringFD(m, p)
	case reqGetConfig:
		natural = true
		err = s.getConfig(m, p)
	case reqSetConfig:
		// The vsock configuration is read-only.
	default:
		err = fmt.Errorf("unsupported request")
	}
	if err == nil {
		err = p.err
	}
	if !natural && m.Flags&flagNeedReply != 0 && s.protocol&(1<<protoReplyAck) != 0 {
		status := uint64(0)
		if err != nil {
			status = 1
		}
		if werr := s.reply(m, u64(status)); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

func (s *session) setMemTable(m *message, p *payload) error {
	n := p.u32()
	p.u32() // padding
	if n > maxFDs {
		return fmt.Errorf("%d regions, at most %d allowed", n, maxFDs)
	}
	regions := make([]Region, n)
	for i := range regions {
		regions[i] = Region{GuestAddr: p.u64(), Size: p.u64(), UserAddr: p.u64(), MmapOffset: p.u64()}
	}
	if p.err != nil {
		return p.err
	}
	if len(m.fds) < int(n) {
		return fmt.Errorf("%d regions but %d file descriptors", n, len(m.fds))
	}
	mem, err := MapMemory(regions, m.fds[:n])
	if err != nil {
		return err
	}
	wasStarted := s.started
	s.stop()
	s.mem.Close()
	s.mem = mem
	if wasStarted {
		s.maybeStart()
	}
	return nil
}

func (s *session) ring(i uint32) (*vring, error) {
	if int(i) >= len(s.rings) {
		return nil, fmt.Errorf("queue %d does not exist (device has %d)", i, len(s.rings))
	}
	return &s.rings[i], nil
}

func (s *session) setVringState(req uint32, p *payload) error {
	idx, num := p.u32(), p.u32()
	r, err := s.ring(idx)
	if err != nil {
		return err
	}
	switch req {
	case reqSetVringNum:
		if num == 0 || num > 32768 || num&(num-1) != 0 {
			return fmt.Errorf("queue %d: size %d is not a power of two up to 32768", idx, num)
		}
		r.num = uint16(num)
	case reqSetVringBase:
		r.base = uint16(num)
	case reqSetVringEnable:
		r.disabled = num == 0
		s.maybeStart()
	}
	return nil
}

func (s *session) setVringAddr(p *payload) error {
	idx := p.u32()
	p.u32() // flags: no logging
	desc, used, avail := p.u64(), p.u64(), p.u64()
	p.u64() // log address
	r, err := s.ring(idx)
	if err != nil {
		return err
	}
	r.desc, r.used, r.avail, r.haveAddr = desc, used, avail, true
	return nil
}

func (s *session) setVringFD(m *message, p *payload) error {
	v := p.u64()
	r, err := s.ring(uint32(v & 0xff))
	if err != nil {
		return err
	}
	fd := -1
	if v&vringNoFD == 0 {
		if fd = m.takeFD(); fd < 0 {
			return fmt.Errorf("no file descriptor for queue %d", v&0xff)
		}
	}
	switch m.Request {
	case reqSetVringKick:
		if r.kick >= 0 {
			s.stop()
			syscall.Close(r.kick)
		}
		r.kick, r.haveKick = fd, true
		s.maybeStart()
	case reqSetVringCall:
		// A new call descriptor takes effect on the next start: restart
		// if running.
		running := s.started
		s.stop()
		if r.call >= 0 {
			syscall.Close(r.call)
		}
		r.call = fd
		if running {
			s.maybeStart()
		}
	case reqSetVringErr:
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
	return nil
}

func (s *session) getVringBase(m *message, p *payload) error {
	idx := p.u32()
	r, err := s.ring(idx)
	if err != nil {
		return err
	}
	s.stop() // the frontend stops the device one queue at a time
	base := r.base
	if r.kick >= 0 {
		syscall.Close(r.kick)
	}
	r.kick, r.haveKick = -1, false
	body := binary.LittleEndian.AppendUint32(nil, idx)
	body = binary.LittleEndian.AppendUint32(body, uint32(base))
	return s.reply(m, body)
}

func (s *session) getConfig(m *message, p *payload) error {
	off, size, flags := p.u32(), p.u32(), p.u32()
	cfg := s.dev.Config()
	if p.err != nil {
		return p.err
	}
	if size > maxConfigSize || off > maxConfigSize-size {
		return fmt.Errorf("GET_CONFIG of %d bytes at offset %d: the config space has at most %d", size, off, maxConfigSize)
	}
	body := binary.LittleEndian.AppendUint32(nil, off)
	body = binary.LittleEndian.AppendUint32(body, size)
	body = binary.LittleEndian.AppendUint32(body, flags)
	out := make([]byte, size)
	if off < uint32(len(cfg)) {
		copy(out, cfg[off:])
	}
	return s.reply(m, append(body, out...))
}
