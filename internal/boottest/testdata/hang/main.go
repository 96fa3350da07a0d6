// Command hang never exits: the host must time out and kill it.
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("hanging")
	for {
		time.Sleep(time.Hour)
	}
}
