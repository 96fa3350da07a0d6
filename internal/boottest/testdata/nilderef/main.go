package main

import "fmt"

type T struct{ x int }

//go:noinline
func deref(p *T) int { return p.x }

func main() {
	defer func() {
		r := recover()
		fmt.Println("recovered:", r)
	}()
	fmt.Println(deref(nil))
}
