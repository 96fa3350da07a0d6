// Command guest is the guest half of vsockbench: on vsock port 1 it
// echoes every connection (round trips); on port 2 it reads a connection
// to the end and answers with one byte (throughput).
package main

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/gotoro/gotoro/vsock"
)

func main() {
	echo, err := vsock.Listen(1)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	sink, err := vsock.Listen(2)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("listening on", echo.Addr(), sink.Addr())
	go serve(echo, func(c net.Conn) { io.Copy(c, c) })
	serve(sink, func(c net.Conn) {
		io.Copy(io.Discard, c)
		c.Write([]byte{1})
	})
}

func serve(l net.Listener, f func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			f(c)
			c.Close()
		}()
	}
}
