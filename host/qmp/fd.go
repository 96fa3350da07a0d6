package qmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// SendFile hands f to QEMU under name (QMP's getfd: the descriptor travels
// with the command as SCM_RIGHTS), for commands that take "fd:name", such
// as an outgoing migration's URI. The connection must be a Unix socket.
func (c *Client) SendFile(name string, f *os.File) error {
	uc, ok := c.conn.(*net.UnixConn)
	if !ok {
		return errors.New("qmp getfd: the monitor is not a Unix socket")
	}
	b, err := json.Marshal(map[string]any{"execute": "getfd", "arguments": map[string]string{"fdname": name}})
	if err != nil {
		return fmt.Errorf("qmp getfd: %w", err)
	}
	raw, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("qmp getfd: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var werr error
	if err := raw.Control(func(fd uintptr) {
		_, _, werr = uc.WriteMsgUnix(append(b, '\n'), syscall.UnixRights(int(fd)), nil)
	}); err != nil {
		return fmt.Errorf("qmp getfd: %w", err)
	}
	if werr != nil {
		return fmt.Errorf("qmp getfd: %w (%v)", ErrClosed, werr)
	}
	_, err = c.reply("getfd")
	return err
}
