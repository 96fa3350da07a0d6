package qmp

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSendFile: the descriptor arrives with the getfd command, and it is
// the file sent (the test writes through it).
func TestSendFile(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- err.Error()
			return
		}
		defer conn.Close()
		conn.Write([]byte(`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}` + "\r\n"))
		r := bufio.NewReader(conn)
		r.ReadString('\n') // qmp_capabilities
		conn.Write([]byte(`{"return": {}}` + "\r\n"))
		buf, oob := make([]byte, 512), make([]byte, 64)
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			got <- err.Error()
			return
		}
		msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
		var fds []int
		if len(msgs) == 1 {
			fds, _ = syscall.ParseUnixRights(&msgs[0])
		}
		if len(fds) != 1 {
			got <- "no descriptor with " + string(buf[:n])
			return
		}
		f := os.NewFile(uintptr(fds[0]), "received")
		f.WriteString("through the descriptor")
		f.Close()
		conn.Write([]byte(`{"return": {}}` + "\r\n"))
		got <- string(buf[:n])
	}()
	c := dialTest(t, sock)
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.SendFile("snap", f); err != nil {
		t.Fatal(err)
	}
	if cmd := <-got; !strings.Contains(cmd, `"getfd"`) || !strings.Contains(cmd, `"fdname":"snap"`) {
		t.Errorf("the server got %q", cmd)
	}
	if b, _ := os.ReadFile(path); string(b) != "through the descriptor" {
		t.Errorf("the file holds %q", b)
	}
}
