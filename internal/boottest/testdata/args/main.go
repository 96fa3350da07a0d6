// Command args prints its arguments, selected environment variables and
// working directory.
package main

import (
	"fmt"
	"os"
)

func main() {
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%q\n", i, a)
	}
	fmt.Printf("GREETING=%q\n", os.Getenv("GREETING"))
	wd, err := os.Getwd()
	fmt.Printf("wd=%q err=%v\n", wd, err)
	host, _ := os.Hostname()
	fmt.Printf("hostname=%q pid=%d\n", host, os.Getpid())
}
