// Command sigterm waits for gotoro run to pass on a SIGTERM.
//
//	sigterm catch    print "got terminated" and exit 0
//	sigterm default  leave SIGTERM's default action (death, status 143)
//	sigterm stuck    catch it and never exit
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	mode := "catch"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	c := make(chan os.Signal, 1)
	if mode != "default" {
		signal.Notify(c, syscall.SIGTERM)
	}
	fmt.Println("ready")
	switch mode {
	case "catch":
		s := <-c
		fmt.Printf("got %v\n", s)
		os.Exit(0)
	case "stuck":
		<-c
		fmt.Println("ignoring it")
	}
	time.Sleep(time.Hour)
}
