// Command hello is the smallest gotoro guest: it greets and exits.
package main

import "fmt"

func main() {
	fmt.Println("Hello from gotoro!")
}
