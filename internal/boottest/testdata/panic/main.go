package main

func boom() { panic("kaboom from guest") }

func main() { boom() }
